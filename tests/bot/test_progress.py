"""Progress of `citebot index` / `add` on stderr: one live line at a terminal, periodic lines otherwise, and
failures counted by cause."""

from __future__ import annotations

import io

from bot.progress import IndexProgress, failure_lines


def test_progress_is_a_live_line_at_a_terminal_and_periodic_lines_otherwise() -> None:
    live = io.StringIO()
    progress = IndexProgress(True, live)
    for n in range(1, 4):
        progress("fetching Coast News" + (" (1 failed)" if n > 1 else ""), n, 3)
    progress("paragraphs", 5, 5)
    progress.close()
    text = live.getvalue()
    assert text.count("\r") == 4 and text.endswith("\n") and text.count("\n") == 1
    assert "Coast News: fetched 2/3 page(s), 1 failed · embedded 5/5 paragraphs" in text

    piped = io.StringIO()
    progress = IndexProgress(False, piped, every=3600)
    for n in range(1, 21):
        progress("fetching Coast News", n, 20)
    lines = piped.getvalue().splitlines()
    assert lines == ["Coast News: fetched 1/20 page(s), 0 failed", "Coast News: fetched 20/20 page(s), 0 failed"]
    piped = io.StringIO()
    progress = IndexProgress(False, piped, every=0)
    for n in range(1, 4):
        progress("fetching X", n, 3)
    assert len(piped.getvalue().splitlines()) == 3


def test_failures_are_counted_by_cause_with_a_few_examples() -> None:
    failures = [(f"https://x.org/{n}", "HTTP 404 Not Found") for n in range(5)]
    failures.append(("https://x.org/t", "too short to be an article (12 words; a teaser, paywall or error page?)"))
    lines = failure_lines(failures)
    assert lines == [
        "  failed: 5 × HTTP 404 Not Found",
        "    https://x.org/0: HTTP 404 Not Found",
        "    https://x.org/1: HTTP 404 Not Found",
        "    https://x.org/2: HTTP 404 Not Found",
        "    …and 2 more",
        "  failed: 1 × too short to be an article",
        "    https://x.org/t: too short to be an article (12 words; a teaser, paywall or error page?)",
    ]


def test_control_characters_in_a_source_name_never_reach_the_terminal() -> None:
    out = io.StringIO()
    progress = IndexProgress(False, out, every=0)
    progress("fetching Evil\x1b[2J News\r", 1, 1)
    progress("read", 1, 1)  # a stage the line does not show
    progress("sentences", 0, 0)  # nothing to do: nothing shown
    assert out.getvalue() == "Evil News: fetched 1/1 page(s), 0 failed\n"
