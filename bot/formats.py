"""Small text helpers shared by every rendering (console, Discord)."""

from __future__ import annotations

from datetime import date

from retrieval.models import ArticleMeta


def format_date(published: str | None) -> str | None:
    """'2022-02-11' -> '11 Feb 2022' (None stays None)."""
    if not published:
        return None
    try:
        day = date.fromisoformat(published)
    except ValueError:
        return published
    return f"{day.day} {day.strftime('%b %Y')}"


def attribution_parts(article: ArticleMeta, paragraph: int | None) -> list[str]:
    """Publisher, date and paragraph number, in display order, leaving out what is unknown."""
    parts = [article.source or "", format_date(article.published) or ""]
    if paragraph is not None:
        parts.append(f"¶{paragraph}")
    return [p for p in parts if p]


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
