"""One bot on two shards (the emulator recommends 2): each server's events come on its own shard's connection,
each server is answered from its own articles, a zombie shard is resumed alone while the other keeps answering, and
a shard whose session is invalidated catches up on its own channels' questions. A bot and a fake of their own (two
guilds, one per shard)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import BotProcess, bot_folder, running_bot
from tests.e2e.fake_discord import PERM_MANAGE_GUILD, FakeDiscord, GatewaySession
from tests.local_http import serve
from tests.retrieval.sources.test_index_sources import HARBOUR, page

pytestmark = pytest.mark.e2e

TIMEOUT = 120.0
HARBOUR_TITLE = "Harbour reopens after storm repairs"
HARBOUR_QUESTION = "Which ferry was the first ship to dock in Port Elsworth?"
LIBRARY_TITLE = "Kestrel Falls library reopens"
LIBRARY = [
    "The town library of Kestrel Falls reopened on Saturday after a year-long restoration of its Victorian reading "
    "room, the borough council said in a statement.",
    "Volunteers catalogued 18,400 books during the closure, and the oldest of them, an atlas printed in 1612, is now "
    "shown in a climate-controlled case by the entrance.",
    "The first visitor through the doors was the retired teacher Margaret Oduya, who had queued since dawn with her "
    "granddaughter.",
]
LIBRARY_QUESTION = "Who was the first visitor through the doors of the Kestrel Falls library?"
TIMEOUT_S = 8  # [discord] heartbeat_timeout_s: a zombie shard is noticed within this (probed after a third)
DISCORD_INTERVAL_MS = 41250  # Discord's heartbeat interval: only the watch's probes keep a quiet shard heard


@pytest.fixture(scope="module")
def sharded(tmp_path_factory, sample_data_dir: Path, embedder) -> Iterator[tuple[FakeDiscord, BotProcess, dict]]:
    fake = FakeDiscord(shards=2, heartbeat_interval_ms=DISCORD_INTERVAL_MS, heartbeat_grace_s=5.0)
    b = fake.add_guild("Server B", ("b-news",), shard=1)
    assert (fake.shard_of(fake.guild_id), fake.shard_of(b)) == (0, 1)
    fake.start_in_thread()
    pages = {"/harbour": page(HARBOUR_TITLE, HARBOUR), "/library": page(LIBRARY_TITLE, LIBRARY)}

    def respond(path: str) -> tuple[int, bytes, str]:
        return (200, pages[path], "text/html; charset=utf-8") if path in pages else (404, b"no", "text/html")

    answer_channels = [fake.channel_id("ask-the-news"), fake.channel_id("b-news")]
    root = bot_folder(tmp_path_factory.mktemp("citebot-shards"), sample_data_dir, embedder, [
        "[discord]", f"heartbeat_timeout_s = {TIMEOUT_S}", f"answer_channel_ids = {answer_channels}",
        "[fetch]", "allow_private_addresses = true",
        "[limits]", "user_questions = 10000", "channel_questions = 10000", "duplicate_window_s = 0",
    ])
    try:
        with serve(respond) as base, running_bot(fake, root) as bot:
            yield fake, bot, {"a": fake.channel_id("general"), "a_answers": fake.channel_id("ask-the-news"),
                              "b": fake.channel_id("b-news"), "base": base}
    finally:
        fake.stop_thread()


def live_sessions(fake: FakeDiscord) -> dict[int, GatewaySession]:
    """The ready, open connection of each shard."""
    return {s.shard[0]: s for s in fake.sessions if s.ready and not s.ws.closed}


async def ask(fake: FakeDiscord, channel: int, question: str, user: dict) -> str:
    """/ask in ``channel``: the answer as JSON text."""
    interaction = await fake.invoke("ask", {"question": question}, user=user, channel_id=channel)
    return json.dumps(await interaction.wait_answer(timeout=TIMEOUT), ensure_ascii=False)


async def add_articles(fake: FakeDiscord, ch: dict) -> None:
    """Once per module: server A's admin /adds the harbour page in A, B's admin the library page in B."""
    if ch.get("added"):
        return
    for channel, path, admin in ((ch["a"], "/harbour", "a-admin"), (ch["b"], "/library", "b-admin")):
        added = await fake.invoke("add", {"url": ch["base"] + path}, user=fake.add_user(admin), channel_id=channel,
                                  permissions=PERM_MANAGE_GUILD)
        assert "Article added" in json.dumps(await added.wait_answer(timeout=TIMEOUT))
    ch["added"] = True


def catch_ups(bot: BotProcess) -> list[str]:
    """The log lines of the catch-ups after new sessions ("new session: read N channel(s) … (shard S)")."""
    return [line for line in bot.log.read_text(encoding="utf-8").splitlines() if "new session: read" in line]


def reply_to(fake: FakeDiscord, question: dict) -> dict | None:
    return next((m for m in fake.bot_messages() if (m.get("message_reference") or {}).get("message_id")
                 == question["id"]), None)


async def test_two_shards_each_carry_their_server_and_answer_from_its_articles(sharded) -> None:
    fake, bot, ch = sharded
    assert sorted(p["shard"] for p in fake.identify_payloads) == [[0, 2], [1, 2]]  # the recommended count
    assert sorted(live_sessions(fake)) == [0, 1]
    assert sum("articles" in json.dumps(p) for p in fake.presences) >= 2  # the presence is on both shards
    # each shard's first session read its own server's answer channel
    assert sorted(line.split("(shard ")[1] for line in catch_ups(bot)) == ["0)", "1)"]
    assert all("read 1 channel(s)" in line for line in catch_ups(bot))
    reader = fake.add_user("reader")
    await add_articles(fake, ch)

    assert "Saint Brendan" in await ask(fake, ch["a"], HARBOUR_QUESTION, reader)
    assert "Margaret Oduya" in await ask(fake, ch["b"], LIBRARY_QUESTION, reader)
    assert "Saint Brendan" not in await ask(fake, ch["b"], HARBOUR_QUESTION, reader)
    assert "Margaret Oduya" not in await ask(fake, ch["a"], LIBRARY_QUESTION, reader)
    mention = await fake.send_message(f"<@{fake.app_id}> {LIBRARY_QUESTION}", author=reader, channel_id=ch["b"])
    await fake.wait_for_condition(lambda: reply_to(fake, mention) is not None, timeout=TIMEOUT)
    assert "Margaret Oduya" in json.dumps(reply_to(fake, mention))
    bot.assert_alive()


async def test_a_zombie_shard_is_resumed_alone_while_the_other_keeps_answering(sharded) -> None:
    fake, bot, ch = sharded
    reader = fake.add_user("zombie-reader")
    await add_articles(fake, ch)
    before = live_sessions(fake)
    await asyncio.sleep(2 * TIMEOUT_S)  # quiet servers: only the watch's probes on either connection
    assert live_sessions(fake) == before, "a live shard was dropped"

    at = await fake.gateway_fault("zombie", shard=0)  # shard 0 (server A) receives nothing from now on
    lost = await fake.send_message(f"<@{fake.app_id}> {HARBOUR_QUESTION}", author=reader, channel_id=ch["a"],
                                   while_away=True)
    started = time.monotonic()
    answer = await ask(fake, ch["b"], LIBRARY_QUESTION, reader)  # shard 1 answers while shard 0 is a zombie
    answered_s = time.monotonic() - started
    assert "Margaret Oduya" in answer
    assert not [t for t, _ in fake.ready_at if t > at], "shard 1 answered only once shard 0 was back"

    recovered = await fake.wait_recovered(at, timeout=4 * TIMEOUT_S)
    await fake.wait_for_condition(lambda: reply_to(fake, lost) is not None, timeout=TIMEOUT)
    assert "Saint Brendan" in json.dumps(reply_to(fake, lost))  # replayed on RESUME, answered once resumed
    assert [kind for t, kind in fake.ready_at if t > at] == ["RESUMED"]  # shard 0 only, its session resumed
    after = live_sessions(fake)
    assert after[1] is before[1] and after[0] is not before[0]  # shard 1's connection never dropped
    assert after[0].shard == (0, 2)
    assert recovered < TIMEOUT_S + 5
    assert "Margaret Oduya" in await ask(fake, ch["b"], LIBRARY_QUESTION, reader)
    assert "Saint Brendan" in await ask(fake, ch["a"], HARBOUR_QUESTION, reader)
    bot.assert_alive()
    print(f"\nFIGURES shard zombie: timeout_s={TIMEOUT_S} detected_and_resumed_s={recovered:.2f} "
          f"other_shard_answer_s={answered_s:.2f}")


async def test_a_shard_that_identifies_anew_answers_what_its_servers_asked_meanwhile(sharded) -> None:
    fake, bot, ch = sharded
    reader = fake.add_user("away-reader")
    await add_articles(fake, ch)
    before, caught_up, shown = live_sessions(fake), len(catch_ups(bot)), len(fake.presences)
    fake.hold_ready = True  # op 9 on shard 0: it identifies again, but its new session is not READY yet
    try:
        at = await fake.gateway_fault("invalid-session", shard=0)
        await fake.wait_for_condition(lambda: 0 not in live_sessions(fake), timeout=10)
        asked = await fake.send_message(HARBOUR_QUESTION, author=reader, channel_id=ch["a_answers"], while_away=True)
        assert "Margaret Oduya" in await ask(fake, ch["b"], LIBRARY_QUESTION, reader)  # shard 1 answers meanwhile
    finally:
        fake.hold_ready = False
    await fake.wait_recovered(at, timeout=60)
    await fake.wait_for_condition(lambda: reply_to(fake, asked) is not None, timeout=TIMEOUT)
    assert "Saint Brendan" in json.dumps(reply_to(fake, asked))
    assert [kind for t, kind in fake.ready_at if t > at] == ["READY"]
    assert live_sessions(fake)[1] is before[1]  # shard 1 kept its session
    new = catch_ups(bot)[caught_up:]
    assert len(new) == 1 and new[0].endswith("read 1 channel(s), 1 question(s) asked while away to answer (shard 0)")
    # the new session (identified with the start-up presence) is shown the article count again
    await fake.wait_for_condition(lambda: any("articles" in json.dumps(p) for p in fake.presences[shown:]), timeout=30)
    await asyncio.sleep(2.0)
    assert len([m for m in fake.bot_messages() if (m.get("message_reference") or {}).get("message_id")
                == asked["id"]]) == 1
    bot.assert_alive()
