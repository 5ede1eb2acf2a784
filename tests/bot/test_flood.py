"""Flood control decisions (bot/flood.py) with a hand-driven clock: rate limits, the bounded queue, repeats."""

from __future__ import annotations

import math

from bot.config import LimitsSettings
from bot.discord_app import ANSWERS_AT_ONCE
from bot.flood import FloodGate, question_key, queue_limit
from retrieval.library import Library
from tests.bot.cogs.interactions import make_bot


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def gate(**limits) -> tuple[FloodGate, Clock]:
    clock = Clock()
    return FloodGate(LimitsSettings(**limits), slots=4, clock=clock), clock


def test_per_user_limit_refuses_with_the_wait_and_recovers():
    flood, clock = gate(user_questions=2, user_window_s=60)
    assert flood.admit(1, 10, "first question", 100) is None
    clock.now += 10
    assert flood.admit(1, 10, "second question", 101) is None
    refusal = flood.admit(1, 10, "third question", 102)
    assert refusal.kind == "rate_limit" and "Rate limit" in refusal.text and "try again in 50 s" in refusal.text
    assert flood.admit(2, 10, "third question", 103) is None  # another person is not limited
    clock.now += 50.5
    assert flood.admit(1, 10, "third question", 104) is None


def test_per_channel_limit():
    flood, _ = gate(channel_questions=2, channel_window_s=60)
    assert flood.admit(1, 10, "a question", 1) is None
    assert flood.admit(2, 10, "b question", 2) is None
    refusal = flood.admit(3, 10, "c question", 3)
    assert refusal.kind == "rate_limit" and "in this channel" in refusal.text and "try again in 60 s" in refusal.text
    assert flood.admit(3, 11, "c question", 4) is None  # another channel


def test_bounded_queue_says_busy_until_answers_finish():
    flood, _ = gate(queue_size=2)
    assert flood.admit(1, 10, "a question", 1) is None
    assert flood.admit(2, 10, "b question", 2) is None
    refusal = flood.admit(3, 10, "c question", 3)
    assert refusal.kind == "busy" and "busy" in refusal.text and "try again in" in refusal.text
    flood.done(0.2)
    assert flood.pending == 1 and flood.admit(3, 10, "c question", 4) is None


def test_the_queue_is_sized_from_what_a_channel_can_be_sent_a_minute():
    # Discord: 5 messages per 5 s in a channel = 60 a minute, each carrying up to 5 answers (bot/batching.py)
    flood, _ = gate(user_questions=1000, channel_questions=1000)  # queue_size absent: derived
    assert flood.queue_size == 300 == queue_limit(LimitsSettings(queue_size=0))
    assert all(flood.admit(n, 10, f"question {n}", n) is None for n in range(300))
    assert flood.admit(300, 10, "one more question", 300).kind == "busy"
    assert flood.admit(301, 11, "another server", 301, server=2) is None  # per server
    assert gate(queue_size=7)[0].queue_size == 7  # an explicit queue_size overrides


def test_repeated_question_points_at_the_first_answer():
    flood, clock = gate(duplicate_window_s=30)
    assert flood.admit(1, 10, "Who is the ambassador?", 1) is None
    pending = flood.admit(1, 10, "who is the ambassador", 2)
    assert pending.kind == "duplicate" and "on its way" in pending.text
    flood.done()
    flood.delivered(1, "Who is the ambassador?", "https://discord.com/channels/1/10/99")
    clock.now += 5
    pointer = flood.admit(1, 10, "WHO IS THE AMBASSADOR ?!", 3)
    assert pointer.kind == "duplicate" and "5 s ago" in pointer.text and "/channels/1/10/99" in pointer.text
    assert flood.admit(2, 10, "Who is the ambassador?", 4) is None  # someone else asking is not a repeat
    clock.now += 30
    assert flood.admit(1, 10, "Who is the ambassador?", 5) is None  # after the window it is asked again


def test_repeats_do_not_count_against_the_rate_limit():
    flood, _ = gate(user_questions=1, duplicate_window_s=30)
    assert flood.admit(1, 10, "one question", 1) is None
    assert flood.admit(1, 10, "one question", 2).kind == "duplicate"
    assert flood.admit(1, 10, "another question", 3).kind == "rate_limit"


def test_question_key_ignores_case_spacing_and_punctuation():
    assert question_key("  Who is  the ambassador?? ") == question_key("who is the ambassador")
    assert question_key("Who is the ambassador?") != question_key("Who was the ambassador?")


def test_each_server_has_a_queue_of_its_own():
    flood, _ = gate(queue_size=2, user_questions=100, channel_questions=100)
    assert flood.admit(1, 10, "a question", 1, server=111) is None
    assert flood.admit(2, 10, "b question", 2, server=111) is None
    assert flood.admit(3, 10, "c question", 3, server=111).kind == "busy"  # server 111 is flooding
    assert flood.admit(4, 20, "d question", 4, server=222) is None  # another server is not busy for it
    assert flood.pending == 3
    flood.done(0.5, server=111)
    assert flood.admit(3, 10, "c question", 5, server=111) is None


def test_the_bots_busy_wait_is_its_queue_answered_as_many_at_a_time_as_answers_run(tmp_path, embedder):
    flood = make_bot(Library(tmp_path, embedder)).flood
    for n in range(flood.queue_size):
        assert flood.admit(n, n, f"question {n}", n, server=7) is None
    flood.answer_seconds = 2.0
    refusal = flood.admit(999, 999, "one more", 999, server=7)
    wait = math.ceil(2.0 * flood.queue_size / ANSWERS_AT_ONCE)  # answers run one at a time: 2 s each, in turn
    assert ANSWERS_AT_ONCE == 1 and wait == 2 * flood.queue_size
    assert refusal.text == f"I'm busy with {flood.queue_size} questions — try again in {wait} s."
    assert refusal.retry_after == wait
