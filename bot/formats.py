"""Plain-text helpers shared by every rendering (console, Discord embeds and messages).

Dates, attribution parts and plurals; Discord-markdown escaping and block quotes; shortening at word
boundaries with an ellipsis (``shorten``, ``shorten_lines``, ``excerpt`` around a highlight); ages and the
/reindex progress line. Nothing here builds a ``discord.Embed``.
"""

from __future__ import annotations

import re
from datetime import date

from retrieval.models import ArticleMeta

ELLIPSIS = "…"

_URL = re.compile(r"https?://[^\s<]+[^<.,:;\"'\]\s)]")
_INLINE = re.compile(r"([\\*_~`|<>\[\]])")
_LINE_START = re.compile(r"^(\s*\d+(?=[.)]\s)|\s*(?=[#\-+]))", re.MULTILINE)  # then a list or heading mark


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


def escape(text: str) -> str:
    """Escape Discord markdown in article text so it shows as written; bare links stay clickable."""
    parts, pos = [], 0
    for url in _URL.finditer(text):
        parts += [_INLINE.sub(r"\\\1", text[pos : url.start()]), url.group()]
        pos = url.end()
    parts.append(_INLINE.sub(r"\\\1", text[pos:]))
    return _LINE_START.sub(lambda m: m.group(1) + "\\", "".join(parts))


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters at a word boundary, ending with an ellipsis if cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    if limit <= len(ELLIPSIS):
        return ELLIPSIS[:limit]
    cut = text[: limit - len(ELLIPSIS) + 1]
    space = cut.rfind(" ")
    cut = cut[:space] if space > 0 else cut[: limit - len(ELLIPSIS)]
    return cut.rstrip(" ,;:") + ELLIPSIS


def _cut_start(text: str, keep: int) -> str:
    """The last ``keep`` characters of ``text`` or fewer, starting at a word boundary."""
    if keep <= 0:
        return ""
    if len(text) <= keep:
        return text
    start = len(text) - keep
    if not text[start - 1].isspace():
        space = next((i for i in range(start, len(text)) if text[i].isspace()), None)
        start = space + 1 if space is not None else len(text)
    return text[start:].lstrip()


def _cut_end(text: str, keep: int) -> str:
    """The first ``keep`` characters of ``text`` or fewer, ending at a word boundary."""
    if keep <= 0:
        return ""
    if len(text) <= keep:
        return text
    end = keep
    if not text[end].isspace():
        space = text.rfind(" ", 0, end + 1)
        other = max(text.rfind("\n", 0, end + 1), text.rfind("\t", 0, end + 1))
        end = max(space, other, 0)
    return text[:end].rstrip()


def excerpt(text: str, start: int, end: int, limit: int) -> tuple[str, str, str]:
    """Split ``text`` into (before, highlight, after) of at most ``limit`` characters in all, ellipses included.

    Context is kept on both sides of ``text[start:end]`` (the highlight) and cut at word boundaries; when the
    highlight alone is too long, its end is cut instead. A cut side is marked with ``…``.
    """
    if len(text) <= limit:
        return text[:start], text[start:end], text[end:]
    lead = ELLIPSIS if start > 0 else ""
    highlight = text[start:end]
    if len(highlight) + len(lead) + len(ELLIPSIS) >= limit:
        kept = _cut_end(highlight, limit - len(lead) - len(ELLIPSIS))
        if not kept:  # one giant word: nothing else to cut at
            kept = highlight[: max(0, limit - len(lead) - len(ELLIPSIS))]
        return lead, kept, ELLIPSIS
    room = limit - len(highlight)
    before_text, after_text = text[:start], text[end:]
    # Share the room between the sides; a side that needs less gives the rest to the other.
    before_room = room // 2
    after_room = room - before_room
    if len(before_text) <= before_room:
        after_room += before_room - len(before_text)
        before_room = len(before_text)
    elif len(after_text) <= after_room:
        before_room += after_room - len(after_text)
        after_room = len(after_text)
    before = before_text
    if len(before_text) > before_room:
        before = ELLIPSIS + _cut_start(before_text, before_room - len(ELLIPSIS))
    after = after_text
    if len(after_text) > after_room:
        after = _cut_end(after_text, after_room - len(ELLIPSIS)) + ELLIPSIS
    return before, highlight, after


def _bold(segment: str) -> str:
    """``**segment**`` with surrounding whitespace kept outside the markers (else Discord shows the stars)."""
    core = segment.strip()
    if not core:
        return segment
    left = segment[: len(segment) - len(segment.lstrip())]
    right = segment[len(segment.rstrip()) :]
    return f"{left}**{core}**{right}"


def block_quote(before: str, highlight: str, after: str) -> str:
    """A markdown block quote of the three parts, the highlight in bold, every line prefixed with ``> ``."""
    lines: list[list[tuple[str, bool]]] = [[]]
    for part, bold in ((before, False), (highlight, True), (after, False)):
        for i, piece in enumerate(part.split("\n")):
            if i:
                lines.append([])
            if piece:
                lines[-1].append((piece, bold))
    rendered = []
    for line in lines:
        text = "".join(_bold(escape(piece)) if bold else escape(piece) for piece, bold in line)
        if text.strip():
            rendered.append("> " + text)
    return "\n".join(rendered)


def shorten_lines(text: str, limit: int) -> str:
    """``text`` cut at a line break (or a word) to fit ``limit``."""
    if len(text) <= limit:
        return text
    cut = text[: limit - len(ELLIPSIS)]
    newline = cut.rfind("\n")
    return (cut[:newline] if newline > 0 else shorten(cut, limit - len(ELLIPSIS))) + ELLIPSIS


def age_text(seconds: float | None) -> str:
    """'42 s', '5 min', '3 h', '2 days'."""
    if seconds is None:
        return "unknown"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 36 * 3600:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} days"


def progress_text(stage: str, done: int, total: int, elapsed: float) -> str:
    """A progress line for the deferred /reindex reply."""
    if stage == "start":
        what = "starting"
    elif stage == "read":
        what = f"read {plural(total, 'article')}"
    else:
        what = f"embedding {stage}: {done}/{total}"
    return f"Re-indexing… {what} ({elapsed:.0f} s). Questions are still answered from the current index."
