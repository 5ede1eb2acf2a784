"""The snapshot file: arrays round-trip through an uncompressed zip, are mapped on load, and a damaged, foreign or
incomplete file is told apart (None for another model or format, ValueError when damaged)."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest

from retrieval.index.snapshot import SNAPSHOT_FORMAT, map_members, pack, prefixed, read_snapshot, unpack, write_snapshot


def test_strings_pack_and_unpack():
    words = ["café", "", "naïve words", "東京"]
    assert unpack(pack(words)) == words
    assert unpack(pack([])) == []


def test_prefixed_picks_one_group_of_members():
    arrays = {"bm25_df": np.zeros(1), "bm25_lengths": np.ones(2), "abm25_df": np.zeros(3)}
    assert sorted(prefixed(arrays, "bm25_")) == ["df", "lengths"]


def test_arrays_round_trip_and_the_write_is_atomic(tmp_path):
    path = tmp_path / "index.npz"
    vectors = np.arange(12, dtype=np.float16).reshape(6, 2)
    chunks = [np.arange(4, dtype=np.int32), np.arange(4, 8, dtype=np.int32)]
    write_snapshot(path, {"format": "x"}, {"vectors": vectors, "empty": np.zeros(0, np.int64)},
                   streamed={"streamed": ((8,), np.int32, chunks)})
    loaded = map_members(path, by_reads=("vectors",))
    assert np.array_equal(loaded["vectors"][1:4], vectors[1:4]) and loaded["vectors"][-1].tolist() == [10, 11]
    assert loaded["streamed"].tolist() == list(range(8)) and len(loaded["empty"]) == 0
    assert [p.name for p in tmp_path.iterdir()] == ["index.npz"]  # no temporary file left


def test_a_compressed_or_truncated_member_is_refused(tmp_path):
    path = tmp_path / "index.npz"
    np.savez_compressed(path, ids=np.arange(10))
    with pytest.raises(ValueError, match="not a stored .npy"):
        map_members(path)
    write_snapshot(path, {}, {"ids": np.arange(1000, dtype=np.int64)})
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    with pytest.raises((ValueError, zipfile.BadZipFile)):
        map_members(path)


def test_read_snapshot_ignores_another_model_or_format_and_rejects_missing_members(tmp_path):
    path = tmp_path / "index.npz"
    assert read_snapshot(path, "minilm") == (None, {})
    write_snapshot(path, {"format": SNAPSHOT_FORMAT, "model": "other"}, {"ids": np.arange(3)})
    arrays, info = read_snapshot(path, "minilm")
    assert arrays is None and info["model"] == "other"
    write_snapshot(path, {"format": "0", "model": "minilm"}, {"ids": np.arange(3)})
    assert read_snapshot(path, "minilm")[0] is None
    write_snapshot(path, {"format": SNAPSHOT_FORMAT, "model": "minilm"}, {"ids": np.arange(3)})
    with pytest.raises(ValueError, match="the snapshot lacks article, number"):
        read_snapshot(path, "minilm")
