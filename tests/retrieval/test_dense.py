"""The dense index keyed by stable paragraph ids: add, remove, search and cosines by id."""

import numpy as np

from retrieval.dense import DenseIndex


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def test_search_returns_stable_ids_and_survives_removal():
    rng = np.random.default_rng(0)
    vectors = unit(rng.normal(size=(50, 16)))
    ids = np.arange(1000, 1050, dtype=np.int64)
    index = DenseIndex.build(ids, vectors)
    found, scores = index.search(vectors[7], 3)
    assert found[0] == 1007 and abs(scores[0] - 1.0) < 1e-5
    assert index.remove([1007, 99999]) == 1 and index.size == 49
    found, _ = index.search(vectors[7], 3)
    assert 1007 not in found
    index.add(np.asarray([5]), vectors[7:8])
    assert index.search(vectors[7], 1)[0][0] == 5
    assert np.allclose(index.cosines(vectors[3], [1003, 5]), [1.0, vectors[7] @ vectors[3]], atol=1e-5)
    order = {int(i): n for n, i in enumerate(index.ids())}
    assert np.allclose(index.vectors()[order[1003]], vectors[3])


def test_empty_index_answers_nothing():
    index = DenseIndex(8)
    ids, scores = index.search(np.ones(8, dtype=np.float32), 5)
    assert len(ids) == 0 and len(scores) == 0
