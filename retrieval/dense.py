"""The dense index behind one small interface: FAISS inner product over unit vectors (cosine), keyed by
stable paragraph ids.

The interface (``add``, ``remove``, ``search``, ``cosines``, ``size``, ``ids``, ``vectors``) is what the
collection needs; another index kind (HNSW, a server) is a local change behind it.
"""

from __future__ import annotations

import faiss
import numpy as np


class DenseIndex:
    """``IndexIDMap2(IndexFlatIP)``: exact cosine search by paragraph id; vectors can be reconstructed."""

    def __init__(self, dimension: int) -> None:
        self.dimension = dimension
        self.index = faiss.IndexIDMap2(faiss.IndexFlatIP(int(dimension)))

    @classmethod
    def build(cls, ids: np.ndarray, vectors: np.ndarray, dimension: int | None = None) -> DenseIndex:
        """An index of ``vectors`` under ``ids`` (added in chunks: a memory map is never copied whole)."""
        index = cls(dimension or (int(vectors.shape[1]) if vectors.ndim == 2 and vectors.shape[1] else 384))
        for n in range(0, len(ids), 65536):
            index.add(np.asarray(ids[n:n + 65536]), np.asarray(vectors[n:n + 65536], dtype=np.float32))
        return index

    def vectors_of(self, ids) -> np.ndarray:
        """The vectors of the given ids (in that order)."""
        if len(ids) == 0:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self.index.reconstruct(int(i)) for i in ids])

    @property
    def size(self) -> int:
        return int(self.index.ntotal)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add vectors under the given ids (ids must not be present)."""
        if len(ids):
            self.index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(ids), -1),
                                    np.ascontiguousarray(ids, dtype=np.int64))

    def remove(self, ids) -> int:
        """Remove the given ids; returns how many were there."""
        ids = np.ascontiguousarray(list(ids), dtype=np.int64)
        return int(self.index.remove_ids(ids)) if len(ids) else 0

    def ids(self) -> np.ndarray:
        """Every id, in storage order."""
        return faiss.vector_to_array(self.index.id_map).astype(np.int64)

    def vectors(self) -> np.ndarray:
        """Every vector, in storage order (as ``ids()``)."""
        if self.size == 0:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self.index.index.reconstruct_n(0, self.size)

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(ids, cosines) of the ``k`` nearest paragraphs."""
        k = min(k, self.size)
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        scores, ids = self.index.search(np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), k)
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]

    def search_among(self, query: np.ndarray, k: int, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(ids, cosines) of the ``k`` nearest paragraphs among ``ids`` only (FAISS ``IDSelectorBatch``)."""
        rows = np.ascontiguousarray(ids, dtype=np.int64)
        k = min(k, len(rows))
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(rows))
        scores, ids = self.index.search(np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), k, params=params)
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]

    def cosines(self, query: np.ndarray, ids) -> np.ndarray:
        """Cosine of the query with the given paragraph ids."""
        if len(ids) == 0:
            return np.zeros(0, dtype=np.float32)
        vectors = np.stack([self.index.reconstruct(int(i)) for i in ids])
        return vectors @ query.astype(np.float32)
