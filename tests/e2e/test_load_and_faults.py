"""Load and faults through the emulator: a burst of 500 questions under Discord-like rate limits, a 30 s window of
502s, 429s on sends, gateway closes and a zombie connection, flaky /ask acknowledgements.

A second `citebot run` (its own fake, 25 channels, flood limits on) so the feature tests keep their quiet world.
Each test asserts what a user would notice (every question gets exactly one reply; nothing is lost or doubled)
and prints its figures on a ``FIGURES`` line (docs/benchmarks.md records a run: ``pytest -s -k load_and_faults``).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import statistics
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

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
from tests.e2e.fake_discord import FakeDiscord

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CHANNELS = 25
USERS = 50
QUESTIONS = [
    "Who is the British ambassador to Ukraine?",
    "How many troops has Russia gathered on Ukraine's border?",
    "What are the three major types of rock?",
    "What is the rock cycle?",
    "How large is the Amazon rainforest?",
    "Which countries does the Amazon rainforest cover?",
    "What share of GDP is construction in developed countries?",
    "What is a megaproject in construction?",
    "Which countries urged citizens to leave Ukraine?",
    "How is an igneous rock formed?",
]
REFUSAL_WORDS = ("rate limit", "busy", "try again in", "you asked this")


def figures(name: str, **values) -> None:
    print(f"\nFIGURES {name} {json.dumps(values)}")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


@pytest.fixture(scope="module")
def stress(tmp_path_factory, sample_data_dir: Path, embedder) -> Iterator[tuple[FakeDiscord, BotProcess]]:
    """A fake with 25 (+3) channels and Discord's rate limits, and a bot with flood control as configured below."""
    fake = FakeDiscord(
        heartbeat_interval_ms=2000,
        heartbeat_grace_s=4.0,
        channel_names=tuple(f"room-{i:02d}" for i in range(CHANNELS + 3)),  # 3 more for the 60-question burst
    ).start_in_thread()
    root = tmp_path_factory.mktemp("citebot-stress")
    shutil.copytree(SAMPLES, root / "articles")
    copy_data_dir(sample_data_dir, root / "data")
    copy_cache(embedder, root / "data" / CACHE_FILE)
    (root / "config.toml").write_text(
        "\n".join([
            "[data]", f"dir = {json.dumps(str(root / 'data'))}",
            "[articles]", f"folders = [{json.dumps(str(root / 'articles'))}]",
            "[discord]", f"guild_ids = [{fake.guild_id}]", "heartbeat_timeout_s = 5.0",
            "[limits]", "user_questions = 3", "user_window_s = 60", "channel_questions = 20",
            "channel_window_s = 60", "duplicate_window_s = 30", "delivery_deadline_s = 120",
            "",
        ]),
        encoding="utf-8",
    )
    try:
        bot = start_bot(fake, root)
        try:
            fake.enable_rate_limits(per_channel=(5, 5.0), global_per_s=50)
            yield fake, bot
        finally:
            stop(bot.proc)
    finally:
        fake.stop_thread()


class Users:
    """Fresh users for each test (the per-user rate limit remembers earlier ones)."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake, self.n = fake, 0

    def make(self, count: int) -> list[dict]:
        self.n += count
        return [self.fake.add_user(f"user{self.n - count + i}") for i in range(count)]


@pytest.fixture(scope="module")
def users(stress) -> Users:
    return Users(stress[0])


def channel_ids(fake: FakeDiscord) -> list[int]:
    return list(fake.channels)


def answered_in(message: dict) -> list[str]:
    """The question ids a bot message replies to: the one it references, and when it carries several replies
    (bot/batching.py) the question each embed's author line links to."""
    ids = [(message.get("message_reference") or {}).get("message_id")]
    ids += [str((e.get("author") or {}).get("url") or "").rsplit("/", 1)[-1] for e in message.get("embeds") or []]
    return [i for i in dict.fromkeys(ids) if i]


def replies_by_question(fake: FakeDiscord, since: int) -> dict[str, list]:
    """Question message id -> the bot's messages replying to it (with the time each was sent)."""
    replies: dict[str, list] = defaultdict(list)
    for sent in fake.sent[since:]:
        if sent.kind == "message" and sent.message:
            for ref in answered_in(sent.message):
                replies[ref].append(sent)
    return replies


def text_of(message: dict, question_id: str | None = None) -> str:
    """The reply's text; in a message carrying several replies, only the embed for ``question_id``."""
    embeds = message.get("embeds") or []
    if question_id is not None and len(embeds) > 1:
        embeds = [e for e in embeds if str((e.get("author") or {}).get("url") or "").endswith(f"/{question_id}")]
    return (message.get("content") or "") + " ".join(e.get("description") or "" for e in embeds)


async def ask_all(fake: FakeDiscord, items: list[tuple[dict, int, str]]) -> dict[str, float]:
    """Post each (user, channel, question) mentioning the bot; returns message id -> monotonic time posted."""
    posted = {}
    for user, channel, question in items:
        at = time.monotonic()
        message = await fake.send_message(f"<@{fake.app_id}> {question}", author=user, channel_id=channel)
        posted[message["id"]] = at
    return posted


async def wait_all_replied(fake: FakeDiscord, posted: dict[str, float], since: int, timeout: float) -> dict:
    await fake.wait_for_condition(
        lambda: all(q in replies_by_question(fake, since) for q in posted), timeout=timeout
    )
    await asyncio.sleep(3.0)  # a late duplicate would show up here
    return replies_by_question(fake, since)


async def test_first_question_after_start_does_not_wait_for_the_model(stress, users) -> None:
    """The model is loaded before the bot says it is ready: the first question is answered at query speed."""
    fake, bot = stress
    (person,) = users.make(1)
    mark = fake.mark()
    posted = await ask_all(fake, [(person, channel_ids(fake)[0], QUESTIONS[0])])
    replies = await wait_all_replied(fake, posted, mark, timeout=60)
    (qid, at), = posted.items()
    took = replies[qid][0].at - at
    assert "Melinda Simmons" in text_of(replies[qid][0].message)
    assert took < 5.0, f"the first question took {took:.1f} s (was the model loaded at start-up?)"
    assert f"question {qid} via message: found=true" in bot.log.read_text()  # the one line per answer
    figures("first-question", seconds=round(took, 2))


def most_in_a_window(times: list[float], window: float) -> int:
    """The most of ``times`` within any ``window`` seconds."""
    ordered = sorted(times)
    return max((sum(1 for t in ordered[i:] if t < start + window) for i, start in enumerate(ordered)), default=0)


async def test_a_busy_channel_gets_more_than_one_answer_a_second(stress, users) -> None:
    """60 questions from 20 people in 3 channels at once: each answered exactly once, no 429, and a channel got
    more answers within 5 s than Discord's 5 messages per 5 s could carry one by one (replies sent together)."""
    fake, bot = stress
    people = users.make(20)
    rooms = channel_ids(fake)[CHANNELS:]  # channels of its own: the 500 burst's rate limits stay as they were
    mark = fake.mark()
    limited = fake.faults["429-channel"] + fake.faults["429-global"]
    items = [(u, rooms[(i + r) % 3], QUESTIONS[(i + r) % 10]) for r in range(3) for i, u in enumerate(people)]
    started = time.monotonic()
    posted = await ask_all(fake, items)
    replies = await wait_all_replied(fake, posted, mark, timeout=180)
    took = time.monotonic() - started
    assert {q: len(replies[q]) for q in posted if len(replies[q]) != 1} == {}, "lost or doubled"
    texts = {q: text_of(replies[q][0].message, q).lower() for q in posted}
    refused = [q for q, t in texts.items() if any(w in t for w in REFUSAL_WORDS)]
    assert not refused, f"{len(refused)} refused: {texts[refused[0]]}"
    assert fake.faults["429-channel"] + fake.faults["429-global"] == limited, "a 429 was caused"
    messages = [s for s in fake.sent[mark:] if s.kind == "message" and s.message and answered_in(s.message)]
    assert all(s.message["_allowed_mentions"]["parse"] == [] and not s.message["_pings"] for s in messages)
    per_room: dict[str, list[float]] = defaultdict(list)
    for q in posted:
        per_room[replies[q][0].message["channel_id"]].append(replies[q][0].at)
    busiest = max(most_in_a_window(times, 5.0) for times in per_room.values())
    assert busiest > 5, f"at most {busiest} answers in 5 s in one channel (Discord lets 5 messages through)"
    together = [len(s.message["embeds"]) for s in messages if len(s.message["embeds"]) > 1]
    bot.assert_alive()
    figures("burst-60", questions=60, users=20, channels=3, seconds=round(took, 1), messages=len(messages),
            replies_per_message_max=max(together, default=1), batched_messages=len(together),
            most_answers_in_5s_one_channel=busiest, rate_limited_429=fake.faults["429-channel"] +
            fake.faults["429-global"] - limited,
            reply_p50_s=percentile([replies[q][0].at - at for q, at in posted.items()], 0.5),
            reply_p95_s=percentile([replies[q][0].at - at for q, at in posted.items()], 0.95))


async def test_burst_of_500_questions_from_50_users(stress, users) -> None:
    fake, bot = stress
    people = users.make(USERS)
    rooms = channel_ids(fake)
    mark = fake.mark()
    items = [(u, rooms[i % CHANNELS], QUESTIONS[r]) for r in range(10) for i, u in enumerate(people)]
    started = time.monotonic()
    posted = await ask_all(fake, items)
    replies = await wait_all_replied(fake, posted, mark, timeout=600)
    took = time.monotonic() - started
    assert len(posted) == 500
    doubled = {q: len(r) for q, r in replies.items() if len(r) > 1}
    assert not doubled, f"questions answered more than once: {doubled}"
    kinds: dict[str, list[float]] = defaultdict(list)
    for qid, at in posted.items():
        (sent,) = replies[qid]
        text = text_of(sent.message, qid).lower()
        kind = next((w for w in REFUSAL_WORDS if w in text), "answer")
        kinds["refused" if kind != "answer" else "answer"].append(sent.at - at)
        assert sent.message["_allowed_mentions"]["parse"] == [] and not sent.message["_pings"]
    assert kinds["answer"], "nothing was answered"
    typing = sum(1 for s in fake.sent[mark:] if s.kind == "typing")
    assert typing <= CHANNELS * (took / 8 + 2), f"{typing} typing calls in {took:.0f} s for {CHANNELS} channels"
    gaps = [s.max_gap for s in fake.sessions if s.ready]
    assert gaps and max(gaps) < 2.0 + 4.0, f"heartbeats late: {gaps}"
    bot.assert_alive()
    figures(
        "burst", questions=500, users=USERS, channels=CHANNELS, seconds=round(took, 1),
        answered=len(kinds["answer"]), refused=len(kinds["refused"]), typing_calls=typing,
        answer_p50_s=percentile(kinds["answer"], 0.5), answer_p95_s=percentile(kinds["answer"], 0.95),
        refusal_p50_s=percentile(kinds["refused"], 0.5) if kinds["refused"] else None,
        reply_p50_s=percentile(kinds["answer"] + kinds["refused"], 0.5),
        reply_p95_s=percentile(kinds["answer"] + kinds["refused"], 0.95),
        rate_limited_429=dict(fake.faults), max_heartbeat_gap_s=round(max(gaps), 2),
    )


async def test_repeated_question_gets_a_pointer_to_the_first_answer(stress, users) -> None:
    fake, _ = stress
    (person,) = users.make(1)
    room = channel_ids(fake)[3]
    mark = fake.mark()
    first = await ask_all(fake, [(person, room, QUESTIONS[0])])
    replies = await wait_all_replied(fake, first, mark, timeout=60)
    (answer,) = replies[next(iter(first))]
    again = await ask_all(fake, [(person, room, QUESTIONS[0].upper())])
    replies = await wait_all_replied(fake, again, mark, timeout=60)
    (pointer,) = replies[next(iter(again))]
    text = text_of(pointer.message)
    assert "You asked this" in text and answer.message["id"] in text


async def test_30_seconds_of_502_then_every_answer_arrives_once(stress, users) -> None:
    fake, bot = stress
    people = users.make(5)
    rooms = channel_ids(fake)
    mark = fake.mark()
    fake.fail_rest(30.0, 502)
    started = time.monotonic()
    posted = await ask_all(fake, [(u, rooms[10 + i], QUESTIONS[i]) for i, u in enumerate(people)])
    lost_ask = await fake.invoke("ask", {"question": QUESTIONS[5]}, user=users.make(1)[0], channel_id=rooms[20])
    replies = await wait_all_replied(fake, posted, mark, timeout=180)
    delivered = [replies[q][0].at - started for q in posted]
    assert all(len(replies[q]) == 1 for q in posted)
    assert all(d >= 30.0 for d in delivered)
    # The /ask could not be acknowledged inside its 3 s (every call was a 502): lost for any bot; the fake saw it
    # unacknowledged, and /status counts it.
    errors = fake.take_errors()
    assert [e.kind for e in errors] == ["unacknowledged"] and str(lost_ask.id) in errors[0].detail
    assert "lost" in bot.log_tail(400) and str(lost_ask.id) in bot.log.read_text()
    status = await fake.invoke("status", {}, user=users.make(1)[0], channel_id=rooms[21])
    fields = {f["name"]: f["value"] for f in (await status.wait_answer(timeout=60))["embeds"][0]["fields"]}
    assert "1 /ask not acknowledged" in fields["Failed sends"] and str(lost_ask.id) in fields["Last errors"]
    figures("rest-502", window_s=30, messages=len(posted), delivered_after_s=[round(d, 1) for d in delivered],
            duplicates=0, served_502=fake.faults["502"], lost_asks=1)


async def test_502_after_the_message_was_created_does_not_double_it(stress, users) -> None:
    fake, _ = stress
    people = users.make(4)
    rooms = channel_ids(fake)
    mark = fake.mark()
    hits = fake.faults["nonce-hit"]
    fake.fail_rest(4.0, 502, after_success=True)
    posted = await ask_all(fake, [(u, rooms[5 + i], QUESTIONS[i]) for i, u in enumerate(people)])
    replies = await wait_all_replied(fake, posted, mark, timeout=120)
    assert all(len(replies[q]) == 1 for q in posted), {q: len(replies[q]) for q in posted}
    figures("rest-502-after-success", messages=len(posted), nonce_hits=fake.faults["nonce-hit"] - hits)


async def test_429_with_retry_after_on_sends_is_delivered(stress, users) -> None:
    fake, _ = stress
    people = users.make(3)
    rooms = channel_ids(fake)
    mark = fake.mark()
    fake.fail_next_sends(3, 429, retry_after=1.5)
    started = time.monotonic()
    posted = await ask_all(fake, [(u, rooms[15 + i], QUESTIONS[i + 2]) for i, u in enumerate(people)])
    replies = await wait_all_replied(fake, posted, mark, timeout=60)
    assert all(len(replies[q]) == 1 for q in posted)
    figures("send-429", messages=3, delivered_after_s=[round(replies[q][0].at - started, 1) for q in posted])


@pytest.mark.parametrize("fault", ["close-1000", "close-1001", "close-4000", "reconnect", "invalid-session",
                                   "zombie"])
async def test_gateway_fault_is_recovered(stress, users, fault) -> None:
    fake, bot = stress
    at = await fake.gateway_fault(fault)
    recovered = await fake.wait_recovered(at, timeout=90)
    (person,) = users.make(1)
    mark = fake.mark()
    posted = await ask_all(fake, [(person, channel_ids(fake)[22], QUESTIONS[1])])
    replies = await wait_all_replied(fake, posted, mark, timeout=60)
    assert len(replies[next(iter(posted))]) == 1
    bot.assert_alive()
    figures("gateway", fault=fault, recovered_s=round(recovered, 2), how=[k for t, k in fake.ready_at if t > at][0])


async def test_flaky_acknowledgements_are_retried_within_3_seconds(stress, users) -> None:
    fake, _ = stress
    rooms = channel_ids(fake)
    served = sum(v for k, v in fake.faults.items() if k.endswith("-ack"))
    fake.flaky_acks(0.5, (500, 429), retry_after=0.25)
    try:
        interactions = []
        for i, person in enumerate(users.make(20)):
            interactions.append(await fake.invoke("ask", {"question": QUESTIONS[i % 10]}, user=person,
                                                  channel_id=rooms[i % CHANNELS]))
        answers = [await ix.wait_answer(timeout=120) for ix in interactions]
    finally:
        fake.flaky_acks(0)
    ack_times = [ix.acked_at - ix.created for ix in interactions]
    assert all(ix.response_type == 5 for ix in interactions) and max(ack_times) < 3.0
    assert all(a["embeds"] for a in answers)
    faults = sum(v for k, v in fake.faults.items() if k.endswith("-ack")) - served
    assert faults > 0
    figures("flaky-acks", asks=20, failed_ack_attempts=faults, ack_p50_s=round(statistics.median(ack_times), 3),
            ack_max_s=round(max(ack_times), 3), lost=0)
