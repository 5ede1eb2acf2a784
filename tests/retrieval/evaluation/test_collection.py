"""A collection built for an evaluation set: exactly the paragraphs given, searchable, in a folder of its own."""

from __future__ import annotations

import pytest

from retrieval.evaluation.collection import build_collection
from retrieval.evaluation.retrieval import articles_from_paragraphs

ROWS = [
    {"pid": "harbour-1", "doc_id": "harbour", "text": "The harbour reopened on Monday after storm repairs."},
    {"pid": "harbour-2", "doc_id": "harbour", "text": "Fishing boats returned to their moorings by noon."},
    {"pid": "bread-1", "doc_id": "bread", "text": "Banana bread needs ripe bananas, flour and butter."},
]


def test_the_collection_holds_the_given_paragraphs_as_given_and_finds_them(tmp_path, embedder):
    articles, paragraphs = articles_from_paragraphs(ROWS)
    collection = build_collection(tmp_path / "eval", articles, paragraphs, embedder)
    try:
        with collection.reading() as view:
            assert sorted(m.article_id for m in view.articles()) == ["bread", "harbour"]
            assert [p.text for p in view.paragraphs_of("harbour")] == [ROWS[0]["text"], ROWS[1]["text"]]
            for question, pid in (("What goes into banana bread?", "bread-1"),
                                  ("When did the harbour reopen?", "harbour-1")):
                rows, _ = view.search(embedder.encode_query(question), 1)
                assert view.paragraph_at(int(rows[0])).pid == pid
        assert collection.dense.kind == "exact"
    finally:
        collection.dense.close()


def test_an_existing_folder_is_never_built_over(tmp_path, embedder):
    (tmp_path / "eval").mkdir()
    articles, paragraphs = articles_from_paragraphs(ROWS)
    with pytest.raises(FileExistsError):
        build_collection(tmp_path / "eval", articles, paragraphs, embedder)
