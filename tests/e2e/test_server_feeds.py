"""A server's own feeds: an admin of a (non-home) server subscribes that server, within ``[servers] max_sources``
(one past it: one line naming the limit, nothing stored); its feed's new article is announced in the announce
channel that server set with /settings — never in the operator's announce channel nor in another server's — and
quoted in that server only. A bot and a fake of their own (home server A, servers B and C)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from retrieval.sources.subscriptions import load
from tests.e2e.conftest import BotProcess, bot_folder, running_bot
from tests.e2e.fake_discord import PERM_MANAGE_GUILD, FakeDiscord
from tests.e2e.test_subscriptions import QUAY
from tests.newsweb import HTML, RSS, news_site, rss
from tests.retrieval.sources.test_index_sources import HARBOUR, QUESTION, page

pytestmark = pytest.mark.e2e

TIMEOUT = 150.0


@pytest.fixture(scope="module")
def servers(tmp_path_factory, sample_data_dir: Path, embedder) -> Iterator[tuple[FakeDiscord, BotProcess, object]]:
    with news_site() as site:
        site.routes["/b/feed.xml"] = (200, rss("Coast News", site.base, [("/quay", "Quay", "")]), RSS)
        site.routes["/other/feed.xml"] = (200, rss("Other News", site.base, [("/quay", "Quay", "")]), RSS)
        site.routes["/quay"] = (200, page("Old quay to be rebuilt in granite", QUAY), HTML)
        fake = FakeDiscord(heartbeat_interval_ms=2000, heartbeat_grace_s=4.0, channel_names=("general", "news"))
        fake.add_guild("Server B", ("b-general", "b-news"))
        fake.add_guild("Server C", ("c-general", "c-news"))
        fake.start_in_thread()
        root = bot_folder(tmp_path_factory.mktemp("citebot-server-feeds"), sample_data_dir, embedder,
                          ["[discord]", f"announce_channel_id = {fake.channel_id('news')}",
                           "[servers]", f"home_guild_ids = [{fake.guild_id}]", "max_sources = 1",
                           "[limits]", "duplicate_window_s = 0",
                           "[fetch]", "allow_private_addresses = true", "retries = 0"])
        try:
            with running_bot(fake, root) as bot:
                yield fake, bot, site
        finally:
            fake.stop_thread()


async def command(fake: FakeDiscord, channel: int, name: str, options: dict, user: dict) -> str:
    interaction = await fake.invoke(name, options, user=user, channel_id=channel, permissions=PERM_MANAGE_GUILD)
    return json.dumps(await interaction.wait_answer(timeout=TIMEOUT), ensure_ascii=False)


async def test_a_servers_feed_is_its_own_and_announced_in_its_own_channel(servers) -> None:
    fake, bot, site = servers
    ch = {name: fake.channel_id(name) for name in ("general", "news", "b-general", "b-news", "c-general", "c-news")}
    b_admin, c_admin, alice = fake.add_user("b-admin"), fake.add_user("c-admin"), fake.add_user("alice")
    for admin, channel, news in ((b_admin, "b-general", "b-news"), (c_admin, "c-general", "c-news")):
        shown = await command(fake, ch[channel], "settings", {"announce_channel": f"<#{ch[news]}>"}, admin)
        assert f"<#{ch[news]}>" in shown

    subscribed = await command(fake, ch["b-general"], "subscribe", {"url": f"{site.base}/b/feed.xml", "every": 1},
                               b_admin)
    assert "Subscribed to “Coast News”" in subscribed
    # B's second source is past [servers] max_sources = 1: one line naming the limit, nothing stored or fetched
    refused = await command(fake, ch["b-general"], "subscribe", {"url": f"{site.base}/other/feed.xml"}, b_admin)
    assert "follows 1 feed(s); the limit is 1" in refused and "max" in refused.split("the limit is 1")[1]
    assert [(s.name, s.server) for s in load(bot.data)] == [("Coast News", fake.guild_of(ch["b-general"]))]
    assert "Coast News" in await command(fake, ch["b-general"], "sources", {}, alice)
    assert "Coast News" not in await command(fake, ch["general"], "sources", {}, alice)

    mark = fake.mark()
    site.routes["/harbour"] = (200, page("Harbour reopens after storm repairs", HARBOUR), HTML)
    site.routes["/b/feed.xml"] = (200, rss("Coast News", site.base, [("/harbour", "Harbour", ""),
                                                                       ("/quay", "Quay", "")]), RSS)
    announced = await fake.wait_message(lambda m: m["content"].startswith("New: "), channel_id=ch["b-news"],
                                        timeout=TIMEOUT, since=mark)
    assert f"[Harbour reopens after storm repairs](<{site.base}/harbour>)" in announced["content"], announced
    assert announced["_allowed_mentions"]["parse"] == [] and announced["_pings"] == []
    await asyncio.sleep(3)
    news = [m for m in fake.bot_messages(mark) if m["content"].startswith("New")]
    assert [m["channel_id"] for m in news] == [str(ch["b-news"])], news  # not A's (the operator's), not C's
    assert "Saint Brendan" in await command(fake, ch["b-general"], "ask", {"question": QUESTION}, alice)
    for elsewhere in ("general", "c-general"):
        assert "Saint Brendan" not in await command(fake, ch[elsewhere], "ask", {"question": QUESTION}, alice)
    bot.assert_alive()
