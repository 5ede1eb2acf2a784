"""Text safe to print at a terminal, and an evaluation's figures as the commands print them."""

from __future__ import annotations

import json

from bot.terminal import emit_metrics, json_safe, printable


def test_json_output_escapes_c1_controls():
    text = json_safe(json.dumps({"title": "a\u009b2Jb"}, ensure_ascii=False))
    assert "\u009b" not in text and json.loads(text)["title"] == "a\u009b2Jb"


def test_printable_keeps_text_and_line_breaks():
    assert printable("one\n\ttwo — ¶3 “quoted” Ünïcödé") == "one\n\ttwo — ¶3 “quoted” Ünïcödé"


def test_escape_sequences_carriage_returns_and_bidi_overrides_are_removed():
    assert printable("\x1b]0;pwned\x07Title\x1b[2J\r") == "Title"
    assert printable("abc\u202edef\u2066") == "abcdef"


def test_metrics_print_as_one_json_line_or_aligned_lines(capsys):
    assert emit_metrics(True, {"recall@1": 0.5, "questions": 10}) == 0
    assert json.loads(capsys.readouterr().out) == {"recall@1": 0.5, "questions": 10}
    emit_metrics(False, {"recall@1": 0.5, "questions": 10})
    assert capsys.readouterr().out == " recall@1: 0.5\nquestions: 10\n"
