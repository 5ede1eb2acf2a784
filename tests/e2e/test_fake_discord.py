"""The emulator itself, proved with a minimal discord.py client in this process (no model, a few seconds)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import discord
import pytest
import yarl
from discord import app_commands

from tests.e2e.fake_discord import FLAG_EPHEMERAL, FLAG_LOADING, FakeDiscord

pytestmark = pytest.mark.e2e


class MiniBot(discord.Client):
    """The smallest client that exercises what citebot uses: messages, typing, slash commands."""

    def __init__(self) -> None:
        intents = discord.Intents.default()
        intents.message_content = True
        super().__init__(intents=intents, allowed_mentions=discord.AllowedMentions.none(), guild_ready_timeout=0.2)
        self.tree = app_commands.CommandTree(self)
        self.seen: list[discord.Message] = []
        self.failures: list[Exception] = []
        self.tree.add_command(app_commands.Command(name="probe", description="Do one thing", callback=self.probe))

    async def setup_hook(self) -> None:
        await self.tree.sync()

    async def on_message(self, message: discord.Message) -> None:
        self.seen.append(message)
        if message.author.bot or "ping" not in message.content:
            return
        async with message.channel.typing():
            await message.reply("pong @everyone", allowed_mentions=discord.AllowedMentions.none())

    async def pressed(self, interaction: discord.Interaction) -> None:
        """A button's callback: update the message it is on (callback type 7), buttons removed."""
        await interaction.response.edit_message(content=f"Pressed by {interaction.user.name}", view=None)

    async def probe(self, interaction: discord.Interaction, action: str, private: bool = False) -> None:
        """Each action is one thing a bot might do to an interaction; failures are kept for the test."""
        response = interaction.response
        try:
            if action == "defer-edit":
                await response.defer(ephemeral=private, thinking=True)
                await asyncio.sleep(0.05)
                await interaction.edit_original_response(embed=discord.Embed(description="done"))
                await interaction.followup.send("more", ephemeral=private)
            elif action == "twice":
                await response.send_message("one")
                response._response_type = None  # get past discord.py's own guard: let Discord refuse it
                await response.send_message("two")
            elif action == "followup-first":
                await interaction.followup.send("too early")
            elif action == "edit-first":
                await interaction.edit_original_response(content="too early")
            elif action == "late":
                await asyncio.sleep(0.4)
                await response.defer()
            elif action == "long":
                await response.send_message("x" * 2001)
            elif action == "button":
                view = discord.ui.View(timeout=30)
                press = discord.ui.Button(label="Press", custom_id="press")
                press.callback = self.pressed
                view.add_item(press)
                view.add_item(discord.ui.Button(label="Off", custom_id="off", disabled=True))
                await response.send_message("Press it", view=view, ephemeral=private)
        except discord.HTTPException as exc:
            self.failures.append(exc)


@pytest.fixture
async def bot(fake: FakeDiscord) -> AsyncIterator[MiniBot]:
    client = MiniBot()
    task = asyncio.create_task(client.start(fake.token))
    await fake.wait_ready(timeout=10)
    await fake.wait_commands({"probe"}, timeout=10)
    yield client
    await client.close()
    await asyncio.wait_for(task, 5)


async def test_login_sync_and_gateway(fake: FakeDiscord, bot: MiniBot) -> None:
    assert ("GET", "/api/v10/users/@me") in fake.requests
    assert ("GET", "/api/v10/oauth2/applications/@me") in fake.requests
    (guild_id, synced), *_ = fake.command_syncs
    assert guild_id is None and synced[0]["application_id"] == str(fake.app_id) and synced[0]["version"]
    assert fake.identify_payloads[0]["intents"] & (1 << 15)
    await bot.wait_until_ready()
    assert bot.user is not None and bot.user.id == fake.app_id
    assert bot.get_guild(fake.guild_id) is not None
    assert fake.errors == []


async def test_message_reply_typing_and_own_echo(fake: FakeDiscord, bot: MiniBot) -> None:
    mark = fake.mark()
    question = await fake.send_message("ping")
    reply = await fake.wait_message(timeout=10, since=mark)
    assert reply["message_reference"]["message_id"] == question["id"]
    assert reply["_allowed_mentions"] == {"parse": []} and reply["_pings"] == []
    assert [s.kind for s in fake.sent[mark:]][:2] == ["typing", "message"]
    # Discord echoes the bot's own message back on the gateway, as it does for real.
    await fake.wait_for_condition(lambda: any(m.id == int(reply["id"]) for m in bot.seen), timeout=5)
    own = next(m for m in bot.seen if m.id == int(reply["id"]))
    assert own.author == bot.user and own.reference is not None
    assert fake.errors == []


async def test_interaction_defer_edit_followup(fake: FakeDiscord, bot: MiniBot) -> None:
    ix = await fake.invoke("probe", {"action": "defer-edit", "private": True})
    ack = await ix.wait_ack(timeout=5)
    assert ack.payload == {"type": 5, "data": {"flags": FLAG_EPHEMERAL}}
    answer = await ix.wait_answer(timeout=5)
    assert answer["embeds"][0]["description"] == "done" and not answer["flags"] & FLAG_LOADING
    followup = await ix.wait_followup(timeout=5)
    assert followup["content"] == "more" and followup["flags"] & FLAG_EPHEMERAL
    assert bot.failures == [] and fake.errors == []


@pytest.mark.parametrize(
    ("action", "status", "code"),
    [("twice", 400, 40060), ("followup-first", 404, 10015), ("edit-first", 404, 10008), ("long", 400, 50035)],
)
async def test_interaction_misuse_is_rejected(
    fake: FakeDiscord, bot: MiniBot, action: str, status: int, code: int
) -> None:
    ix = await fake.invoke("probe", {"action": action})
    await fake.wait_for_condition(lambda: bot.failures != [], timeout=5)
    failure = bot.failures[0]
    assert isinstance(failure, discord.HTTPException) and (failure.status, failure.code) == (status, code)
    assert [e.kind for e in fake.take_errors()] == ["rejected"]
    del ix


@pytest.mark.parametrize("private", [False, True])
async def test_a_button_press_is_a_component_interaction_that_updates_the_message(
    fake: FakeDiscord, bot: MiniBot, private: bool
) -> None:
    alice = fake.add_user("alice")  # an ephemeral message's buttons can be pressed only by whom it was shown to
    ix = await fake.invoke("probe", {"action": "button", "private": private}, user=alice)
    ack = await ix.wait_ack(timeout=5)
    message = ix.original
    assert ack.payload["type"] == 4 and message is not None and message["content"] == "Press it"
    assert [b["custom_id"] for row in message["components"] for b in row["components"]] == ["press", "off"]
    with pytest.raises(AssertionError, match="disabled"):
        await fake.click(message, "off")
    with pytest.raises(AssertionError, match="no button"):
        await fake.click(message, "missing")
    click = await fake.click(message, "press", user=alice)
    update = await click.wait_ack(timeout=5)
    assert update.payload["type"] == 7 and update.payload["data"]["components"] == []
    assert message["content"] == "Pressed by alice" and message["components"] == []
    assert bot.failures == [] and fake.errors == []


async def test_late_acknowledgement_is_rejected(fake: FakeDiscord, bot: MiniBot) -> None:
    fake.ack_deadline_s = 0.2
    await fake.invoke("probe", {"action": "late"})
    await fake.wait_for_condition(lambda: bot.failures != [], timeout=5)
    assert isinstance(bot.failures[0], discord.NotFound) and bot.failures[0].code == 10062
    assert {e.kind for e in fake.take_errors()} <= {"rejected", "unacknowledged"}


async def test_message_limits(fake: FakeDiscord, bot: MiniBot) -> None:
    channel = bot.get_channel(fake.channel_id("general"))
    assert isinstance(channel, discord.TextChannel)
    too_big = [
        {"content": "x" * 2001},
        {"embed": discord.Embed(title="t" * 257)},
        {"embed": discord.Embed(description="d" * 4097)},
        {"embeds": [discord.Embed(description="d" * 4000), discord.Embed(description="d" * 2001)]},
        {"embed": discord.Embed().add_field(name="n", value="v" * 1025)},
        {"embed": discord.Embed().set_footer(text="f" * 2049)},
        {"embed": discord.Embed().set_author(name="a" * 257)},
        {"embeds": [discord.Embed(description="x")] * 11},
    ]
    for kwargs in too_big:
        with pytest.raises((discord.HTTPException, ValueError)):
            await channel.send(**kwargs)
    with pytest.raises(discord.HTTPException) as empty:
        await channel.send(embeds=[])
    assert empty.value.code == 50006
    embed = discord.Embed(title="t" * 256, description="d" * 4096)
    for _ in range(25):
        embed.add_field(name="n", value="v")
    await channel.send("x" * 2000, embed=embed)  # exactly at the limits: accepted
    kinds = [e.kind for e in fake.take_errors()]
    assert kinds == ["rejected"] * 8  # 7 over a limit (11 embeds are refused by discord.py itself) + empty


async def test_unknown_route_fails_the_test(fake: FakeDiscord, bot: MiniBot) -> None:
    with pytest.raises(discord.NotFound):
        await bot.http.request(discord.http.Route("GET", "/guilds/{guild_id}/bans", guild_id=fake.guild_id))
    # What the fixtures run after every test (the conftest's autouse check, and this module's `fake`):
    with pytest.raises(AssertionError, match=r"\[unknown_route\] GET /api/v10/guilds/\d+/bans"):
        fake.assert_clean()


async def test_start_up_failures(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = await FakeDiscord(message_content_enabled=False).start()
    monkeypatch.setattr(discord.http.Route, "BASE", fake.api_base)
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(fake.gateway_url))
    try:
        with pytest.raises(discord.LoginFailure):
            await discord.Client(intents=discord.Intents.default()).start("wrong-token")
        intents = discord.Intents.default()
        intents.message_content = True
        client = MiniBot()
        with pytest.raises(discord.PrivilegedIntentsRequired):
            await asyncio.wait_for(client.start(fake.token), 10)
        await client.close()
        assert [e.kind for e in fake.take_errors()] == ["rejected"]  # the 401
    finally:
        await fake.close()



async def test_each_shard_gets_only_its_guilds_events_and_dms_come_on_shard_0(fake: FakeDiscord) -> None:
    fake.shards = 2  # GET /gateway/bot now recommends 2
    on = {shard: fake.add_guild(f"Shard {shard} guild", (f"shard-{shard}",), shard=shard) for shard in (0, 1)}
    user = fake.add_user("dm-user")
    seen: list[str] = []
    client = discord.AutoShardedClient(intents=discord.Intents.default() | discord.Intents(message_content=True),
                                       guild_ready_timeout=0.2)

    @client.event
    async def on_message(message: discord.Message) -> None:
        seen.append(message.content)

    task = asyncio.create_task(client.start(fake.token))
    try:
        await asyncio.wait_for(client.wait_until_ready(), 30)
        assert sorted(p["shard"] for p in fake.identify_payloads) == [[0, 2], [1, 2]]
        assert {s.shard for s in fake.sessions} == {(0, 2), (1, 2)}
        assert {g.id for g in client.guilds} == set(fake.guild_names)  # every guild, each from its own shard
        dm = await client.create_dm(discord.Object(int(user["id"])))
        for shard in (0, 1):
            await fake.send_message(f"hello shard {shard}", author=user, channel_id=fake.channel_id(f"shard-{shard}"))
        await fake.send_message("hello in a DM", author=user, channel_id=dm.id)
        await fake.wait_for_condition(lambda: len(seen) == 3, timeout=10)
        for session in fake.sessions:  # what each connection carried
            shard = session.shard[0]
            guilds = {int(f["d"]["id"]) for f in session.backlog if f["t"] == "GUILD_CREATE"}
            texts = sorted(f["d"]["content"] for f in session.backlog if f["t"] == "MESSAGE_CREATE")
            assert guilds == {gid for gid in fake.guild_names if fake.shard_of(gid) == shard} and on[shard] in guilds
            assert texts == (["hello in a DM", "hello shard 0"] if shard == 0 else ["hello shard 1"])
    finally:
        await client.close()
        await asyncio.wait_for(task, 5)
