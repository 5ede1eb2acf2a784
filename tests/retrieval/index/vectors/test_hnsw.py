"""The HNSW index: 8-bit codes close to the true vectors, filtered searches exact when few ids are allowed and
through the graph otherwise, deleted ids never returned, compaction, save and load."""

from __future__ import annotations

import numpy as np
import pytest

from retrieval.index.vectors.hnsw import HNSWIndex

DIM = 16


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(3)
    rows = rng.normal(size=(600, DIM)).astype(np.float32)
    return np.arange(1000, 1600, dtype=np.int64), rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_search_finds_each_vector_itself(data):
    ids, rows = data
    index = HNSWIndex(DIM)
    index.upsert(ids, rows)
    found = [int(index.search(rows[i], 1)[0][0]) for i in range(0, 600, 37)]
    assert found == [int(ids[i]) for i in range(0, 600, 37)]
    assert np.abs(index.vectors_of(ids[:50]) - rows[:50]).max() < 0.05  # 8-bit codes


@pytest.mark.parametrize("exact_below", [0, 20_000])
def test_filtered_search_returns_only_allowed_ids(data, exact_below):
    ids, rows = data
    index = HNSWIndex(DIM, exact_below=exact_below)
    index.upsert(ids, rows)
    allowed = ids[::50]
    found, scores = index.search(rows[0], 5, allowed=allowed)
    assert len(found) == 5 and set(found.tolist()) <= set(allowed.tolist()) and found[0] == ids[0]
    assert list(scores) == sorted(scores, reverse=True)


def test_deleted_and_replaced_ids_are_never_returned_and_compaction_keeps_the_rest(data):
    ids, rows = data
    index = HNSWIndex(DIM)
    index.upsert(ids, rows)
    assert index.delete(ids[:10]) == 10 and index.count == 590 and index.dead == 10
    assert ids[0] not in index.search(rows[0], 20)[0]
    index.upsert(ids[10:11], rows[500:501])  # replaced: the old position is dead
    assert index.count == 590 and index.dead == 11
    index.compact()
    assert index.dead == 0 and index.count == 590
    assert int(index.search(rows[300], 1)[0][0]) == ids[300]


def test_save_and_load_keep_ids_and_settings(data, tmp_path):
    ids, rows = data
    index = HNSWIndex(DIM, ef_search=64)
    index.upsert(ids[:200], rows[:200])
    index.delete(ids[:5])
    index.save(tmp_path)
    loaded = HNSWIndex.load(tmp_path, ef_search=64, exact_below=0)
    assert loaded.count == 195 and not loaded.contains(ids[:5]).any()
    assert int(loaded.search(rows[100], 1)[0][0]) == ids[100]
