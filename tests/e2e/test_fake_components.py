"""The emulator's buttons (message components, MESSAGE_COMPONENT interactions) and DMs, proved with a minimal
discord.py client in this process (no model, a few seconds)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import discord
import pytest

from tests.e2e.fake_discord import FLAG_EPHEMERAL, FakeDiscord

pytestmark = pytest.mark.e2e


class Counter(discord.ui.DynamicItem[discord.ui.Button], template=r"count:(?P<n>\d+)"):
    """A persistent button: its state lives in its custom_id, so it works for any message, after restarts too."""

    def __init__(self, n: int) -> None:
        super().__init__(discord.ui.Button(label=f"Clicked {n}", custom_id=f"count:{n}"))
        self.n = n

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str], /) -> Counter:
        return cls(int(match["n"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        view = discord.ui.View(timeout=None).add_item(Counter(self.n + 1))
        if self.n == 0:  # the first click: a private note (type 4, ephemeral) with its own button
            await interaction.response.send_message("noted", ephemeral=True, view=view)
        elif self.n == 2:  # acknowledged first (type 6), the message edited afterwards through @original
            await interaction.response.defer()
            await interaction.edit_original_response(content="deferred, then edited", view=view)
        else:  # later clicks: the message the button is on is updated (type 7)
            await interaction.response.edit_message(content=f"count {self.n + 1}", view=view)


class ButtonBot(discord.Client):
    def __init__(self) -> None:
        super().__init__(intents=discord.Intents.default(), guild_ready_timeout=0.2)

    async def setup_hook(self) -> None:
        self.add_dynamic_items(Counter)


@pytest.fixture
async def bot(fake: FakeDiscord) -> AsyncIterator[ButtonBot]:
    client = ButtonBot()
    task = asyncio.create_task(client.start(fake.token))
    await fake.wait_ready(timeout=10)
    await client.wait_until_ready()
    yield client
    await client.close()
    await asyncio.wait_for(task, 5)


async def test_buttons_click_reply_and_update(fake: FakeDiscord, bot: ButtonBot) -> None:
    channel = bot.get_channel(fake.channel_id("general"))
    assert isinstance(channel, discord.TextChannel)
    view = discord.ui.View(timeout=None).add_item(Counter(0))
    view.add_item(discord.ui.Button(label="Read", url="https://example.org/a"))
    sent = await channel.send("hello", view=view)
    message = fake.messages[sent.id]
    (row,) = message["components"]
    assert row["type"] == 1 and [b.get("custom_id") for b in row["components"]] == ["count:0", None]
    assert row["components"][1]["style"] == 5 and row["components"][1]["url"] == "https://example.org/a"

    user = fake.add_user("clicker")
    first = await fake.click(message, "count:0", user=user)
    ack = await first.wait_ack(timeout=5)
    assert ack.payload["type"] == 4 and ack.payload["data"]["flags"] == FLAG_EPHEMERAL
    note = first.original
    assert note is not None and note["content"] == "noted" and note["interaction_metadata"]["type"] == 3
    with pytest.raises(AssertionError, match="only the user"):  # an ephemeral message is one user's
        await fake.click(note, "count:1", user=fake.add_user("someone-else"))
    with pytest.raises(AssertionError, match="no button"):
        await fake.click(message, "count:7", user=user)

    second = await fake.click(note, "count:1", user=user)
    assert (await second.wait_ack(timeout=5)).payload["type"] == 7
    assert fake.ephemeral[int(note["id"])]["content"] == "count 2"
    assert fake.ephemeral[int(note["id"])]["components"][0]["components"][0]["custom_id"] == "count:2"

    third = await fake.click(note, "count:2", user=user)
    assert (await third.wait_ack(timeout=5)).payload["type"] == 6
    await fake.wait_for_condition(lambda: fake.ephemeral[int(note["id"])]["content"] == "deferred, then edited",
                                  timeout=5)
    assert fake.ephemeral[int(note["id"])]["components"][0]["components"][0]["custom_id"] == "count:3"


async def test_invalid_components_are_rejected(fake: FakeDiscord, bot: ButtonBot) -> None:
    channel_id = fake.channel_id("general")
    route = discord.http.Route("POST", "/channels/{channel_id}/messages", channel_id=channel_id)
    bad = [
        [{"type": 2, "style": 1, "label": "x", "custom_id": "a"}],  # a button outside an action row
        [{"type": 1, "components": [{"type": 2, "style": 5, "label": "x", "custom_id": "a", "url": "https://x"}]}],
        [{"type": 1, "components": [{"type": 2, "style": 1, "label": "x"}]}],  # no custom_id
        [{"type": 1, "components": [{"type": 2, "style": 1, "custom_id": "a"}]}],  # neither label nor emoji
        [{"type": 1, "components": [{"type": 2, "style": 1, "label": "x", "custom_id": "a"}] * 2}],  # duplicate
        [{"type": 1, "components": [{"type": 2, "style": 1, "label": "x" * 81, "custom_id": "a"}]}],
        [{"type": 1, "components": []}],
    ]
    for components in bad:
        with pytest.raises(discord.HTTPException) as refused:
            await bot.http.request(route, json={"content": "x", "components": components})
        assert refused.value.code == 50035
    assert [e.kind for e in fake.take_errors()] == ["rejected"] * len(bad)


async def test_direct_message(fake: FakeDiscord, bot: ButtonBot) -> None:
    user = fake.add_user("reader")
    dm = await bot.create_dm(discord.Object(int(user["id"])))
    await dm.send("psst", allowed_mentions=discord.AllowedMentions.none())
    channel_id = fake.dm_channel_of(user)
    assert channel_id == dm.id
    (message,) = [m for m in fake.messages.values() if m["channel_id"] == str(channel_id)]
    assert message["content"] == "psst" and "guild_id" not in message
    assert (await bot.create_dm(discord.Object(int(user["id"])))).id == dm.id
