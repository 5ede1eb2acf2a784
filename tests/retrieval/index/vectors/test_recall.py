"""Recall against exact search: an exact copy has recall 1, an approximate index is measured, no query is None."""

from __future__ import annotations

import numpy as np

from retrieval.index.vectors.flat import FlatIndex
from retrieval.index.vectors.hnsw import HNSWIndex
from retrieval.index.vectors.recall import exact_copy, recall_at_k


def test_recall_of_an_exact_copy_is_one_and_of_hnsw_at_most_one():
    rng = np.random.default_rng(5)
    rows = rng.normal(size=(300, 8)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    hnsw = HNSWIndex(8)
    hnsw.info["model"] = "m"
    hnsw.upsert(np.arange(300), rows)
    exact = exact_copy(hnsw)
    assert isinstance(exact, FlatIndex) and exact.count == 300 and exact.info == {"model": "m"}
    assert recall_at_k(exact, exact, rows[:20], k=10) == 1.0
    measured = recall_at_k(hnsw, exact, rows[:20], k=10)
    assert measured is not None and 0.5 < measured <= 1.0


def test_recall_without_queries_or_vectors_is_none():
    empty = FlatIndex(4)
    assert recall_at_k(empty, empty, [np.ones(4, dtype=np.float32)]) is None
    assert recall_at_k(empty, empty, []) is None
