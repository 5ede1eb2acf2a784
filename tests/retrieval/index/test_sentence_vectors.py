"""Sentence vectors: rows read back the same whether they come from the snapshot file, RAM, or a spill file."""

from __future__ import annotations

import numpy as np

from retrieval.index.sentence_vectors import SPILL_ROWS, SentenceVectors
from retrieval.index.snapshot import map_members, write_snapshot


def rows(first: int, count: int, dim: int = 4) -> np.ndarray:
    return (np.arange(first * dim, (first + count) * dim) % 1000).reshape(count, dim).astype(np.float16)


def test_rows_from_the_snapshot_file_then_from_memory(tmp_path):
    path = tmp_path / "index.npz"
    write_snapshot(path, {}, {"sentence_vectors": rows(0, 10)})
    base = map_members(path, by_reads=("sentence_vectors",))["sentence_vectors"]
    vectors = SentenceVectors(4, base=base)
    vectors.extend(rows(10, 5))
    assert len(vectors) == 15
    assert np.array_equal(vectors.rows(8, 2), rows(8, 2)) and np.array_equal(vectors.rows(11, 3), rows(11, 3))
    picked = np.array([0, 9, 10, 14])
    assert np.array_equal(vectors.take(picked), np.concatenate([rows(0, 15)[i:i + 1] for i in picked]))


def test_a_large_build_spills_to_a_file_and_reads_back_the_same(tmp_path):
    vectors = SentenceVectors(4, spill_dir=tmp_path)
    total = SPILL_ROWS + 100
    vectors.extend(rows(0, SPILL_ROWS))
    vectors.extend(rows(SPILL_ROWS, 100))
    assert len(vectors) == total and vectors.base_rows == SPILL_ROWS  # the first batch left memory
    assert list(tmp_path.iterdir()) == []  # the spill file has no name: nothing is left behind
    assert np.array_equal(vectors.rows(SPILL_ROWS - 3, 3), rows(SPILL_ROWS - 3, 3))
    assert np.array_equal(vectors.rows(SPILL_ROWS + 50, 4), rows(SPILL_ROWS + 50, 4))
    picked = np.array([1, SPILL_ROWS - 1, SPILL_ROWS, total - 1])
    assert np.array_equal(vectors.take(picked), np.concatenate([rows(int(i), 1) for i in picked]))
