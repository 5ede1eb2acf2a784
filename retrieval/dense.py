"""The exact dense index under its older name and method names; the index kinds (and the interface new code
uses: ``upsert``, ``delete``, ``search(..., allowed=)``) live in ``retrieval.index.vectors``."""

from __future__ import annotations

import numpy as np

from retrieval.index.vectors.flat import FlatIndex


class DenseIndex(FlatIndex):
    """``FlatIndex`` with the older names: ``build``, ``add``, ``remove``, ``search_among``, ``vectors``."""

    @classmethod
    def build(cls, ids: np.ndarray, vectors: np.ndarray, dimension: int | None = None) -> DenseIndex:
        """An index of ``vectors`` under ``ids`` (added in chunks: a memory map is never copied whole)."""
        index = cls(dimension or (int(vectors.shape[1]) if vectors.ndim == 2 and vectors.shape[1] else 384))
        for n in range(0, len(ids), 65536):
            index.upsert(np.asarray(ids[n:n + 65536]), np.asarray(vectors[n:n + 65536], dtype=np.float32))
        return index

    def add(self, ids, vectors) -> None:
        self.upsert(ids, vectors)

    def remove(self, ids) -> int:
        return self.delete(ids)

    def search_among(self, query: np.ndarray, k: int, ids) -> tuple[np.ndarray, np.ndarray]:
        return self.search(query, k, allowed=ids)

    def vectors(self) -> np.ndarray:
        return self.all_vectors()[1]
