"""The retry book of a feed's failed items: back-off that grows, given up after a limit, the entry's fields kept for
the retry, a summary by cause, and a stored state that survives JSON (a damaged one read as empty)."""

from __future__ import annotations

import json

from retrieval.sources.pages import PageFallback
from retrieval.sources.retry import RETRY_BASE, RETRY_GROWTH, RETRY_LIMIT, RetryBook, cause, failing

LINK = "https://news.example/harbour"


def test_retry_book_backs_off_then_gives_up():
    book = RetryBook()
    now = 1000.0
    book.failed("https://news.example/a?utm_source=x", "HTTP 404 Not Found", now)
    assert book.waiting("https://news.example/a", now + 1) and book.due(now + 1) == []
    waits = []
    for _ in range(RETRY_LIMIT - 1):
        (item,) = book.due(now + 10**9)
        waits.append(item.next_try - now)
        now = item.next_try
        book.failed(item.link, "HTTP 404 Not Found", now)
    assert waits == sorted(waits) and waits[0] >= 60  # each wait longer than the one before
    assert book.due(now + 10**9) == [] and len(book.given_up()) == 1
    assert book.summary() == "1 item(s) failing: HTTP 404 Not Found (1); 1 given up"
    restored = RetryBook.from_state({"failed": book.to_state()})
    assert restored.by_cause() == {"HTTP 404 Not Found": 1} and len(restored.given_up()) == 1
    restored.forget_given_up(set())  # the feed no longer lists it
    assert restored.summary() is None


def test_failure_causes_drop_details():
    assert cause("too short to be an article (42 words; a teaser, paywall or error page?)") == (
        "too short to be an article")
    assert cause("not a web page (application/pdf)") == "not a web page"
    assert cause("HTTP 404 Not Found") == "HTTP 404 Not Found"


def test_retries_back_off_then_give_up():
    book = RetryBook()
    item = book.failed(LINK, "HTTP 500", now=1000.0, fallback=PageFallback(title="Harbour", published="2024-03-01"))
    assert (item.tries, item.next_try, item.title, item.published) == (1, 1000.0 + RETRY_BASE, "Harbour", "2024-03-01")
    assert book.waiting("http://www.news.example/harbour/", 1001.0)  # the same item, however the link is written
    assert not book.waiting(LINK, 1000.0 + RETRY_BASE) and book.due(1000.0 + RETRY_BASE) == [item]
    book.failed(LINK, "HTTP 500", now=2000.0)
    assert item.next_try == 2000.0 + RETRY_BASE * RETRY_GROWTH
    for n in range(RETRY_LIMIT - 2):
        book.failed(LINK, "HTTP 500", now=3000.0 + n)
    assert item.given_up and book.waiting(LINK, 10**12) and book.due(10**12) == [] and book.pending() == []
    book.forget_given_up({"https://news.example/other"})
    assert book.items == {}


def test_success_clears_an_item_and_the_summary_counts_by_cause():
    book = RetryBook()
    book.failed(LINK, "HTTP 404: gone", 0.0)
    book.failed(LINK + "-2", "HTTP 404: gone", 0.0)
    book.failed(LINK + "-3", "too short to be an article (12 words)", 0.0)
    assert book.summary() == "3 item(s) failing: HTTP 404 (2); too short to be an article (1)"
    book.succeeded(LINK + "-3")
    assert book.by_cause() == {"HTTP 404": 2}
    assert RetryBook().summary() is None


def test_the_book_round_trips_through_the_sources_state():
    book = RetryBook()
    for _ in range(RETRY_LIMIT):
        book.failed(LINK, "HTTP 500", 0.0)
    state = json.dumps({"failed": book.to_state(), "etag": "x"})
    again = RetryBook.from_state(json.loads(state))
    assert [i.link for i in again.given_up()] == [LINK]
    assert failing(state) == ({"HTTP 500": 1}, 1)
    assert failing("{not json") == ({}, 0) and failing(None) == ({}, 0)
    assert RetryBook.from_state({"failed": {"k": "not an item"}}).items == {}
