"""Hybrid ranking: BM25 and dense cosine fused into one absolute relevance score."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from retrieval.collection import Collection


@dataclass(frozen=True)
class Hit:
    """A ranked paragraph row with its fused score and the two scores it came from."""

    row: int
    score: float
    lexical: float
    dense: float


def rank(
    collection: Collection, query: str, query_vector: np.ndarray, bm25_weight: float, candidates: int
) -> list[Hit]:
    """Paragraph rows by fused score: ``w * BM25/best-attainable + (1 - w) * cosine``.

    Both parts are absolute (not rescaled per question), so the score can be compared with a fixed threshold.
    """
    lexical = collection.bm25.normalised_scores(query)
    by_lexical = np.argsort(-lexical)[:candidates]
    by_dense, _ = collection.dense.search(query_vector, candidates)
    rows = np.unique(np.concatenate([by_lexical, by_dense]).astype(np.int64))
    cosines = collection.dense.cosines(query_vector, rows)
    fused = bm25_weight * lexical[rows] + (1.0 - bm25_weight) * cosines
    order = np.argsort(-fused, kind="stable")
    return [Hit(int(rows[i]), float(fused[i]), float(lexical[rows[i]]), float(cosines[i])) for i in order]
