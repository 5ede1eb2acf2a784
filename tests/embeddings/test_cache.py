"""The real model, and the cache that keeps it from embedding a text twice."""

import numpy as np

from embeddings import CachedEmbedder, Embedder, EmbeddingCache


def test_embeddings_are_unit_vectors_and_cached(tmp_path):
    cache = EmbeddingCache(tmp_path / "e.sqlite")
    embedder = CachedEmbedder(Embedder(), cache)
    texts = ["Russia has amassed troops on the border.", "A recipe for banana bread.", "Troops gather at the frontier."]
    first = embedder.encode(texts)
    assert first.shape == (3, 384)
    assert np.allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-4)
    assert first[0] @ first[2] > first[0] @ first[1]  # related sentences are closer
    assert embedder.computed == 3

    again = CachedEmbedder(Embedder(), EmbeddingCache(tmp_path / "e.sqlite"))  # a new process would see the same
    second = again.encode(texts + ["A new sentence."])
    assert again.computed == 1
    assert np.allclose(second[:3], first, atol=1e-6)
    assert cache.count(Embedder().name) == 4
