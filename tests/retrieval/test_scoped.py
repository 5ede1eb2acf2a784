"""A server's part of the shared collection: only its articles' rows are alive, searched and listed, and
``Scopes`` keeps one scoped collection per server while nothing changes."""

import numpy as np
import pytest

from retrieval.library import Library
from retrieval.scoped import ScopedCollection, Scopes
from tests.conftest import copy_data_dir


@pytest.fixture
def library(tmp_path, embedder, sample_data_dir) -> Library:
    copy_data_dir(sample_data_dir, tmp_path / "data")
    return Library(tmp_path / "data", embedder)


def test_only_the_keys_rows_are_alive_searched_and_listed(library):
    collection = library.collection()
    with collection.reading() as full:
        keys = sorted(m.article_id for m in full.articles())
    assert len(keys) >= 2
    chosen = frozenset(keys[:1])
    scoped = ScopedCollection(collection, chosen)
    with scoped.reading() as view:
        assert {m.article_id for m in view.articles()} == chosen
        alive = np.flatnonzero(view.alive)
        assert len(alive) and {view.article_key(int(view.article_of_row[r])) for r in alive} == set(chosen)
        vector = library.embedder.encode_query("What is this article about?")
        _, rows = view.search(vector, 10)
        found = [int(r) for r in np.ravel(rows) if r >= 0]
        assert found and {view.article_key(int(view.article_of_row[r])) for r in found} == set(chosen)


def test_scopes_keep_one_scoped_collection_per_server_while_nothing_changes(library):
    collection = library.collection()
    scopes = Scopes()
    keys = frozenset({"geology"})
    kept = scopes.scoped(1, collection, keys)
    assert scopes.scoped(1, collection, keys) is kept
    assert scopes.scoped(1, collection, frozenset({"geology"})) is kept  # equal keys: still kept
    assert scopes.scoped(2, collection, keys) is not kept
    assert scopes.scoped(1, collection, frozenset({"geology", "x"})) is not kept
