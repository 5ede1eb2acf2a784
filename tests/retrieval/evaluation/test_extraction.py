"""``citebot eval extraction``: the benchmark's shingle metric, and a set of pages scored as citebot indexes them."""

from __future__ import annotations

import json

import pytest

from retrieval.errors import CitebotError
from retrieval.evaluation.extraction import evaluate_extraction, scores, shingle_match

BODY = [
    "The harbour reopened on Monday after three weeks of storm repairs, the port authority said in a statement.",
    "Fishing boats returned to their moorings by noon, and the ferry to the islands is expected to sail on Friday.",
    "Repairs to the sea wall cost about two million euros, paid for by the regional government and the port.",
]
PAGE = f"""<!doctype html><html><head><title>Harbour reopens | Coast News</title>
<meta property="article:published_time" content="2024-03-04T09:00:00Z"></head><body>
<nav><a href="/">Home</a> <a href="/sport">Sport</a> <a href="/weather">Weather</a></nav>
<article><h1>Harbour reopens after storm repairs</h1>{"".join(f"<p>{p}</p>" for p in BODY)}</article>
<footer>© Coast News. All rights reserved. Subscribe to our newsletter.</footer></body></html>"""


def test_shingles_count_what_is_kept_what_is_added_and_what_is_lost():
    assert shingle_match("one two three four five", "one two three four five") == (1.0, 0.0, 0.0)
    tp, fp, fn = shingle_match("one two three four five", "one two three four six")
    assert (tp, fp, fn) == (pytest.approx(1 / 3), pytest.approx(1 / 3), pytest.approx(1 / 3))
    assert shingle_match("", "") == (0.0, 0.0, 0.0)


def test_pages_without_a_prediction_or_a_gold_body_leave_precision_or_recall_alone():
    assert scores([(1.0, 0.0, 0.0), (0.0, 0.0, 1.0)]) == {"precision": 1.0, "recall": 0.5, "f1": 0.6667}
    assert scores([]) == {"precision": 0.0, "recall": 0.0, "f1": 0.0}


def test_a_set_of_pages_is_scored_as_indexed(tmp_path):
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "h1.html").write_text(PAGE, encoding="utf-8")
    (tmp_path / "gold.jsonl").write_text(json.dumps({"id": "h1", "url": "https://coast.test/h1",
                                                     "body": "\n\n".join(BODY)}) + "\n", encoding="utf-8")
    result = evaluate_extraction(tmp_path)
    assert result["pages"] == 1 and result["title_found"] == 1.0 and result["date_found"] == 1.0
    assert result["recall"] == 1.0 and result["f1"] >= 0.9  # the navigation and footer are left out


def test_a_missing_or_bad_gold_file_is_one_line(tmp_path):
    with pytest.raises(CitebotError, match="gold.jsonl does not exist"):
        evaluate_extraction(tmp_path)
    (tmp_path / "gold.jsonl").write_text('{"id": "h1", "body": "x"}\n{"id": "h2"}\n', encoding="utf-8")
    with pytest.raises(CitebotError, match=r"gold.jsonl:2: not a gold line with id and body"):
        evaluate_extraction(tmp_path)
    (tmp_path / "gold.jsonl").write_text('{"id": "h1", "body": "x"}\n', encoding="utf-8")
    with pytest.raises(CitebotError, match=r"h1.html: cannot read"):
        evaluate_extraction(tmp_path)
