"""The exact index: replaces an id's vector, deletes, filters inside the search, and says which ids it holds."""

from __future__ import annotations

import numpy as np
import pytest

from retrieval.index.vectors.flat import FlatIndex


def unit(rows) -> np.ndarray:
    rows = np.atleast_2d(np.asarray(rows, dtype=np.float32))
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


@pytest.fixture
def index() -> FlatIndex:
    index = FlatIndex(3)
    index.upsert([10, 11, 12, 13], unit([[1, 0, 0], [0.9, 0.1, 0], [0, 1, 0], [0, 0, 1]]))
    return index


def test_nearest_first_and_allowed_ids_filter_before_k_is_cut(index):
    ids, scores = index.search(unit([1, 0, 0])[0], 2)
    assert ids.tolist() == [10, 11] and scores[0] == pytest.approx(1.0)
    ids, _ = index.search(unit([1, 0, 0])[0], 2, allowed=[12, 13])
    assert sorted(ids.tolist()) == [12, 13]  # the best two among the allowed, not what is left of a top 2
    assert index.search(unit([1, 0, 0])[0], 5, allowed=[]) [0].tolist() == []


def test_upsert_replaces_and_delete_counts_what_was_there(index):
    index.upsert([10], unit([0, 0, 1]))
    assert index.count == 4 and np.allclose(index.vectors_of([10]), unit([0, 0, 1]))
    assert index.delete([10, 99]) == 1 and index.count == 3
    assert index.contains([10, 11]).tolist() == [False, True] and sorted(index.ids().tolist()) == [11, 12, 13]
    with pytest.raises(KeyError):
        index.vectors_of([10])


def test_save_and_load_keep_every_vector(index, tmp_path):
    index.save(tmp_path)
    loaded = FlatIndex.load(tmp_path)
    assert sorted(loaded.ids().tolist()) == [10, 11, 12, 13]
    assert np.allclose(loaded.vectors_of([12, 10]), index.vectors_of([12, 10]))
