"""The dense index behind one small interface: FAISS inner product over unit vectors (cosine)."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np


class DenseIndex:
    """``IndexIDMap2(IndexFlatIP)``: exact cosine search, ids are paragraph rows, vectors can be reconstructed."""

    def __init__(self, index: faiss.Index) -> None:
        self.index = index

    @classmethod
    def build(cls, vectors: np.ndarray) -> DenseIndex:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        index = faiss.IndexIDMap2(faiss.IndexFlatIP(int(vectors.shape[1])))
        if len(vectors):
            index.add_with_ids(vectors, np.arange(len(vectors), dtype=np.int64))
        return cls(index)

    @property
    def size(self) -> int:
        return int(self.index.ntotal)

    def save(self, path: Path) -> None:
        faiss.write_index(self.index, str(path))

    @classmethod
    def load(cls, path: Path) -> DenseIndex:
        return cls(faiss.read_index(str(path)))

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(rows, cosines) of the ``k`` nearest paragraphs."""
        k = min(k, self.size)
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        scores, ids = self.index.search(np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), k)
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]

    def search_among(self, query: np.ndarray, k: int, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(rows, cosines) of the ``k`` nearest paragraphs among ``rows`` only (FAISS ``IDSelectorBatch``)."""
        rows = np.ascontiguousarray(rows, dtype=np.int64)
        k = min(k, len(rows))
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(rows))
        scores, ids = self.index.search(np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), k, params=params)
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]

    def cosines(self, query: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Cosine of the query with the given paragraph rows."""
        if len(rows) == 0:
            return np.zeros(0, dtype=np.float32)
        vectors = np.stack([self.index.reconstruct(int(r)) for r in rows])
        return vectors @ query.astype(np.float32)
