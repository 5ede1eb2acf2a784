"""Approximate search: FAISS HNSW over 8-bit scalar-quantised vectors (``IndexHNSWSQ``, inner product).

Memory per vector: ``dimension`` bytes of codes plus the graph (about ``2*M`` neighbours of 4 bytes on the base
level), so 1M MiniLM vectors take about 0.4 GB + 0.26 GB at M=32 instead of 1.5 GB in float32. Load reads the
saved graph (``faiss.read_index``); it is never rebuilt on open.

FAISS HNSW cannot remove a vector, so the index keeps its own id per graph position and a liveness bitmap: a
delete (or the replaced vector of an upsert) only marks the position dead, and searches skip dead positions
through an ``IDSelectorBitmap`` inside the graph walk. When dead positions pass a quarter of the graph, it is
rebuilt from the live codes.

A filtered search (``allowed``) runs inside the graph too (``SearchParametersHNSW(sel=...)`` with ``efSearch``
raised by how selective the filter is); when the allowed ids are few (``exact_below``) it scores exactly those
vectors instead, which is both faster and exact.
"""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

from retrieval.index.datadir import fsync_file
from retrieval.index.vectors.base import (
    Result,
    VectorIndex,
    as_ids,
    as_rows,
    empty_result,
    last_per_id,
    save_array,
)

TRAIN_SAMPLE = 100_000  # vectors the quantiser's ranges are fitted on
RANGE_MARGIN = 0.2  # the fitted per-dimension ranges are widened by this share, for vectors added later
COMPACT_SHARE = 0.25  # rebuild the graph once this share of its positions is dead
MAX_EF = 4096


class HNSWIndex(VectorIndex):
    """HNSW (M neighbours, ``ef_construction``, ``ef_search``) over 8-bit codes, keyed by paragraph id."""

    kind = "hnsw"

    def __init__(self, dimension: int, m: int = 32, ef_construction: int = 80, ef_search: int = 128,
                 exact_below: int = 20_000) -> None:
        super().__init__(dimension)
        self.m, self.ef_construction, self.ef_search, self.exact_below = m, ef_construction, ef_search, exact_below
        self.index: faiss.IndexHNSWSQ | None = None  # created (and its quantiser trained) at the first upsert
        self._ids = np.zeros(0, dtype=np.int64)  # id per graph position
        self._alive = np.zeros(0, dtype=bool)  # per graph position
        self._count = 0
        self._bitmap: np.ndarray | None = None  # packed ``_alive`` (cached; None when nothing is dead)
        self._lookup: tuple[np.ndarray, np.ndarray] | None = None  # (sorted live ids, their positions)

    # -- positions -----------------------------------------------------------------------------------------------
    def _changed(self) -> None:
        self._bitmap = None
        self._lookup = None

    def _positions(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(positions, found) of ``ids``; positions of ids not found are meaningless."""
        lookup = self._lookup  # readers that race build the same and each keeps its own
        if lookup is None:
            live = np.flatnonzero(self._alive)
            order = np.argsort(self._ids[live], kind="stable")
            lookup = self._lookup = (self._ids[live][order], live[order])
        keys, positions = lookup
        if len(keys) == 0:
            return np.zeros(len(ids), dtype=np.int64), np.zeros(len(ids), dtype=bool)
        at = np.minimum(np.searchsorted(keys, ids), len(keys) - 1)
        return positions[at], keys[at] == ids

    def _new_graph(self, sample: np.ndarray) -> faiss.IndexHNSWSQ:
        index = faiss.IndexHNSWSQ(self.dimension, faiss.ScalarQuantizer.QT_8bit, self.m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = self.ef_construction
        index.hnsw.efSearch = self.ef_search
        quantizer = faiss.downcast_index(index.storage).sq
        quantizer.rangestat = faiss.ScalarQuantizer.RS_minmax
        quantizer.rangestat_arg = RANGE_MARGIN
        if len(sample) > TRAIN_SAMPLE:
            sample = sample[np.random.default_rng(0).choice(len(sample), TRAIN_SAMPLE, replace=False)]
        index.train(np.ascontiguousarray(sample, dtype=np.float32))
        return index

    # -- writing -------------------------------------------------------------------------------------------------
    def upsert(self, ids, vectors) -> None:
        ids = as_ids(ids)
        if len(ids) == 0:
            return
        ids, rows = last_per_id(ids, as_rows(vectors, len(ids), self.dimension))
        if self.index is None:
            self.index = self._new_graph(rows)
        self._kill(ids)
        self.index.add(rows)
        self._ids = np.concatenate([self._ids, ids])
        self._alive = np.concatenate([self._alive, np.ones(len(ids), dtype=bool)])
        self._count += len(ids)
        self._changed()

    def _kill(self, ids: np.ndarray) -> int:
        positions, found = self._positions(ids)
        positions = positions[found]
        self._alive[positions] = False
        self._count -= len(positions)
        if len(positions):
            self._changed()
        return len(positions)

    def delete(self, ids) -> int:
        ids = as_ids(ids)
        if len(ids) == 0 or self.index is None:
            return 0
        removed = self._kill(ids)
        dead = len(self._alive) - self._count
        if dead > 1000 and dead > COMPACT_SHARE * len(self._alive):
            self.compact()
        return removed

    def compact(self) -> None:
        """Rebuild the graph from the live vectors only (drops dead positions)."""
        live = np.flatnonzero(self._alive)
        ids, rows = self._ids[live], self._decode(live)
        self.index, self._ids, self._alive, self._count = None, np.zeros(0, np.int64), np.zeros(0, bool), 0
        self._changed()
        if len(ids):
            self.index = self._new_graph(rows)
            self.index.add(rows)
            self._ids, self._alive, self._count = ids, np.ones(len(ids), dtype=bool), len(ids)

    # -- reading -------------------------------------------------------------------------------------------------
    @property
    def count(self) -> int:
        return self._count

    @property
    def dead(self) -> int:
        """Graph positions no longer live (removed or replaced), until the next compaction."""
        return len(self._alive) - self._count

    def contains(self, ids) -> np.ndarray:
        ids = as_ids(ids)
        return self._positions(ids)[1] if len(ids) else np.zeros(0, dtype=bool)

    def ids(self) -> np.ndarray:
        return self._ids[self._alive].copy()

    def _decode(self, positions: np.ndarray) -> np.ndarray:
        if len(positions) == 0:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self.index.storage.reconstruct_batch(np.ascontiguousarray(positions, dtype=np.int64))

    def vectors_of(self, ids) -> np.ndarray:
        ids = as_ids(ids)
        positions, found = self._positions(ids)
        if not found.all():
            raise KeyError(f"id {int(ids[~found][0])} is not in the index")
        return self._decode(positions)

    def all_vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """(ids, vectors) of everything held (decoded from the 8-bit codes)."""
        live = np.flatnonzero(self._alive)
        return self._ids[live], self._decode(live)

    def search(self, query: np.ndarray, k: int, allowed=None) -> Result:
        if self.index is None or self._count == 0:
            return empty_result()
        q = np.ascontiguousarray(np.asarray(query, dtype=np.float32).reshape(1, -1))
        if allowed is None:
            k = min(int(k), self._count)
            if k <= 0:
                return empty_result()
            params = faiss.SearchParametersHNSW(efSearch=max(self.ef_search, k))
            if self.dead:
                bitmap = self._bitmap  # held here while faiss reads it, whatever another reader caches meanwhile
                if bitmap is None:
                    bitmap = self._bitmap = np.packbits(self._alive, bitorder="little")
                selector = faiss.IDSelectorBitmap(len(self._alive), faiss.swig_ptr(bitmap))
                params.sel = selector
            return self._graph_search(q, k, params)
        positions, found = self._positions(as_ids(allowed))
        positions = np.unique(positions[found])
        k = min(int(k), len(positions))
        if k <= 0:
            return empty_result()
        if len(positions) <= self.exact_below:
            scores = self._decode(positions) @ q[0]
            top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
            top = top[np.argsort(-scores[top], kind="stable")]
            return self._ids[positions[top]], scores[top].astype(np.float32)
        share = len(positions) / len(self._alive)
        ef = int(min(MAX_EF, max(self.ef_search, k) / share))
        selector = faiss.IDSelectorBatch(positions)
        return self._graph_search(q, k, faiss.SearchParametersHNSW(sel=selector, efSearch=max(ef, k)))

    def _graph_search(self, q: np.ndarray, k: int, params) -> Result:
        scores, positions = self.index.search(q, k, params=params)
        keep = positions[0] >= 0
        return self._ids[positions[0][keep]], scores[0][keep]

    # -- persistence ---------------------------------------------------------------------------------------------
    def _save_files(self, folder: Path, tag: str) -> dict:
        files = {"ids": f"hnsw-{tag}.ids.npy", "alive": f"hnsw-{tag}.alive.npy"}
        save_array(folder / files["ids"], self._ids)
        save_array(folder / files["alive"], self._alive)
        if self.index is not None:
            files["index"] = f"hnsw-{tag}.faiss"
            faiss.write_index(self.index, str(folder / files["index"]))
            fsync_file(folder / files["index"])
        files["params"] = {"m": self.m, "ef_construction": self.ef_construction}
        return files

    @classmethod
    def _load(cls, folder: Path, meta: dict, /, **options) -> HNSWIndex:
        files = meta["files"]
        params = {**files.get("params", {}), **options}
        index = cls(int(meta["dimension"]), **params)
        index._ids = np.load(folder / files["ids"])
        index._alive = np.load(folder / files["alive"])
        index._count = int(index._alive.sum())
        if "index" in files:
            index.index = faiss.read_index(str(folder / files["index"]))
            index.index.hnsw.efSearch = index.ef_search
            if index.index.ntotal != len(index._ids):
                raise ValueError(f"the saved HNSW graph has {index.index.ntotal} vectors, its id list "
                                 f"{len(index._ids)}")
        return index
