"""How close an approximate index comes to exact search over the same vectors."""

from __future__ import annotations

import numpy as np

from retrieval.index.vectors.base import VectorIndex
from retrieval.index.vectors.factory import copy_into
from retrieval.index.vectors.flat import FlatIndex


def exact_copy(index: VectorIndex) -> FlatIndex:
    """An exact (flat) index over the vectors ``index`` holds (for HNSW: its 8-bit codes, decoded)."""
    exact = FlatIndex(index.dimension)
    exact.info = dict(index.info)
    copy_into(index, exact)
    return exact


def recall_at_k(index: VectorIndex, exact: VectorIndex, queries, k: int = 10) -> float | None:
    """Mean share of exact search's top ``k`` ids that ``index`` also returns in its top ``k``."""
    shares = []
    for query in queries:
        truth, _ = exact.search(np.asarray(query, dtype=np.float32), k)
        if len(truth):
            found, _ = index.search(np.asarray(query, dtype=np.float32), k)
            shares.append(len(set(found.tolist()) & set(truth.tolist())) / len(truth))
    return round(float(np.mean(shares)), 4) if shares else None
