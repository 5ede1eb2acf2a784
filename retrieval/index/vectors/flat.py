"""Exact search: FAISS ``IndexIDMap2(IndexFlatIP)``, every vector in float32, scanned in full per query."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

from retrieval.index.datadir import fsync_file
from retrieval.index.vectors.base import Result, VectorIndex, as_ids, as_rows, empty_result, last_per_id


class FlatIndex(VectorIndex):
    """Exact cosine search by paragraph id; ``allowed`` is a FAISS ``IDSelectorBatch`` inside the scan."""

    kind = "exact"

    def __init__(self, dimension: int) -> None:
        super().__init__(dimension)
        self.index = faiss.IndexIDMap2(faiss.IndexFlatIP(self.dimension))

    @property
    def count(self) -> int:
        return int(self.index.ntotal)

    def upsert(self, ids, vectors) -> None:
        ids = as_ids(ids)
        if len(ids) == 0:
            return
        ids, rows = last_per_id(ids, as_rows(vectors, len(ids), self.dimension))
        present = ids[self.contains(ids)]
        if len(present):
            self.index.remove_ids(present)
        self.index.add_with_ids(rows, ids)

    def delete(self, ids) -> int:
        ids = as_ids(ids)
        return int(self.index.remove_ids(ids)) if len(ids) else 0

    def contains(self, ids) -> np.ndarray:
        ids = as_ids(ids)
        if len(ids) == 0 or self.count == 0:
            return np.zeros(len(ids), dtype=bool)
        return np.isin(ids, self.ids())

    def ids(self) -> np.ndarray:
        return faiss.vector_to_array(self.index.id_map).astype(np.int64)

    def vectors_of(self, ids) -> np.ndarray:
        ids = as_ids(ids)
        if len(ids) == 0:
            return np.zeros((0, self.dimension), dtype=np.float32)
        try:
            return np.stack([self.index.reconstruct(int(i)) for i in ids])
        except RuntimeError as exc:  # FAISS: "key not found"
            raise KeyError(f"an id is not in the index: {exc}") from None

    def all_vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """(ids, vectors) of everything held, in storage order (one pass, for building another kind)."""
        if self.count == 0:
            return np.zeros(0, dtype=np.int64), np.zeros((0, self.dimension), dtype=np.float32)
        return self.ids(), self.index.index.reconstruct_n(0, self.count)

    def search(self, query: np.ndarray, k: int, allowed=None) -> Result:
        q = np.ascontiguousarray(np.asarray(query, dtype=np.float32).reshape(1, -1))
        params = None
        limit = self.count
        if allowed is not None:
            rows = as_ids(allowed)
            limit = min(limit, len(rows))
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(rows))
        k = min(int(k), limit)
        if k <= 0:
            return empty_result()
        scores, ids = self.index.search(q, k, params=params)
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]

    def _save_files(self, folder: Path, tag: str) -> dict:
        name = f"flat-{tag}.faiss"
        faiss.write_index(self.index, str(folder / name))
        fsync_file(folder / name)
        return {"index": name}

    @classmethod
    def _load(cls, folder: Path, meta: dict, /, **options) -> FlatIndex:
        index = cls(int(meta["dimension"]))
        index.index = faiss.read_index(str(folder / meta["files"]["index"]))
        return index
