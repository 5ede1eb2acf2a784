"""The index report: the one-line summary people read, and the JSON saved as ``last_index.json``."""

from __future__ import annotations

import json

from retrieval.index.report import IndexReport


def test_summary_counts_what_changed_and_what_failed():
    report = IndexReport(articles=12, paragraphs=340, embedded=25, seconds=3.21, added=2, updated=1, unchanged=9,
                         skipped=[("bad.txt", "not UTF-8")], source_errors=[("feed", "HTTP 500")])
    text = report.summary()
    assert text.startswith("added 2, updated 1, unchanged 9, removed 0 article(s) in 3.2 s")
    assert "the index holds 12 article(s), 340 paragraph(s)" in text
    assert "; 1 failed" in text and "1 source(s) could not be read (their articles are kept)" in text
    assert report.failed == [("bad.txt", "not UTF-8")]


def test_a_clean_run_mentions_no_failures_and_a_failed_run_its_error():
    assert "failed" not in IndexReport(1, 2, 0, 0.1).summary()
    assert IndexReport(0, 0, 0, 0.0, ok=False, error="disk full").summary() == "index failed: disk full"


def test_to_json_round_trips_through_json():
    report = IndexReport(3, 9, 4, 1.5, titles=["a"], new=["a"], skipped=[("x", "y")])
    saved = json.loads(json.dumps(report.to_json()))
    assert saved["articles"] == 3 and saved["new"] == ["a"] and saved["skipped"] == [["x", "y"]]
