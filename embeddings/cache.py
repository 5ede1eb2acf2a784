"""A persistent embedding cache in SQLite, keyed by model name and a hash of the text."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

from embeddings.e5 import E5Embedder
from embeddings.model import Embedder


def text_hash(text: str) -> str:
    """Stable key for a text: sha1 of its UTF-8 bytes."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    """Vectors stored by (model, sha1(text)); safe to share between threads and processes."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(str(self.path), check_same_thread=False, timeout=30)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS embeddings ("
            " model TEXT NOT NULL, hash TEXT NOT NULL, vector BLOB NOT NULL, PRIMARY KEY (model, hash))"
        )
        self._conn.commit()

    def get_many(self, model: str, hashes: list[str]) -> dict[str, np.ndarray]:
        """Return the cached vectors among ``hashes``."""
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for start in range(0, len(hashes), 500):
                chunk = hashes[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = self._conn.execute(
                    f"SELECT hash, vector FROM embeddings WHERE model = ? AND hash IN ({marks})",
                    [model, *chunk],
                )
                for key, blob in rows:
                    found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, model: str, items: dict[str, np.ndarray]) -> None:
        """Store vectors by hash."""
        with self._lock:
            self._conn.executemany(
                "INSERT OR REPLACE INTO embeddings (model, hash, vector) VALUES (?, ?, ?)",
                [(model, key, np.asarray(vec, dtype=np.float32).tobytes()) for key, vec in items.items()],
            )
            self._conn.commit()

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
