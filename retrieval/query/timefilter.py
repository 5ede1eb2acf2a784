"""Time: `since`/`until` windows over publication dates, questions "as of" a day, and the recency prior.

- A :class:`TimeWindow` keeps the paragraphs whose article was published in [since, until] (days, inclusive).
  Under an explicit ``since`` or ``until`` an undated article is out (it cannot be shown to be in the period);
  under ``as_of`` alone (a question asked on a given day) an undated article stays visible, without recency boost.
- Questions with a time word (latest, today, this week, recent, now, current, …) get a recency prior: paragraphs
  of newer articles move up the order, by ``strength / (1 + age / horizon)``, age in days counted back from the
  newest visible article. Questions without such words rank exactly as without this module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from retrieval.errors import CitebotError
from retrieval.reading import Reading

_RELATIVE = re.compile(r"^(\d{1,4})\s*([dw])$", re.IGNORECASE)
UNDATED = -1  # day number of an undated article


class DateError(CitebotError):
    """A date option that is neither YYYY-MM-DD nor a number of days/weeks back."""


def parse_day(value: str, today: date, name: str = "date") -> date:
    """``YYYY-MM-DD``, ``Nd`` (N days before ``today``) or ``Nw`` (N weeks before); ``DateError`` otherwise."""
    text = (value or "").strip()
    match = _RELATIVE.match(text)
    if match:
        n, unit = int(match.group(1)), match.group(2).lower()
        return today - timedelta(days=n * (7 if unit == "w" else 1))
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    raise DateError(f"{name} “{value}” is not a date: use YYYY-MM-DD (e.g. 2024-03-01) or days/weeks back (7d, 2w)")


def published_day(published: str | None) -> date | None:
    """The day an article was published (its date string's first 10 characters), or None when undated or odd."""
    if not published:
        return None
    try:
        return date.fromisoformat(str(published)[:10])
    except ValueError:
        return None


@dataclass(frozen=True)
class TimeWindow:
    """Which publication days a question may quote: [since, until]; ``as_of`` is the day it is asked on."""

    since: date | None = None
    until: date | None = None
    as_of: date | None = None

    @classmethod
    def parse(cls, since: str | None, until: str | None, today: date, as_of: str | None = None) -> TimeWindow:
        """From option strings (``None`` or empty: unset); ``DateError`` names the bad one."""
        start = parse_day(since, today, "since") if since else None
        end = parse_day(until, today, "until") if until else None
        day = parse_day(as_of, today, "asked_at") if as_of else None
        if start and end and start > end:
            raise DateError(f"since ({start}) is after until ({end}): nothing can be in that period")
        return cls(start, end, day)

    @property
    def filters(self) -> bool:
        return any((self.since, self.until, self.as_of))

    def describe(self) -> str:
        """'since 2024-03-01', 'until …', 'from … to …' or ''."""
        if self.since and self.until:
            return f"from {self.since} to {self.until}"
        if self.since:
            return f"since {self.since}"
        return f"until {self.until}" if self.until else ""


def row_days(view: Reading) -> np.ndarray:
    """Per paragraph row: its article's publication day as an ordinal, ``UNDATED`` (-1) when unknown (kept until
    writers change the rows)."""
    def compute() -> np.ndarray:
        published = view.article_published()
        by_slot = np.full(len(published) + 1, UNDATED, dtype=np.int64)  # per article slot
        for slot, when in enumerate(published):
            day = published_day(when)
            by_slot[slot] = day.toordinal() if day else UNDATED
        return by_slot[view.article_of_row]

    return view.cached("row_days", compute)


def allowed_rows(view: Reading, window: TimeWindow | None) -> np.ndarray | None:
    """A boolean mask of the rows a question may quote, or None when nothing is filtered."""
    if window is None or not window.filters:
        return None
    days = row_days(view)
    dated = days != UNDATED
    explicit = window.since is not None or window.until is not None
    mask = dated.copy() if explicit else np.ones(len(days), dtype=bool)
    last = min(d for d in (window.until, window.as_of) if d is not None) if (window.until or window.as_of) else None
    if window.since is not None:
        mask &= days >= window.since.toordinal()
    if last is not None:
        mask &= ~dated | (days <= last.toordinal())
    return mask


def empty_period_message(window: TimeWindow) -> str:
    """What a reply says when no indexed article was published in ``window`` (answers and digests alike)."""
    return f"No indexed article was published {window.describe() or 'in that period'}."


def nothing_published(view: Reading, window: TimeWindow | None) -> str:
    """:func:`empty_period_message` when ``window`` keeps no indexed paragraph, else ''."""
    allowed = allowed_rows(view, window)
    if window is None or allowed is None or (allowed & view.alive[: len(allowed)]).any():
        return ""
    return empty_period_message(window)


# -- recency ----------------------------------------------------------------------------------------------------

#: Time words and the horizon (days) over which they favour newer articles.
_TIME_WORDS: list[tuple[re.Pattern, float]] = [
    (re.compile(r"\b(today|tonight|this (morning|afternoon|evening)|yesterday|last night|breaking)\b"), 2.0),
    (re.compile(r"\b(this|past|last) week\b|\bthese days\b|\bthis weekend\b"), 7.0),
    (re.compile(r"\b(latest|newest|most recent|recent(ly)?|now|nowadays|current(ly)?|so far|as of|"
                r"update[sd]?|new developments?|just)\b"), 7.0),
    (re.compile(r"\b(this|past|last) month\b"), 30.0),
    (re.compile(r"\b(this|past|last) year\b"), 365.0),
]


def recency_horizon(question: str) -> float | None:
    """The horizon in days of the question's time words (the shortest one), or None without time words."""
    text = question.lower().replace("’", "'")
    horizons = [days for pattern, days in _TIME_WORDS if pattern.search(text)]
    return min(horizons) if horizons else None


def reference_day(view: Reading, allowed: np.ndarray | None, window: TimeWindow | None) -> int | None:
    """The day ages are counted from: the newest visible article's day (never after the day asked)."""
    days = row_days(view)
    visible = days[allowed] if allowed is not None else days
    visible = visible[visible != UNDATED]
    if window is not None and window.as_of is not None:
        visible = visible[visible <= window.as_of.toordinal()]
    return int(visible.max()) if len(visible) else None


def recency_prior(
    view: Reading,
    question: str,
    strength: float,
    allowed: np.ndarray | None = None,
    window: TimeWindow | None = None,
) -> np.ndarray | None:
    """Order boost per row for a question with time words (None without them, or when nothing is dated)."""
    horizon = recency_horizon(question)
    if horizon is None or strength <= 0:
        return None
    reference = reference_day(view, allowed, window)
    if reference is None:
        return None
    days = row_days(view)
    age = np.maximum(0, reference - days).astype(np.float32)
    prior = strength / (1.0 + age / horizon)
    prior[days == UNDATED] = 0.0
    return prior.astype(np.float32)


def age_phrase(published: str | None, today: date) -> str | None:
    """'published today', 'published 3 days ago', … for a quoted article (None when undated)."""
    day = published_day(published)
    if day is None:
        return None
    days = (today - day).days
    if days <= 0:
        return "published today" if days == 0 else f"published {day.isoformat()}"
    if days == 1:
        return "published yesterday"
    if days < 14:
        return f"published {days} days ago"
    if days < 60:
        return f"published {days // 7} weeks ago"
    if days < 730:
        return f"published {days // 30} months ago"
    return f"published {days // 365} years ago"
