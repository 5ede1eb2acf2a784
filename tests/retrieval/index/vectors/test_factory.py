"""Which index a collection gets: the configured kind, or by size for ``auto``; a saved index reopened only for
the same model and dimension, a damaged one replaced by an empty one; a kind changed by copying every vector."""

from __future__ import annotations

import numpy as np
import pytest

from retrieval.index.vectors.factory import fit_kind, new_index, open_index, wanted_kind
from retrieval.index.vectors.flat import FlatIndex
from retrieval.index.vectors.hnsw import HNSWIndex
from retrieval.index.vectors.settings import IndexSettings


def test_auto_is_exact_up_to_the_threshold_then_hnsw():
    settings = IndexSettings(approximate_above=100)
    assert wanted_kind(settings, 100) == "exact" and wanted_kind(settings, 101) == "hnsw"
    assert wanted_kind(IndexSettings(kind="hnsw"), 1) == "hnsw"


def test_an_unknown_kind_is_named_with_the_known_ones():
    with pytest.raises(ValueError, match="unknown index kind 'annoy' \\(known: auto, exact, hnsw, milvus\\)"):
        new_index(IndexSettings(kind="annoy"), 4)


def test_a_saved_index_is_reopened_only_for_its_model(tmp_path):
    saved = FlatIndex(4)
    saved.info["model"] = "minilm"
    saved.upsert([1, 2], np.eye(4, dtype=np.float32)[:2])
    saved.save(tmp_path)
    assert open_index(IndexSettings(), 4, tmp_path, "minilm").count == 2
    other = open_index(IndexSettings(), 4, tmp_path, "e5")
    assert other.count == 0 and other.info["model"] == "e5"
    assert open_index(IndexSettings(), 8, tmp_path, "minilm").count == 0  # another dimension


def test_a_damaged_saved_index_gives_an_empty_one(tmp_path):
    (tmp_path / "meta.json").write_text("{not json", encoding="utf-8")
    index = open_index(IndexSettings(), 4, tmp_path, "minilm")
    assert index.count == 0 and index.info["model"] == "minilm"


def test_fit_kind_copies_into_the_kind_the_size_wants():
    rng = np.random.default_rng(1)
    rows = rng.normal(size=(50, 8)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    exact = FlatIndex(8)
    exact.info["model"] = "minilm"
    exact.upsert(np.arange(50), rows)
    assert fit_kind(exact, IndexSettings()) is exact
    moved = fit_kind(exact, IndexSettings(approximate_above=10))
    assert isinstance(moved, HNSWIndex) and moved.count == 50 and moved.info == {"model": "minilm"}
    assert int(moved.search(rows[7], 1)[0][0]) == 7
