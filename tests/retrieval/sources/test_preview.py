"""Previewing what would be indexed: a file's attribution and its paragraphs as the real splitter cuts them (nothing
stored), a page fetched from a local server, and one clear error for a missing file."""

from __future__ import annotations

import pytest

from retrieval.errors import ArticleError
from retrieval.sources.http import HttpClient
from retrieval.sources.preview import preview
from tests.local_http import serve
from tests.retrieval.sources.conftest import fast_settings

PAGE = ("<html><head><title>Harbour wall repaired</title></head><body><article><h1>Harbour wall repaired</h1>"
        + "".join(f"<p>Paragraph {n} of the story says the engineers worked on the harbour wall all night.</p>"
                  for n in range(1, 5)) + "</article></body></html>")


def test_a_file_is_previewed_without_being_stored(tmp_path):
    path = tmp_path / "story.txt"
    path.write_text("Harbour wall repaired\nPublished: 2024-03-01\n\nFirst paragraph of the story here.\n\n"
                    "Second paragraph of the story here.\n", encoding="utf-8")
    shown = preview(str(path))
    assert shown["title"] == "Harbour wall repaired" and shown["published"] == "2024-03-01"
    assert shown["paragraphs"] == ["First paragraph of the story here.", "Second paragraph of the story here."]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["story.txt"]


def test_a_missing_file_is_one_clear_error(tmp_path):
    with pytest.raises(ArticleError, match="no such file \\(give an article file or an http\\(s\\) URL\\)"):
        preview(str(tmp_path / "nope.txt"))


def test_a_url_is_fetched_and_split():
    with serve(lambda path: (200, PAGE.encode(), "text/html; charset=utf-8")) as base:
        shown = preview(base + "/harbour", HttpClient(fast_settings()))
    assert shown["title"] == "Harbour wall repaired" and shown["url"].startswith(base)
    assert len(shown["paragraphs"]) == 4 and shown["paragraphs"][0].startswith("Paragraph 1 of the story")
