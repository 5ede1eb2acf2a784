"""Planned removals: an article goes only when no origin is left, and a plan that would delete more than half of
the index is refused unless confirmed, before anything is removed."""

from __future__ import annotations

import pytest

from retrieval.errors import LargeRemovalError
from retrieval.index.identity import text_hash
from retrieval.index.removals import RemovalPlan
from retrieval.index.store import Store
from retrieval.models import ArticleMeta
from retrieval.text.paragraphs import ParagraphSplitter


def store_with(tmp_path, origins: dict[str, list[str]]) -> Store:
    store = Store(tmp_path / "store.sqlite")
    for key, sources in origins.items():
        text = f"The story called {key}."
        paragraphs = ParagraphSplitter().split(key, text)
        for origin in sources:
            store.put(ArticleMeta(key, key), text, text_hash(text), paragraphs, [[(0, len(text))]], origin, [])
    return store


def test_dropping_one_of_two_origins_keeps_the_article(tmp_path):
    store = store_with(tmp_path, {"a": ["feed", "folder"], "b": ["feed"], "c": ["folder"], "d": ["folder"]})
    plan = RemovalPlan()
    plan.drop("a", "feed")
    plan.drop("b", "feed")
    assert plan.doomed(store) == {"b"}
    plan.check(store, confirmed=False)
    assert plan.apply(store) == 1
    assert set(store.article_metas()) == {"a", "c", "d"} and store.origins("a") == {"folder"}


def test_removing_more_than_half_is_refused_until_confirmed(tmp_path):
    store = store_with(tmp_path, {"a": ["feed"], "b": ["feed"], "c": ["feed"], "d": ["folder"]})
    plan = RemovalPlan()
    for key in ("a", "b"):
        plan.drop(key, "feed")
    plan.delete("c", "https://news.example/c")
    with pytest.raises(LargeRemovalError) as err:
        plan.check(store, confirmed=False)
    assert (err.value.removing, err.value.total) == (3, 4) and "feed" in err.value.sources
    assert store.counts()[0] == 4  # nothing removed
    plan.check(store, confirmed=True)
    assert plan.apply(store) == 3 and set(store.article_metas()) == {"d"}


def test_exactly_half_needs_no_confirmation(tmp_path):
    store = store_with(tmp_path, {"a": ["feed"], "b": ["feed"], "c": ["folder"], "d": ["folder"]})
    plan = RemovalPlan()
    plan.drop("a", "feed")
    plan.delete("b", "gone")
    plan.check(store, confirmed=False)
    assert plan.apply(store) == 2
