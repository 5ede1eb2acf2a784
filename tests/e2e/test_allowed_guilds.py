"""``[discord] allowed_guild_ids``: in a server it does not list, the bot says once why and leaves (at start-up
and when invited later); the listed servers keep it. A bot and a fake of their own."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import BotProcess, bot_folder, running_bot
from tests.e2e.fake_discord import FakeDiscord
from tests.e2e.test_qa import AMBASSADOR

pytestmark = pytest.mark.e2e

LEAVING = "so it is leaving this one"


@pytest.fixture(scope="module")
def allowed(tmp_path_factory, sample_data_dir: Path, embedder) -> Iterator[tuple[FakeDiscord, BotProcess, dict]]:
    fake = FakeDiscord(heartbeat_interval_ms=2000, heartbeat_grace_s=4.0)
    listed = fake.add_guild("Listed", ("listed-news",))
    early = fake.add_guild("Stranger at start", ("early-news",))  # in READY: left at start-up
    fake.start_in_thread()
    root = bot_folder(tmp_path_factory.mktemp("citebot-allowed"), sample_data_dir, embedder, [
        "[discord]", f"allowed_guild_ids = [{fake.guild_id}, {listed}]",
        "[limits]", "duplicate_window_s = 0",
    ])
    try:
        with running_bot(fake, root) as bot:
            yield fake, bot, {"home": fake.guild_id, "listed": listed, "early": early}
    finally:
        fake.stop_thread()


def said_in(fake: FakeDiscord, channel: int) -> list[str]:
    return [m.get("content") or "" for m in fake.bot_messages(0) if m["channel_id"] == str(channel)]


async def test_the_bot_leaves_servers_not_listed_and_stays_in_the_others(allowed) -> None:
    fake, bot, guilds = allowed
    early = fake.channel_id("early-news")
    await fake.wait_for_condition(lambda: guilds["early"] in fake.left_guilds, timeout=60)
    assert [t for t in said_in(fake, early) if LEAVING in t] != []

    # invited later to another server: says so once there, leaves it; nothing is said elsewhere
    stranger = await fake.join_guild("Stranger", ("stranger-news",))
    await fake.wait_for_condition(lambda: stranger in fake.left_guilds, timeout=60)
    assert len([t for t in said_in(fake, fake.channel_id("stranger-news")) if LEAVING in t]) == 1
    assert len([t for t in said_in(fake, early) if LEAVING in t]) == 1
    assert stranger not in fake.guild_names and guilds["early"] not in fake.guild_names
    assert fake.left_guilds == [guilds["early"], stranger]

    # the listed servers keep the bot, and it still answers there
    assert guilds["home"] in fake.guild_names and guilds["listed"] in fake.guild_names
    reader = fake.add_user("reader")
    for channel in (fake.channel_id("general"), fake.channel_id("listed-news")):
        assert not [t for t in said_in(fake, channel) if LEAVING in t]
        asked = await fake.invoke("ask", {"question": AMBASSADOR}, user=reader, channel_id=channel)
        answer = json.dumps((await asked.wait_answer(timeout=120))["embeds"], ensure_ascii=False)
        assert "Melinda Simmons" in answer, answer
    bot.assert_alive()
