"""/add, /remove and /sources end to end: a page served on 127.0.0.1 is added, answered from, and removed."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from retrieval.library import CACHE_FILE
from tests.conftest import copy_data_dir
from tests.e2e.conftest import (
    SAMPLES,
    BotProcess,
    copy_cache,
    start_bot,
    stop,
)
from tests.e2e.fake_discord import FLAG_EPHEMERAL, FakeDiscord
from tests.local_http import serve
from tests.retrieval.sources.test_index_sources import HARBOUR, QUESTION, feed, page

if TYPE_CHECKING:
    from tests.e2e.conftest import World

pytestmark = pytest.mark.e2e

TIMEOUT = 120.0


@pytest.fixture
def site():
    body = page("Harbour reopens after storm repairs", HARBOUR)

    def respond(path: str) -> tuple[int, bytes, str]:
        return (200, body, "text/html; charset=utf-8") if path.startswith("/harbour") else (
            404, b"not found", "text/html; charset=utf-8")

    with serve(respond) as base:
        yield base


async def ask(world: World, question: str) -> str:
    interaction = await world.fake.invoke("ask", {"question": question}, user=world.alice)
    return (await interaction.wait_answer(timeout=TIMEOUT))["embeds"][0]["description"]


async def test_add_answer_remove(world: World, citebot: BotProcess, site: str) -> None:
    fake = world.fake
    refused = await fake.invoke("add", {"url": f"{site}/harbour"}, user=world.alice)
    assert "Only admins" in (await refused.wait_ack(timeout=10)).payload["data"]["content"]

    added = await fake.invoke("add", {"url": f"{site}/harbour?utm_source=chat"}, user=world.mod,
                              roles=[world.admin_role])
    reply = await added.wait_answer(timeout=TIMEOUT)
    embed = reply["embeds"][0]
    assert reply["flags"] & FLAG_EPHEMERAL and embed["title"] == "Article added", embed
    assert "Harbour reopens after storm repairs" in embed["description"] and "Coast News" in embed["description"]
    assert "3 ¶" in embed["description"]
    assert "Saint Brendan" in await ask(world, QUESTION)

    failed = await fake.invoke("add", {"url": f"{site}/nothing-here"}, user=world.mod, roles=[world.admin_role])
    assert "404" in (await failed.wait_answer(timeout=TIMEOUT))["embeds"][0]["description"]

    sources = await fake.invoke("sources", user=world.alice)
    listing = (await sources.wait_answer(timeout=TIMEOUT))["embeds"][0]
    assert "Harbour reopens after storm repairs" in listing["description"]
    fields = {f["name"]: f["value"] for f in listing.get("fields", [])}
    assert "added" in fields and "1 article" in fields["added"]

    choices = await (await fake.autocomplete("remove", "article", "harbour")).wait_choices()
    assert choices and choices[0]["name"] == "Harbour reopens after storm repairs"
    removed = await fake.invoke("remove", {"article": choices[0]["value"]}, user=world.mod, roles=[world.admin_role])
    embed = (await removed.wait_answer(timeout=TIMEOUT))["embeds"][0]
    assert embed["title"] == "Removed" and "Harbour reopens" in embed["description"]
    assert (await ask(world, QUESTION)).startswith("The indexed articles don't cover this.")


MILL = [p.replace("harbour", "mill").replace("Harbour", "Mill").replace("ferry", "barge") for p in HARBOUR]


@pytest.fixture
def feed_site() -> Iterator[dict]:
    """A local web: path -> (body, content type); the test changes the routes while the bot polls."""
    routes: dict[str, tuple[bytes, str]] = {"/robots.txt": (b"User-agent: *\nAllow: /\n", "text/plain")}

    def respond(path: str) -> tuple[int, bytes, str]:
        body, ctype = routes.get(path, (b"not found", "text/plain"))
        return (200 if body != b"not found" else 404), body, ctype

    with serve(respond) as base:
        yield {"base": base, "routes": routes}


@pytest.fixture
def feed_bot(tmp_path: Path, sample_data_dir: Path, embedder,
             feed_site: dict) -> Iterator[tuple[FakeDiscord, BotProcess]]:
    """Its own fake Discord and bot, configured with a feed on the local web polled every minute and an
    announce channel; the feed lists one article (the backlog) before the bot starts."""
    base, routes = feed_site["base"], feed_site["routes"]
    routes["/mill"] = (page("Mill reopens after flood repairs", MILL), "text/html; charset=utf-8")
    routes["/feed.xml"] = (feed(base, ["/mill"]), "application/rss+xml")
    fake = FakeDiscord(heartbeat_interval_ms=2000, heartbeat_grace_s=4.0,
                       channel_names=("general", "news")).start_in_thread()
    shutil.copytree(SAMPLES, tmp_path / "articles")
    copy_data_dir(sample_data_dir, tmp_path / "data")
    copy_cache(embedder, tmp_path / "data" / CACHE_FILE)
    (tmp_path / "config.toml").write_text("\n".join([
        "[data]", f"dir = {json.dumps(str(tmp_path / 'data'))}",
        "[articles]", f"folders = [{json.dumps(str(tmp_path / 'articles'))}]",
        "[discord]", f"guild_ids = [{fake.guild_id}]", f"announce_channel_id = {fake.channel_id('news')}",
        "[fetch]", "allow_private_addresses = true", "retries = 0",
        "[[sources]]", 'kind = "feed"', f"location = {json.dumps(base + '/feed.xml')}", 'name = "Coast News feed"',
        "poll_minutes = 1",
        "",
    ]), encoding="utf-8")
    try:
        bot = start_bot(fake, tmp_path)
        try:
            yield fake, bot
        finally:
            stop(bot.proc)
    finally:
        fake.stop_thread()


async def test_feed_polled_in_the_background_announces_only_new_articles(feed_bot, feed_site: dict) -> None:
    fake, bot = feed_bot
    base, routes = feed_site["base"], feed_site["routes"]
    news, general = fake.channel_id("news"), fake.channel_id("general")
    alice = fake.add_user("alice")
    # the first poll, at start-up, indexes the backlog silently: 4 sample articles + the mill
    await fake.wait_presence(lambda p: "5 articles" in json.dumps(p), timeout=TIMEOUT)
    assert [m for m in fake.bot_messages() if m["channel_id"] == str(news)] == []

    mark = fake.mark()
    routes["/harbour"] = (page("Harbour reopens after storm repairs", HARBOUR), "text/html; charset=utf-8")
    routes["/feed.xml"] = (feed(base, ["/harbour", "/mill"]), "application/rss+xml")
    # poll_minutes = 1 and the poller looks every 20 s: the new item is indexed and announced within ~80 s
    announced = await fake.wait_message(lambda m: m["content"].startswith("New: "), channel_id=news,
                                        timeout=150, since=mark)
    assert announced["content"] == (f"New: [Harbour reopens after storm repairs](<{base}/harbour>) · Coast News"
                                    " · 20 Nov 2026"), announced
    allowed = announced["_allowed_mentions"]
    assert allowed["parse"] == [] and not allowed.get("replied_user") and announced["_pings"] == []

    question = await fake.send_message(f"<@{fake.app_id}> {QUESTION}", author=alice, channel_id=general)
    answer = await fake.wait_message(
        lambda m: (m.get("message_reference") or {}).get("message_id") == question["id"],
        channel_id=general, timeout=TIMEOUT, since=mark)
    description = answer["embeds"][0]["description"]
    assert "Saint Brendan" in description and f"](<{base}/harbour" in description, description
    await asyncio.sleep(1)
    news_messages = [m for m in fake.bot_messages() if m["channel_id"] == str(news)]
    assert len(news_messages) == 1, news_messages  # the harbour once; never the mill (the backlog)
    bot.assert_alive()
