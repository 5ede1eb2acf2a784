"""Daily digests and topic alerts end to end, on a test clock (CITEBOT_TEST_CLOCK_FILE): exactly one digest a day
at the set time across a restart, a missed one posted at start the same day, none on a day without news; an
alert once per matching article per follower (DM and channel), none for an unrelated article."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.clock import CLOCK_ENV
from tests.e2e.conftest import BotProcess, bot_folder, start_bot, stop
from tests.e2e.fake_discord import FLAG_EPHEMERAL, FakeDiscord
from tests.local_http import serve
from tests.retrieval.sources.test_index_sources import HARBOUR, PAGE

pytestmark = pytest.mark.e2e

TIMEOUT = 120.0
TOPIC = "harbour storm repairs"
CYCLING = [
    "The city council approved eleven kilometres of new cycling lanes on Tuesday, after a vote of 31 to 12 in "
    "the town hall chamber.",
    "The lanes will link the railway station with the university campus and the northern suburbs, and work is "
    "due to start in the spring.",
    "Shop owners on the high street had asked for loading bays to be kept, and the plan now includes six of them.",
]


def article_page(title: str, paragraphs: list[str], published: str) -> bytes:
    html = PAGE.format(title=title, body="".join(f"<p>{p}</p>" for p in paragraphs))
    return html.replace("2026-11-20T09:00:00Z", f"{published}T09:00:00Z").encode()


class World:
    """The fake Discord, the bot's workspace and its clock, the people, and the running bot."""

    def __init__(self, fake: FakeDiscord, root: Path, site: str) -> None:
        self.fake, self.root, self.site = fake, root, site
        self.clock = root / "clock"
        self.alice, self.bob, self.mod = fake.add_user("alice"), fake.add_user("bob"), fake.add_user("mod")
        self.role = fake.add_role("Moderator")
        self.news, self.alerts = fake.channel_id("news"), fake.channel_id("alerts")
        self.bot: BotProcess | None = None

    def set_clock(self, when: str) -> None:
        tmp = self.clock.with_suffix(".tmp")
        tmp.write_text(when, encoding="utf-8")
        os.replace(tmp, self.clock)

    def start(self) -> BotProcess:
        self.fake.presences.clear()  # start_bot waits for the new process's presence
        self.bot = start_bot(self.fake, self.root, **{CLOCK_ENV: str(self.clock)})
        return self.bot

    def stop(self) -> None:
        if self.bot is not None:
            stop(self.bot.proc)
            assert self.bot.proc.returncode == 0, self.bot.log_tail()
            self.bot = None

    def log_count(self, text: str) -> int:
        return (self.root / "citebot.log").read_text(encoding="utf-8", errors="replace").count(text)

    async def wait_log(self, text: str, count: int = 1, timeout: float = TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while self.log_count(text) < count:
            assert self.bot is not None
            self.bot.assert_alive()
            assert time.monotonic() < deadline, f"no {text!r} ×{count} in the log:\n{self.bot.log_tail()}"
            await asyncio.sleep(0.2)

    def posted(self, channel_id: int) -> list[dict]:
        return [m for m in self.fake.bot_messages() if m["channel_id"] == str(channel_id)]

    def dms(self, user: dict) -> list[dict]:
        cid = self.fake.dm_channel_of(user)
        return [] if cid is None else self.posted(cid)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, sample_data_dir: Path, embedder) -> Iterator[World]:
    routes = {
        "/harbour": article_page("Harbour reopens after storm repairs", HARBOUR, "2026-11-20"),
        "/cycling": article_page("Council approves new cycling lanes", CYCLING, "2026-11-21"),
    }
    with serve(lambda path: (200, routes[path], "text/html; charset=utf-8") if path in routes else
               (404, b"not found", "text/plain")) as site:
        fake = FakeDiscord(heartbeat_interval_ms=2000, heartbeat_grace_s=4.0,
                           channel_names=("general", "news", "alerts")).start_in_thread()
        try:
            root = tmp_path_factory.mktemp("digest")
            world = World(fake, root, site)
            bot_folder(root, sample_data_dir, embedder, [
                "[discord]", f"guild_ids = [{fake.guild_id}]", f"admin_role_ids = [{world.role}]",
                "[digest]", 'timezone = "UTC"', "check_seconds = 0.5",
                "[fetch]", "allow_private_addresses = true",
            ])
            world.set_clock("2026-11-19T07:00:00")
            world.start()
            try:
                yield world
            finally:
                world.stop()
        finally:
            fake.stop_thread()


async def reply_of(interaction) -> str:
    ack = (await interaction.wait_ack(timeout=10)).payload
    assert ack["type"] == 4 and ack["data"]["flags"] == FLAG_EPHEMERAL, ack
    return ack["data"]["content"]


async def test_digest_and_alerts_over_four_days(world: World) -> None:
    fake, site = world.fake, world.site
    admin = {"user": world.mod, "roles": [world.role]}

    # Setting up: admins only for a digest and a channel's alerts; anyone for their own alerts.
    assert "Only admins" in await reply_of(await fake.invoke("digest", {"channel": str(world.news), "time": "08:00"},
                                                              user=world.alice))
    bad = await fake.invoke("digest", {"channel": str(world.news), "time": "8 o'clock"}, **admin)
    assert "is not a time of day" in await reply_of(bad)
    done = await reply_of(await fake.invoke("digest", {"channel": str(world.news), "time": "08:00"}, **admin))
    assert f"<#{world.news}> at 08:00 (UTC), the first one today" in done, done
    assert "Only admins" in await reply_of(await fake.invoke("follow", {"topic": TOPIC, "channel": str(world.alerts)},
                                                              user=world.alice))
    assert "to you by DM" in await reply_of(await fake.invoke("follow", {"topic": TOPIC}, user=world.alice))
    assert f"in <#{world.alerts}>" in await reply_of(
        await fake.invoke("follow", {"topic": TOPIC, "channel": str(world.alerts)}, **admin))

    # 19 Nov, 08:00: the digest is due, but nothing was published the day before or that day: no message.
    world.set_clock("2026-11-19T08:00:30")
    await world.wait_log("no news for the digest of channel")
    assert world.posted(world.news) == []

    # New articles: the harbour matches the topic (one alert to alice by DM, one in #alerts); cycling does not.
    for path in ("/harbour", "/cycling"):
        added = await fake.invoke("add", {"url": f"{site}{path}"}, **admin)
        assert (await added.wait_answer(timeout=TIMEOUT))["embeds"][0]["title"] == "Article added"
    await world.wait_log("topic alerts for 1 new article(s)", count=2)
    expected = (f"New on “{TOPIC}”: [Harbour reopens after storm repairs](<{site}/harbour>) · Coast News · "
                "20 Nov 2026\n> ")
    for messages in (world.dms(world.alice), world.posted(world.alerts)):
        assert len(messages) == 1, messages
        (alert,) = messages
        assert alert["content"].startswith(expected), alert["content"]
        assert "storm repairs" in alert["content"].split("\n> ")[1]
        assert alert["_allowed_mentions"]["parse"] == [] and alert["_pings"] == []
    assert world.log_count("topic alerts for 1 new article(s): 2 sent") == 1
    assert world.log_count("topic alerts for 1 new article(s): 0 sent") == 1  # cycling: nobody
    again = await fake.invoke("add", {"url": f"{site}/harbour"}, **admin)  # known already: no second alert
    assert "already indexed" in (await again.wait_answer(timeout=TIMEOUT))["embeds"][0]["title"]
    assert len(world.dms(world.alice)) == 1 and world.dms(world.bob) == []

    # 20 Nov: nothing before 08:00; at 08:00 the day's digest, once.
    world.set_clock("2026-11-20T07:59:00")
    await asyncio.sleep(2.0)
    assert world.posted(world.news) == []
    world.set_clock("2026-11-20T08:00:30")
    first = await fake.wait_message(channel_id=world.news, timeout=TIMEOUT)
    embed = first["embeds"][0]
    assert embed["title"] == "Daily digest · Fri 20 Nov 2026", embed
    assert "Harbour reopens after storm repairs" in embed["description"] and f"<{site}/harbour" in embed["description"]
    assert "cycling" not in embed["description"]  # published on the 21st
    assert first["_allowed_mentions"]["parse"] == [] and first["_pings"] == []

    # A restart the same day: no second digest.
    world.stop()
    world.set_clock("2026-11-20T09:00:00")
    world.start()
    await asyncio.sleep(3.0)
    assert len(world.posted(world.news)) == 1

    # Down over the next day's 08:00: posted at start, the same day, without what the last digest had.
    world.stop()
    world.set_clock("2026-11-21T10:00:00")
    world.start()
    await world.wait_log("posted the digest of 2026-11-21")
    second = world.posted(world.news)[1]
    assert second["embeds"][0]["title"] == "Daily digest · Sat 21 Nov 2026"
    assert "cycling lanes" in second["embeds"][0]["description"]
    assert "Harbour" not in second["embeds"][0]["description"]

    # 23 Nov: nothing published on the 22nd or the 23rd: no digest.
    world.set_clock("2026-11-23T08:30:00")
    await world.wait_log("no news for the digest of channel", count=2)
    assert len(world.posted(world.news)) == 2

    # Managing follows: /following lists them, /unfollow (autocomplete) stops one.
    listing = await reply_of(await fake.invoke("following", user=world.alice))
    assert f"“{TOPIC}” (by DM)" in listing and f"“{TOPIC}” (in <#{world.alerts}>)" in listing
    choices = await (await fake.autocomplete("unfollow", "topic", "harb", user=world.alice)).wait_choices()
    assert [c["name"] for c in choices] == [f"{TOPIC} (by DM)"]  # a member sees only their own
    stopped = await reply_of(await fake.invoke("unfollow", {"topic": choices[0]["value"]}, user=world.alice))
    assert stopped == f"Stopped following “{TOPIC}” (by DM)."
    assert "No topics followed" not in await reply_of(await fake.invoke("following", user=world.alice))
    assert json.dumps(world.posted(world.news)).count("Daily digest") == 2
