"""A persistent embedding cache in SQLite, keyed by model name and a hash of the text."""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from embeddings.e5 import E5Embedder
from embeddings.model import Embedder


def text_hash(text: str) -> str:
    """Stable key for a text: sha1 of its UTF-8 bytes."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


log = logging.getLogger("citebot.cache")


def _damaged(exc: sqlite3.Error) -> bool:
    """A damaged file (garbage, truncated), as opposed to a busy one."""
    return isinstance(exc, sqlite3.DatabaseError) and "locked" not in str(exc) and "busy" not in str(exc)


class EmbeddingCache:
    """Vectors stored by (model, sha1(text)); safe to share between threads and processes.

    A damaged cache file is set aside (renamed ``embeddings.sqlite.damaged-TIMESTAMP``) and started afresh: it
    only holds work that can be redone. ``repaired`` then holds the message saying so.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self.repaired: str | None = None
        try:
            self._connect()
        except sqlite3.Error as exc:
            if not _damaged(exc):
                raise
            self._set_aside(exc)

    def _connect(self) -> None:
        self._conn = sqlite3.connect(str(self.path), check_same_thread=False, timeout=30)
        try:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS embeddings ("
                " model TEXT NOT NULL, hash TEXT NOT NULL, vector BLOB NOT NULL, PRIMARY KEY (model, hash))"
            )
            self._conn.commit()
            self._conn.execute("SELECT hash FROM embeddings LIMIT 1").fetchall()
        except BaseException:
            self._conn.close()
            raise

    def _set_aside(self, exc: Exception) -> None:
        """Rename the damaged file (and its WAL) aside and open a fresh cache."""
        try:
            self._conn.close()
        except Exception:  # noqa: BLE001 - it is being replaced
            pass
        target = self.path.with_name(f"{self.path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
        for suffix in ("", "-wal", "-shm"):
            side = self.path.with_name(self.path.name + suffix)
            if side.exists():
                os.replace(side, target.with_name(target.name + suffix))
        self.repaired = (f"the embedding cache {self.path.name} was damaged ({exc}): set aside as {target.name}; "
                         "vectors are computed again as needed")
        log.warning("%s", self.repaired)
        self._connect()

    def _run(self, work):
        """``work()`` under the lock; a damaged file is set aside once and the work retried on a fresh cache."""
        with self._lock:
            try:
                return work()
            except sqlite3.Error as exc:
                if not _damaged(exc):
                    raise
                self._set_aside(exc)
                return work()

    def get_many(self, model: str, hashes: list[str]) -> dict[str, np.ndarray]:
        """Return the cached vectors among ``hashes``."""
        def work() -> dict[str, np.ndarray]:
            found: dict[str, np.ndarray] = {}
            for start in range(0, len(hashes), 500):
                chunk = hashes[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = self._conn.execute(
                    f"SELECT hash, vector FROM embeddings WHERE model = ? AND hash IN ({marks})",
                    [model, *chunk],
                )
                for key, blob in rows:
                    vector = np.frombuffer(blob, dtype=np.float32)
                    if vector.size and np.isfinite(vector).all():
                        found[key] = vector
            return found

        return self._run(work)

    def put_many(self, model: str, items: dict[str, np.ndarray]) -> None:
        """Store vectors by hash."""
        rows = [(model, key, np.asarray(vec, dtype=np.float32).tobytes()) for key, vec in items.items()]

        def work() -> None:
            self._conn.executemany("INSERT OR REPLACE INTO embeddings (model, hash, vector) VALUES (?, ?, ?)", rows)
            self._conn.commit()

        self._run(work)

    def count(self, model: str | None = None) -> int:
        with self._lock:
            if model is None:
                return self._conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0]
            return self._conn.execute("SELECT COUNT(*) FROM embeddings WHERE model = ?", (model,)).fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._conn.close()


class CachedEmbedder:
    """An ``Embedder`` that embeds only texts the cache has not seen; ``computed`` counts model calls."""

    def __init__(self, embedder: Embedder | E5Embedder, cache: EmbeddingCache | None) -> None:
        self.embedder = embedder
        self.cache = cache
        self.computed = 0

    @property
    def name(self) -> str:
        return self.embedder.name

    @property
    def cache_key(self) -> str:
        """Where this model's passage vectors live in the cache (model and, for E5, the passage prefix)."""
        return getattr(self.embedder, "cache_key", self.embedder.name)

    @property
    def dimension(self) -> int:
        return self.embedder.dimension

    def encode_query(self, text: str) -> np.ndarray:
        """One query vector straight from the model (its query form): questions skip the cache."""
        return self.embedder.encode_query(text)

    def encode(
        self,
        texts: list[str],
        progress: Callable[[int, int], None] | None = None,
        batch: int = 256,
    ) -> np.ndarray:
        """Embed ``texts`` (cached ones come from the cache); ``progress(done, total)`` after each batch."""
        keys = [text_hash(t) for t in texts]
        known = self.cache.get_many(self.cache_key, list(set(keys))) if self.cache else {}
        missing = list(dict.fromkeys(k for k in keys if k not in known))
        by_key = {k: t for k, t in zip(keys, texts, strict=True)}
        total = len(missing)
        if progress:
            progress(0, total)
        for start in range(0, total, batch):
            chunk = missing[start : start + batch]
            vectors = self.embedder.encode([by_key[k] for k in chunk])
            fresh = dict(zip(chunk, vectors, strict=True))
            known.update(fresh)
            if self.cache:
                self.cache.put_many(self.cache_key, fresh)
            self.computed += len(chunk)
            if progress:
                progress(min(start + batch, total), total)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([known[k] for k in keys]).astype(np.float32)
