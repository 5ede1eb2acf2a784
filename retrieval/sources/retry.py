"""Feed items that failed, retried on later polls with back-off (even when the feed answers 304), then given up.

The book lives in the source's stored state (``state["failed"]``, JSON): url_key -> the item's link, the last
reason, how many tries failed, when to try next, and the feed entry's fields to fall back on.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass

from retrieval.text.urls import url_key

RETRY_LIMIT = 6  # failed tries of one item before it is given up
RETRY_BASE = 60.0  # seconds before the first retry; multiplied by RETRY_GROWTH after each further failure
RETRY_GROWTH = 4.0  # 1 min, 4 min, 16 min, ~1 h, ~4 h: given up after about a day of polls
_DETAIL = re.compile(r"\s*[(:;].*$")


def cause(reason: str) -> str:
    """A failure reason without its details ("too short to be an article (42 words…)" -> "too short to be an
    article"), to count failures by cause."""
    text = _DETAIL.sub("", str(reason)).strip()
    return text or str(reason).strip()


@dataclass
class FailedItem:
    """One item that failed: what to fetch and what its feed entry said."""

    link: str
    reason: str
    tries: int = 1
    next_try: float = 0.0
    given_up: bool = False
    title: str | None = None
    author: str | None = None
    published: str | None = None
    source: str | None = None


class RetryBook:
    """The failed items of one source (see module doc)."""

    def __init__(self, items: dict[str, FailedItem] | None = None) -> None:
        self.items = items or {}

    @classmethod
    def from_state(cls, state: dict | None) -> RetryBook:
        raw = (state or {}).get("failed") or {}
        items = {}
        for key, value in raw.items() if isinstance(raw, dict) else ():
            try:
                items[key] = FailedItem(**{k: v for k, v in value.items() if k in FailedItem.__dataclass_fields__})
            except (TypeError, AttributeError):
                continue
        return cls(items)

    def to_state(self) -> dict:
        return {key: asdict(item) for key, item in self.items.items()}

    def waiting(self, link: str, now: float) -> bool:
        """Whether ``link`` failed before and is not due yet (or was given up)."""
        item = self.items.get(url_key(link))
        return item is not None and (item.given_up or item.next_try > now)

    def due(self, now: float) -> list[FailedItem]:
        """Items to try again now."""
        return [item for item in self.items.values() if not item.given_up and item.next_try <= now]

    def failed(self, link: str, reason: str, now: float, fallback=None) -> FailedItem:
        """Record a failed try of ``link`` (``fallback``: the entry's fields, kept for the retry)."""
        key = url_key(link)
        item = self.items.get(key)
        if item is None:
            item = self.items[key] = FailedItem(link, str(reason), 0)
            if fallback is not None:
                item.title, item.author = fallback.title, fallback.author
                item.published, item.source = fallback.published, fallback.source
        item.tries += 1
        item.reason = str(reason)
        item.given_up = item.tries >= RETRY_LIMIT
        item.next_try = now + RETRY_BASE * RETRY_GROWTH ** (item.tries - 1)
        return item

    def succeeded(self, link: str) -> None:
        self.items.pop(url_key(link), None)

    def forget_given_up(self, listed: set[str]) -> None:
        """Drop given-up items the feed no longer lists (``listed``: url_keys of its entries now)."""
        for key in [k for k, item in self.items.items() if item.given_up and k not in listed]:
            del self.items[key]

    def pending(self) -> list[FailedItem]:
        return [item for item in self.items.values() if not item.given_up]

    def given_up(self) -> list[FailedItem]:
        return [item for item in self.items.values() if item.given_up]

    def by_cause(self) -> dict[str, int]:
        """Failing items (pending and given up) counted by cause, most frequent first."""
        return dict(Counter(cause(item.reason) for item in self.items.values()).most_common())

    def summary(self) -> str | None:
        """'3 item(s) failing: HTTP 404 (2), too short to be an article (1); 1 given up', or None."""
        if not self.items:
            return None
        counts = "; ".join(f"{name} ({n})" for name, n in self.by_cause().items())
        gave_up = len(self.given_up())
        return f"{len(self.items)} item(s) failing: {counts}" + (f"; {gave_up} given up" if gave_up else "")


def failing(state_json: str | None) -> tuple[dict[str, int], int]:
    """(failing items by cause, how many were given up) from a source's stored state."""
    import json

    try:
        book = RetryBook.from_state(json.loads(state_json or "{}"))
    except ValueError:
        return {}, 0
    return book.by_cause(), len(book.given_up())
