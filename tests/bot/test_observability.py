"""What the bot did, for logs and /status: the answered-question log line, counters, percentiles, last errors."""

from __future__ import annotations

import logging

from bot.observability import LAST_ERRORS, Stats, log_answered, user_hash


def test_a_user_is_a_stable_pseudonym_never_the_id():
    assert user_hash(123456789) == user_hash(123456789) != user_hash(123456788)
    assert "123456789" not in user_hash(123456789) and len(user_hash(1)) == 10


def test_status_rows_show_the_queue_refusals_times_and_last_errors():
    stats = Stats()
    assert stats.percentile(0.5) is None
    rows = dict(stats.status_rows(0, 50))
    assert rows["Refused"] == "none (rate-limit hits: 0)" and "Answer time" not in rows and "Last errors" not in rows
    stats.refused.update(["rate_limit", "rate_limit", "busy"])
    stats.latencies.extend([0.1, 0.2, 0.3, 0.4, 2.0])
    for n in range(LAST_ERRORS + 2):
        stats.error(f"error {n}")
    rows = dict(stats.status_rows(3, 50))
    assert rows["Queue"] == "3 question(s) waiting or being answered (limit 50)"
    assert rows["Refused"] == "busy 1, rate limit 2 (rate-limit hits: 2)"
    assert rows["Answer time"] == "p50 300 ms · p95 2000 ms"
    shown = rows["Last errors"].splitlines()
    assert len(shown) == LAST_ERRORS and shown[0].endswith("error 2") and shown[-1].endswith(f"error {LAST_ERRORS + 1}")


def test_one_log_line_per_answered_question(caplog):
    with caplog.at_level(logging.INFO, logger="citebot.questions"):
        log_answered(question_id=7, via="/ask", user_id=42, latency_s=0.2504, queue_wait_s=0.01, found=True,
                     top_score=0.61234, delivered=False)
        log_answered(question_id=8, via="message", user_id=42, latency_s=1, queue_wait_s=0, found=None,
                     top_score=None, delivered=True)
    first, second = caplog.messages
    assert first == (f"question 7 via /ask: found=true top_score=0.612 latency_ms=250 queue_wait_ms=10 "
                     f"user={user_hash(42)} delivered=false")
    assert "found=- top_score=-" in second and "42" not in second.replace(user_hash(42), "")
