"""The one small interface every dense index kind offers (the shape of txtai's ``ann/base.py``).

Vectors are unit length, scores are cosines (inner products), and every vector is keyed by a stable int64
paragraph id. ``allowed`` restricts a search to some ids *inside* the index: the ``k`` results are the best ``k``
among the allowed ids, never what survives of an unfiltered top ``k``.
"""

from __future__ import annotations

import json
import os
import uuid
from abc import ABC, abstractmethod
from pathlib import Path

import numpy as np

from retrieval.index.datadir import fsync_dir, fsync_write

META_FILE = "meta.json"

Ids = np.ndarray  # int64, one per vector
Result = tuple[np.ndarray, np.ndarray]  # (ids int64, cosines float32), best first


def as_ids(ids) -> np.ndarray:
    """Ids as a contiguous int64 array."""
    return np.ascontiguousarray(np.asarray(list(ids) if not isinstance(ids, np.ndarray) else ids,
                                           dtype=np.int64).reshape(-1))


def as_rows(vectors, n: int, dimension: int) -> np.ndarray:
    """Vectors as a contiguous float32 (n, dimension) array."""
    rows = np.ascontiguousarray(vectors, dtype=np.float32).reshape(n, -1)
    if n and rows.shape[1] != dimension:
        raise ValueError(f"vectors have {rows.shape[1]} dimensions, the index {dimension}")
    return rows


def empty_result() -> Result:
    return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)


def last_per_id(ids: np.ndarray, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keep the last vector given for each id (an upsert batch may repeat an id)."""
    if len(np.unique(ids)) == len(ids):
        return ids, vectors
    _, first_of_reversed = np.unique(ids[::-1], return_index=True)
    keep = np.sort(len(ids) - 1 - first_of_reversed)
    return ids[keep], vectors[keep]


class VectorIndex(ABC):
    """A dense index keyed by paragraph id. Not thread-safe: callers serialise writes (the collection's lock)."""

    kind: str = ""

    def __init__(self, dimension: int) -> None:
        self.dimension = int(dimension)
        self.info: dict = {}  # saved with the index and given back by ``load`` (e.g. the model name)

    # -- writing -------------------------------------------------------------------------------------------------
    @abstractmethod
    def upsert(self, ids, vectors) -> None:
        """Store ``vectors`` under ``ids``; an id already present gets the new vector (replaced, not doubled)."""

    @abstractmethod
    def delete(self, ids) -> int:
        """Remove ``ids`` (unknown ids are ignored); returns how many were present."""

    # -- reading -------------------------------------------------------------------------------------------------
    @property
    @abstractmethod
    def count(self) -> int:
        """How many ids the index holds."""

    @abstractmethod
    def search(self, query: np.ndarray, k: int, allowed=None) -> Result:
        """(ids, cosines) of the ``k`` nearest vectors, best first; among ``allowed`` ids only when given."""

    @abstractmethod
    def vectors_of(self, ids) -> np.ndarray:
        """The stored vectors of ``ids`` (float32 rows in the same order); raises ``KeyError`` on an unknown id."""

    @abstractmethod
    def contains(self, ids) -> np.ndarray:
        """A boolean per id: is it in the index?"""

    @abstractmethod
    def ids(self) -> np.ndarray:
        """Every id held (in no particular order)."""

    def cosines(self, query: np.ndarray, ids) -> np.ndarray:
        """Cosine of ``query`` with each of ``ids`` (for re-ranking candidates)."""
        ids = as_ids(ids)
        if len(ids) == 0:
            return np.zeros(0, dtype=np.float32)
        return self.vectors_of(ids) @ np.asarray(query, dtype=np.float32).reshape(-1)

    def close(self) -> None:
        """Release what the index holds outside this process's memory (a server connection); a no-op here."""
        return None

    # -- persistence ---------------------------------------------------------------------------------------------
    @abstractmethod
    def _save_files(self, folder: Path, tag: str) -> dict:
        """Write this kind's files into ``folder`` (names carrying ``tag``); return what ``_load`` needs."""

    @classmethod
    @abstractmethod
    def _load(cls, folder: Path, meta: dict, /, **options) -> VectorIndex:
        """The index saved in ``folder`` as described by ``meta``."""

    def save(self, folder: Path) -> None:
        """Write the index into ``folder``: new files first, then ``meta.json`` replaced atomically (fsynced), then
        the previous files removed. A crash at any point leaves the previous or the new index whole."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        tag = uuid.uuid4().hex[:12]
        files = self._save_files(folder, tag)
        meta = {"kind": self.kind, "dimension": self.dimension, "count": self.count, "info": self.info,
                "files": files}
        previous = read_meta(folder)
        fsync_write(folder / META_FILE, json.dumps(meta))
        fsync_dir(folder)
        keep = set(_file_names(meta))
        for name in _file_names(previous or {}):
            if name not in keep:
                (folder / name).unlink(missing_ok=True)

    @classmethod
    def load(cls, folder: Path, /, **options) -> VectorIndex:
        """The index saved in ``folder`` (raises ``FileNotFoundError`` when there is none)."""
        meta = read_meta(Path(folder))
        if meta is None:
            raise FileNotFoundError(f"no saved index in {folder}")
        index = cls._load(Path(folder), meta, **options)
        index.info = dict(meta.get("info") or {})
        return index


def read_meta(folder: Path) -> dict | None:
    """The saved index's description, or None when ``folder`` holds none."""
    path = Path(folder) / META_FILE
    if not path.exists():
        return None
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def _file_names(meta: dict) -> list[str]:
    return [v for v in (meta.get("files") or {}).values() if isinstance(v, str)]


def save_array(path: Path, array: np.ndarray) -> None:
    """``np.save`` to ``path``, fsynced."""
    with open(path, "wb") as handle:
        np.save(handle, array)
        handle.flush()
        os.fsync(handle.fileno())
