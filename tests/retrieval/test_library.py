"""Indexing, the store round trip, re-embedding only what changed, atomic swaps, missing or broken indexes."""

import shutil

import pytest

from retrieval.collection import STORE_FILE, Collection
from retrieval.errors import IndexMissingError, ReindexBusyError
from retrieval.library import Library
from tests.conftest import SAMPLES


def test_store_round_trip(sample_library):
    built = sample_library.collection()
    loaded = Collection.open(built.folder)
    assert loaded.articles == built.articles
    assert loaded.paragraphs == built.paragraphs
    assert loaded.dense.size == len(built.paragraphs) == loaded.bm25.size
    for p in loaded.paragraphs:
        assert loaded.texts[p.article_id][p.start : p.end] == p.text
    assert set(built.articles) == {"russia-ukraine-2022-02-11", "amazon-rainforest", "construction", "geology"}


def test_unchanged_text_is_not_re_embedded(tmp_path, embedder):
    folder = tmp_path / "articles"
    shutil.copytree(SAMPLES, folder)
    library = Library(tmp_path / "data", embedder)
    library.index([folder])  # the session cache already holds these texts
    report = library.index([folder])
    assert report.embedded == 0
    assert report.articles == 4

    path = folder / "russia-ukraine-2022-02-11.txt"
    added = "\n\nA brand new closing paragraph was added. It has two sentences.\n"
    path.write_text(path.read_text(encoding="utf-8") + added)
    report = library.index([folder])
    assert report.embedded == 3  # the new paragraph and its two sentences; nothing else
    assert any("brand new closing" in p.text for p in library.collection().paragraphs)


def test_reindex_swaps_generations_and_keeps_answering(tmp_path, embedder):
    folder = tmp_path / "articles"
    shutil.copytree(SAMPLES, folder)
    library = Library(tmp_path / "data", embedder)
    library.index([folder])
    old = library.current_path()
    (folder / "geology.txt").unlink()
    library.index([folder])
    assert library.current_path() != old and not old.exists()
    assert "geology" not in library.collection().articles
    reopened = Library(tmp_path / "data", embedder)
    assert set(reopened.collection().articles) == set(library.collection().articles)


def test_failed_reindex_leaves_the_old_index(tmp_path, embedder, monkeypatch):
    library = Library(tmp_path / "data", embedder)
    library.index([SAMPLES])
    before = library.current_path()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(Collection, "build", broken)
    with pytest.raises(OSError):
        library.index([SAMPLES])
    assert library.current_path() == before
    assert Library(tmp_path / "data", embedder).ask("Who is the British ambassador to Ukraine?").found
    assert library.last_report().ok is False and "disk full" in library.last_report().error


def test_second_reindex_is_refused_while_one_runs(tmp_path, embedder):
    library = Library(tmp_path / "data", embedder)
    library._index_lock.acquire()
    try:
        with pytest.raises(ReindexBusyError):
            library.index([SAMPLES])
    finally:
        library._index_lock.release()


def test_missing_and_corrupt_index_name_the_fix(tmp_path, embedder, sample_data_dir):
    with pytest.raises(IndexMissingError, match="citebot index"):
        Library(tmp_path / "empty", embedder).ask("anything?")
    data = tmp_path / "copy"
    shutil.copytree(sample_data_dir, data)
    library = Library(data, embedder)
    (library.current_path() / STORE_FILE).write_bytes(b"this is not a database")
    with pytest.raises(IndexMissingError, match="citebot index"):
        library.ask("anything?")


def test_index_built_with_another_model_is_refused(sample_data_dir, tmp_path):
    from embeddings import CachedEmbedder, Embedder

    data = tmp_path / "copy"
    shutil.copytree(sample_data_dir, data)
    other = CachedEmbedder(Embedder("/nonexistent/other-model"), None)
    with pytest.raises(IndexMissingError, match="built with the model 'all-MiniLM-L6-v2'"):
        Library(data, other).collection()
