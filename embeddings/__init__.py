"""Text -> vectors. Knows nothing of articles or Discord.

Public verbs: ``Embedder.encode`` and ``EmbeddingCache`` (a persistent cache keyed by model and text hash).
"""

from embeddings.cache import CachedEmbedder, EmbeddingCache
from embeddings.model import DEFAULT_MODEL, Embedder, resolve_model_path

__all__ = ["CachedEmbedder", "DEFAULT_MODEL", "Embedder", "EmbeddingCache", "resolve_model_path"]
