"""/subscribe and /unsubscribe end to end: a site's home page on 127.0.0.1 leads to its feed, whose items are
answered (one from the feed's own full text, its page being 404); an item that failed is retried by the poller
while the feed answers 304; a new item is picked up; unsubscribing removes the articles and stops the polling."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.e2e.fake_discord import FLAG_EPHEMERAL
from tests.newsweb import HTML, RSS, NewsSite, home_page, news_site, rss
from tests.retrieval.sources.test_index_sources import HARBOUR, QUESTION, page

if TYPE_CHECKING:
    from tests.e2e.conftest import BotProcess, World

pytestmark = pytest.mark.e2e

TIMEOUT = 120.0
MILL = [p.replace("harbour", "mill").replace("Harbour", "Mill").replace("ferry", "barge")
        .replace("Saint Brendan", "Saint Kevin").replace("212", "48") for p in HARBOUR]
MILL_QUESTION = "Which barge was the first ship to dock at the mill, and how many passengers did it carry?"
QUAY = [
    "The old quay of Port Elsworth will be rebuilt in granite, the harbour board decided on Tuesday after a vote of "
    "seven to two among its members.",
    "The work, costed at 4.2 million pounds, is to begin in April and last eighteen months, during which the fish "
    "market moves to the east pier.",
    "Board chair Morag Lindsay said the granite facing would outlast the concrete it replaces by at least a century.",
]
QUAY_QUESTION = "Who chairs the board that decided to rebuild the old quay in granite?"
TIMETABLE = [
    "The island timetable changes on the first of December, when the winter service of two crossings a day begins, "
    "the operator announced.",
    "Passengers travelling with vehicles must now book at least 48 hours ahead, because the winter vessel carries "
    "only 30 cars.",
    "The operator's spokesman, Callum Reid, said the summer timetable would return at Easter, weather permitting.",
]
TIMETABLE_QUESTION = "Who is the spokesman of the operator announcing the winter timetable of two crossings a day?"
ITEMS = [("/harbour", "Harbour", ""), ("/quay", "Quay", ""),
         ("/timetable", "Winter timetable", "".join(f"<p>{p}</p>" for p in TIMETABLE))]


@pytest.fixture
def site() -> Iterator[NewsSite]:
    with news_site() as s:
        s.routes["/"] = (200, home_page("Coast News", "news/feed.xml"), HTML)
        s.routes["/news/feed.xml"] = (200, rss("Coast News", s.base, ITEMS), RSS)
        s.routes["/harbour"] = (200, page("Harbour reopens after storm repairs", HARBOUR), HTML)
        s.routes["/quay"] = (503, b"down for maintenance", HTML)  # fails at first; /timetable is always 404
        yield s


async def ask(world: World, question: str) -> str:
    interaction = await world.fake.invoke("ask", {"question": question}, user=world.alice)
    return (await interaction.wait_answer(timeout=TIMEOUT))["embeds"][0]["description"]


async def wait_for_fetch(site: NewsSite, path: str, citebot: BotProcess) -> None:
    """Until the bot fetches ``path`` again (polls come every minute, checked every 20 s)."""
    deadline = time.monotonic() + 150
    before = site.hits.count(path)
    while site.hits.count(path) == before:
        assert time.monotonic() < deadline, f"{path} was not fetched:\n{citebot.log_tail()}"
        await asyncio.sleep(2)


async def admin(world: World, command: str, options: dict) -> dict:
    interaction = await world.fake.invoke(command, options, user=world.mod, roles=[world.admin_role])
    return await interaction.wait_answer(timeout=TIMEOUT)


async def test_subscribe_from_a_home_page_poll_and_unsubscribe(world: World, citebot: BotProcess,
                                                               site: NewsSite) -> None:
    fake = world.fake
    refused = await fake.invoke("subscribe", {"url": f"{site.base}/"}, user=world.alice)
    assert "Only admins" in (await refused.wait_ack(timeout=10)).payload["data"]["content"]

    hint = (await admin(world, "add", {"url": f"{site.base}/news/feed.xml"}))["embeds"][0]["description"]
    assert "news feed, not an article" in hint and f"/subscribe url:{site.base}/news/feed.xml" in hint

    reply = await admin(world, "subscribe", {"url": f"{site.base}/", "every": 1})
    embed = reply["embeds"][0]
    assert reply["flags"] & FLAG_EPHEMERAL and embed["title"] == "Subscribed to “Coast News”", embed
    assert f"<{site.base}/news/feed.xml>" in embed["description"]
    assert f"linked from {site.base}/" in embed["description"], embed
    assert "2 new article(s) indexed, 1 item(s) failed (retried on later polls)" in embed["description"], embed
    assert "Saint Brendan" in await ask(world, QUESTION)
    assert "Callum Reid" in await ask(world, TIMETABLE_QUESTION)  # from the feed's full text: its page is 404

    listing = (await (await fake.invoke("sources", user=world.alice)).wait_answer(timeout=TIMEOUT))["embeds"][0]
    fields = {f["name"]: f["value"] for f in listing.get("fields", [])}
    assert "2 articles" in fields["Coast News"] and "1 item(s) failing: HTTP 503" in fields["Coast News"], fields
    assert any(name.endswith("(config)") for name in fields), fields

    # the failed item is back: the next poll (a minute later) retries it although the feed answers 304
    site.routes["/quay"] = (200, page("Old quay to be rebuilt in granite", QUAY), HTML)
    await wait_for_fetch(site, "/quay", citebot)
    feed_answers = [status for path, status in site.answered if path == "/news/feed.xml"]
    assert feed_answers[-1] == 304, site.answered  # the poll that retried it found the feed unchanged
    await asyncio.sleep(3)
    assert "Morag Lindsay" in await ask(world, QUAY_QUESTION)
    listing = (await (await fake.invoke("sources", user=world.alice)).wait_answer(timeout=TIMEOUT))["embeds"][0]
    fields = {f["name"]: f["value"] for f in listing.get("fields", [])}
    assert "3 articles" in fields["Coast News"] and "last error" not in fields["Coast News"], fields

    # a new item: the next poll indexes it
    site.routes["/mill"] = (200, page("Mill reopens after flood repairs", MILL), HTML)
    site.routes["/news/feed.xml"] = (200, rss("Coast News", site.base, [("/mill", "Mill", ""), *ITEMS]), RSS)
    await wait_for_fetch(site, "/mill", citebot)
    polled_at = time.monotonic()
    await asyncio.sleep(3)
    assert "Saint Kevin" in await ask(world, MILL_QUESTION)

    choices = await (await fake.autocomplete("unsubscribe", "source", "coast")).wait_choices()
    assert [c["value"] for c in choices] == ["Coast News"], choices
    reply = await admin(world, "unsubscribe", {"source": "Coast News", "delete_articles": True})
    embed = reply["embeds"][0]
    assert embed["title"] == "Unsubscribed from “Coast News”" and "4 article(s) removed" in embed["description"]
    assert (await ask(world, QUESTION)).startswith("The indexed articles don't cover this.")

    # no more polls: past the next due time (1 min after the last poll, checked every 20 s), the feed is untouched
    site.hits.clear()
    await asyncio.sleep(max(0.0, polled_at + 85 - time.monotonic()))
    assert "/news/feed.xml" not in site.hits, site.hits
    listing = (await (await fake.invoke("sources", user=world.alice)).wait_answer(timeout=TIMEOUT))["embeds"][0]
    assert "Coast News" not in {f["name"] for f in listing.get("fields", [])}
