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


def test_what_a_server_derives_is_never_served_to_another_or_the_whole_collection(library):
    from retrieval.models import ArticleMeta
    from retrieval.query.timefilter import UNDATED, row_days
    from retrieval.text.articles import Article

    keys = ["harbour", "quay"]
    library.upsert([Article(ArticleMeta(article_id=key, title=f"About the {key}", published=f"2024-03-0{n + 1}"),
                            f"The {key} story is told here at some length for the index. " * 6)
                    for n, key in enumerate(keys)])
    collection = library.collection()
    one = ScopedCollection(collection, frozenset(keys[:1]))
    with one.reading() as view:
        scoped_days = row_days(view)  # the server's own: other articles' rows are undated for it
        others = ~view.visible()
    assert (scoped_days[others] == UNDATED).all()
    with collection.reading() as full:
        days = row_days(full)
        dated = np.zeros(full.rows, dtype=bool)
        for key in keys[1:]:
            dated[full.article_rows(key)] = True
    assert (days[dated] != UNDATED).all()  # the whole collection's dates, not the server's
    with ScopedCollection(collection, frozenset(keys[1:2])).reading() as view:
        assert (row_days(view)[view.article_rows(keys[1])] != UNDATED).all()


def test_scopes_keep_at_most_their_limit_least_recently_asked_first(library):
    collection = library.collection()
    scopes = Scopes(limit=2)
    keys = frozenset({"geology"})
    first = scopes.scoped(1, collection, keys)
    second = scopes.scoped(2, collection, keys)
    assert scopes.scoped(1, collection, keys) is first  # asked again: now the most recent
    scopes.scoped(3, collection, keys)  # over the limit: server 2 goes
    assert scopes.scoped(1, collection, keys) is first
    assert scopes.scoped(2, collection, keys) is not second  # made again
