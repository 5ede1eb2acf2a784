"""The collection's read-only mappings: computed on demand, a missing key is a KeyError, and paragraphs by row
are the collection's own rows."""

from __future__ import annotations

import pytest

from retrieval.index.mappings import LazyMapping, RowParagraphs
from retrieval.library import Library


def test_lazy_mapping_reads_on_demand_and_misses_with_key_error():
    data = {"a": 1, "b": 2}
    mapping = LazyMapping(data.get, lambda: iter(data), lambda: len(data))
    assert mapping["a"] == 1 and dict(mapping) == data and len(mapping) == 2 and "b" in mapping
    data["c"] = 3  # nothing is copied: later changes show
    assert mapping["c"] == 3 and len(mapping) == 3
    with pytest.raises(KeyError):
        mapping["z"]
    assert mapping.get("z") is None and "z" not in mapping


def test_row_paragraphs_are_the_rows_of_the_collection(tmp_path, embedder):
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "harbour.txt").write_text("Harbour wall repaired\n\nEngineers repaired the harbour wall overnight.\n\n"
                                        "The council paid two million pounds for the work.\n", encoding="utf-8")
    library = Library(tmp_path / "data", embedder)
    library.index([folder])
    collection = library.collection()
    rows = RowParagraphs(collection)
    assert len(rows) == collection.paragraph_count > 0
    texts = [p.text for p in rows]
    assert len(texts) == len(rows) and all(texts)
    first = rows[0]
    assert collection.paragraph(first.id) == first
    assert rows[len(rows) - 1].article_id in collection.articles
