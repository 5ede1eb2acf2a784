"""Plain-text helpers: Discord-markdown escaping, shortening at word boundaries, excerpts around a highlight."""

from __future__ import annotations

import pytest

from bot.formats import escape, excerpt, shorten
from tests.bot.markdown_text import prose, unescape


@pytest.mark.parametrize("line", ["# Heading", "- list", "1. numbered", "> quote", "-# small"])
def test_line_start_markdown_is_escaped(line: str) -> None:
    escaped = escape(line)
    assert escaped != line and unescape(escaped) == line


def test_bare_links_stay_clickable() -> None:
    assert escape("see https://example.com/a_b_c for more") == "see https://example.com/a_b_c for more"


def test_excerpt_never_cuts_inside_a_word() -> None:
    text = prose(300, 7)
    for limit in range(20, 400, 7):
        start = text.index(" ", 800) + 1
        end = text.index(" ", start + 30)
        before, highlight, after = excerpt(text, start, end, limit)
        assert len(before) + len(highlight) + len(after) <= limit
        for piece in (before.strip("…"), highlight, after.strip("…")):
            if piece.strip():
                pos = text.index(piece.strip())
                assert pos == 0 or text[pos - 1] == " "
                stop = pos + len(piece.strip())
                assert stop == len(text) or text[stop] in " ."


def test_shorten() -> None:
    assert shorten("one two three", 20) == "one two three"
    assert shorten("one two three", 9) == "one two…"
    assert len(shorten("x" * 300, 256)) == 256
