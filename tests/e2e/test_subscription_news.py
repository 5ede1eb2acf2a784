"""A feed subscribed from Discord behaves as a configured one once it is polled: its new item is announced in the
announce channel (never pinging) and a member following the item's topic gets one DM alert; the backlog found at
subscription time is announced to nobody. A bot and a fake of their own (an announce channel)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import BotProcess, bot_folder, running_bot
from tests.e2e.fake_discord import PERM_MANAGE_GUILD, FakeDiscord
from tests.e2e.test_subscriptions import QUAY
from tests.newsweb import HTML, RSS, home_page, news_site, rss
from tests.retrieval.sources.test_index_sources import HARBOUR, page

pytestmark = pytest.mark.e2e

TIMEOUT = 150.0
TOPIC = "harbour storm repairs"


@pytest.fixture(scope="module")
def newsroom(tmp_path_factory, sample_data_dir: Path, embedder) -> Iterator[tuple[FakeDiscord, BotProcess, object]]:
    with news_site() as site:
        site.routes["/"] = (200, home_page("Coast News", "news/feed.xml"), HTML)
        site.routes["/news/feed.xml"] = (200, rss("Coast News", site.base, [("/quay", "Quay", "")]), RSS)
        site.routes["/quay"] = (200, page("Old quay to be rebuilt in granite", QUAY), HTML)
        fake = FakeDiscord(heartbeat_interval_ms=2000, heartbeat_grace_s=4.0,
                           channel_names=("general", "news")).start_in_thread()
        root = bot_folder(tmp_path_factory.mktemp("citebot-subscribed"), sample_data_dir, embedder,
                          ["[discord]", f"guild_ids = [{fake.guild_id}]",
                           f"announce_channel_id = {fake.channel_id('news')}",
                           "[fetch]", "allow_private_addresses = true", "retries = 0"])
        try:
            with running_bot(fake, root) as bot:
                yield fake, bot, site
        finally:
            fake.stop_thread()


async def test_a_subscribed_feeds_new_item_is_announced_and_alerted(newsroom) -> None:
    fake, bot, site = newsroom
    news = fake.channel_id("news")
    admin, alice = fake.add_user("editor"), fake.add_user("alice")

    subscribed = await fake.invoke("subscribe", {"url": f"{site.base}/", "every": 1}, user=admin,
                                   permissions=PERM_MANAGE_GUILD)
    embed = (await subscribed.wait_answer(timeout=TIMEOUT))["embeds"][0]
    assert embed["title"] == "Subscribed to “Coast News”", embed
    follow = await fake.invoke("follow", {"topic": TOPIC}, user=alice)
    assert "to you by DM" in (await follow.wait_ack(timeout=10)).payload["data"]["content"]
    await asyncio.sleep(1)
    assert [m for m in fake.bot_messages() if m["channel_id"] == str(news)] == []  # the backlog: not news

    mark = fake.mark()
    site.routes["/harbour"] = (200, page("Harbour reopens after storm repairs", HARBOUR), HTML)
    site.routes["/news/feed.xml"] = (200, rss("Coast News", site.base, [("/harbour", "Harbour", ""),
                                                                          ("/quay", "Quay", "")]), RSS)
    announced = await fake.wait_message(lambda m: m["content"].startswith("New: "), channel_id=news,
                                        timeout=TIMEOUT, since=mark)
    assert f"[Harbour reopens after storm repairs](<{site.base}/harbour>)" in announced["content"], announced
    assert announced["_allowed_mentions"]["parse"] == [] and announced["_pings"] == []

    alert = await fake.wait_message(lambda m: m["content"].startswith(f"New on “{TOPIC}”"), timeout=60, since=mark)
    assert alert["channel_id"] == str(fake.dm_channel_of(alice)), alert  # by DM, to the follower
    assert f"[Harbour reopens after storm repairs](<{site.base}/harbour>)" in alert["content"], alert
    await asyncio.sleep(2)
    alerts = [m for m in fake.bot_messages(mark) if m["content"].startswith("New on")]
    assert len(alerts) == 1, alerts  # one alert per article per follower; the quay (backlog) none
    bot.assert_alive()
