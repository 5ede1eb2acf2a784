"""The shared part of every index kind: ids and rows normalised, the last vector of a repeated id kept, and a save
that replaces the previous one whole (old files removed, ``meta.json`` naming the new ones)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from retrieval.index.vectors.base import META_FILE, as_ids, as_rows, last_per_id, read_meta
from retrieval.index.vectors.flat import FlatIndex


def test_ids_and_rows_are_normalised_and_a_wrong_dimension_is_named():
    assert as_ids([3, 1]).dtype == np.int64 and as_ids(np.array([[5]])).tolist() == [5]
    assert as_rows([[1, 2], [3, 4]], 2, 2).dtype == np.float32
    with pytest.raises(ValueError, match="vectors have 3 dimensions, the index 2"):
        as_rows(np.zeros((1, 3)), 1, 2)


def test_a_repeated_id_keeps_its_last_vector():
    ids, rows = last_per_id(np.array([7, 8, 7]), np.array([[1.0], [2.0], [3.0]]))
    assert dict(zip(ids.tolist(), rows[:, 0].tolist(), strict=True)) == {7: 3.0, 8: 2.0}


def test_saving_again_replaces_the_files_and_load_gives_the_same_index(tmp_path):
    index = FlatIndex(2)
    index.info["model"] = "minilm"
    index.upsert([1, 2], [[1.0, 0.0], [0.0, 1.0]])
    index.save(tmp_path)
    first = set(p.name for p in tmp_path.iterdir())
    index.upsert([3], [[0.6, 0.8]])
    index.save(tmp_path)
    second = set(p.name for p in tmp_path.iterdir())
    assert META_FILE in second and not (first - {META_FILE}) & second  # the old files are gone
    meta = json.loads((tmp_path / META_FILE).read_text(encoding="utf-8"))
    assert meta["kind"] == "exact" and meta["count"] == 3 and read_meta(tmp_path) == meta
    loaded = FlatIndex.load(tmp_path)
    assert loaded.count == 3 and loaded.info == {"model": "minilm"}
    assert np.allclose(loaded.cosines([0.6, 0.8], [1, 3]), [0.6, 1.0])


def test_loading_a_folder_without_an_index_says_so(tmp_path):
    assert read_meta(tmp_path) is None
    with pytest.raises(FileNotFoundError, match="no saved index in"):
        FlatIndex.load(tmp_path)
