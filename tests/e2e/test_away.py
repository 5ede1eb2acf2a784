"""Questions asked while the bot was away (an invalidated session, a restart) are answered once, late."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import BotProcess, bot_folder, start_bot, stop
from tests.e2e.fake_discord import FakeDiscord

pytestmark = pytest.mark.e2e

QUESTIONS = (
    "Who is the British ambassador to Ukraine?",
    "How many troops has Russia gathered on Ukraine's border?",
    "What did the central bank decide about interest rates?",
)
CAUGHT_UP = "new session: read"
DISCORD_INTERVAL_MS = 41250  # Discord's heartbeat interval: the bot's default heartbeat_timeout_s (15) is shorter
QUIET_S = 45.0  # longer than one interval with nothing sent: a live connection must not be taken for a zombie
LATE_S = 20.0  # each question asked while away is answered within this of the new session


@pytest.fixture(scope="module")
def away(tmp_path_factory, sample_data_dir: Path, embedder) -> Iterator[tuple[FakeDiscord, list[BotProcess], Path]]:
    """A fake with one answer channel and a bot (restartable: the list holds the running one)."""
    fake = FakeDiscord(heartbeat_interval_ms=DISCORD_INTERVAL_MS, heartbeat_grace_s=5.0).start_in_thread()
    root = bot_folder(tmp_path_factory.mktemp("citebot-away"), sample_data_dir, embedder, [
        "[discord]", f"guild_ids = [{fake.guild_id}]", f"answer_channel_ids = [{fake.channel_id('ask-the-news')}]",
        "[limits]", "user_questions = 100", "duplicate_window_s = 0",
    ])
    bots = [start_bot(fake, root)]
    try:
        yield fake, bots, root
    finally:
        stop(bots[-1].proc)
        fake.stop_thread()


def replies(fake: FakeDiscord, question: dict) -> list[dict]:
    return [m for m in fake.bot_messages() if (m.get("message_reference") or {}).get("message_id") == question["id"]]


async def wait_replied(fake: FakeDiscord, questions: list[dict], timeout: float) -> float:
    """Seconds until every question has a reply (fails after ``timeout``)."""
    started = time.monotonic()
    await fake.wait_for_condition(lambda: all(replies(fake, q) for q in questions), timeout=timeout)
    return time.monotonic() - started


def catch_ups(bot: BotProcess) -> list[str]:
    return [line for line in bot.log.read_text(encoding="utf-8").splitlines() if CAUGHT_UP in line]


async def test_questions_asked_during_an_invalid_session_are_answered_once(away) -> None:
    fake, bots, _ = away
    channel = fake.channel_id("ask-the-news")
    alice = fake.add_user("alice")
    live = await fake.send_message(QUESTIONS[0], author=alice, channel_id=channel)
    await wait_replied(fake, [live], timeout=120)
    fake.hold_ready = True  # op 9: the bot identifies again, but its new session is not READY yet
    try:
        at = await fake.gateway_fault("invalid-session")
        await fake.wait_for_condition(lambda: not any(s.ready and not s.ws.closed for s in fake.sessions), timeout=10)
        asked = [await fake.send_message(q, author=alice, channel_id=channel, while_away=True) for q in QUESTIONS]
    finally:
        fake.hold_ready = False
    recovered = await fake.wait_recovered(at, timeout=60)
    late = await wait_replied(fake, asked, timeout=LATE_S)
    await asyncio.sleep(3.0)  # a second copy would come right after the first
    assert [len(replies(fake, q)) for q in [live, *asked]] == [1, 1, 1, 1]
    assert "READY" in [kind for t, kind in fake.ready_at if t > at]
    print(f"\nFIGURES op9: recovered_s={recovered:.2f} late_answers_s={late:.2f} questions={len(asked)}")


async def test_a_zombie_connection_is_resumed_within_15_s_and_its_lost_questions_answered(away) -> None:
    fake, bots, _ = away
    channel = fake.channel_id("ask-the-news")
    carol = fake.add_user("carol")
    (session,) = [s for s in fake.sessions if s.ready and not s.ws.closed]
    beats, sessions_before = session.heartbeats, len(fake.ready_at)
    await asyncio.sleep(QUIET_S)  # a quiet guild: only heartbeats on the connection
    assert len(fake.ready_at) == sessions_before and not session.ws.closed, "a live connection was dropped"
    probes = session.heartbeats - beats - 1  # at most one regular heartbeat in 45 s
    assert probes >= 3
    at = await fake.gateway_fault("zombie")  # from now on the bot receives nothing
    asked = [await fake.send_message(q, author=carol, channel_id=channel, while_away=True) for q in QUESTIONS[:2]]
    recovered = await fake.wait_recovered(at, timeout=30)
    late = await wait_replied(fake, asked, timeout=LATE_S)
    await asyncio.sleep(2.0)
    assert [len(replies(fake, q)) for q in asked] == [1, 1]
    assert [kind for t, kind in fake.ready_at if t > at] == ["RESUMED"] and fake.replayed >= 2
    assert recovered < 17.0
    bots[-1].assert_alive()
    print(f"\nFIGURES zombie: quiet_s={QUIET_S} probes={probes} detected_and_resumed_s={recovered:.2f} "
          f"answers_after_resume_s={late:.2f}")


async def test_a_question_asked_while_the_bot_was_down_is_answered_once_across_restarts(away) -> None:
    fake, bots, root = away
    channel = fake.channel_id("ask-the-news")
    bob = fake.add_user("bob")
    stop(bots[-1].proc)
    question = await fake.send_message(QUESTIONS[1], author=bob, channel_id=channel, while_away=True)
    chatter = await fake.send_message("nice weather today", author=bob, channel_id=channel, while_away=True)
    fake.presences.clear()  # start_bot waits for a fresh "watching N articles"
    started = time.monotonic()
    bots.append(start_bot(fake, root))
    await wait_replied(fake, [question], timeout=120)
    print(f"\nFIGURES restart: process_start_to_answer_s={time.monotonic() - started:.1f}")
    stop(bots[-1].proc)
    fake.presences.clear()
    before = len(catch_ups(bots[-1]))  # the log file is appended to by each run
    bots.append(start_bot(fake, root))
    await fake.wait_for_condition(lambda: len(catch_ups(bots[-1])) > before, timeout=60)
    assert "0 question(s)" in catch_ups(bots[-1])[-1]
    await asyncio.sleep(2.0)
    assert len(replies(fake, question)) == 1
    assert replies(fake, chatter) == []
