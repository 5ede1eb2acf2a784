"""Paged, indexed look-ups for /sources and the article autocomplete: a store of thousands of real-titled articles
answers from its indexes with the same choices, in the same order, as the old scan over every article."""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import date, timedelta

import pytest

from retrieval.index.identity import text_hash
from retrieval.index.store import Store
from retrieval.models import ArticleMeta, newest_first
from retrieval.text.paragraphs import ParagraphSplitter
from tests.conftest import SHARED

ARTICLES = 4000


def reference(metas: list[ArticleMeta], typed: str, limit: int = 25) -> list[str]:
    """The autocomplete as it was (a scan over every article in memory): keys in the order it offered them."""
    wanted = " ".join(typed.split()).casefold()
    words = wanted.split()
    ranked = []
    for order, meta in enumerate(newest_first(metas)):
        title = (meta.title or meta.article_id).casefold()
        if not all(word in f"{title} {meta.article_id.casefold()}" for word in words):
            continue
        ranked.append((0 if title.startswith(wanted) else 1 if wanted in title else 2, order, meta.article_id))
    ranked.sort()
    return [key for _, _, key in ranked[:limit]]


def put(store: Store, meta: ArticleMeta, text: str) -> None:
    paragraphs = ParagraphSplitter().split(meta.article_id, text)
    store.put(meta, text, text_hash(text), paragraphs, [[(0, len(p.text))] for p in paragraphs], "test", [])


@pytest.fixture(scope="module")
def big_store(tmp_path_factory):
    """4,000 articles titled with the opening words of real cnn-news paragraphs, dated over a year (some undated,
    some on the same day), plus a few non-ASCII titles."""
    store = Store(tmp_path_factory.mktemp("lookups") / "citebot.sqlite")
    store.skip_fsync()  # test speed only: thousands of one-article transactions
    lines = (SHARED / "eval" / "cnn-news" / "paragraphs.jsonl").read_text(encoding="utf-8").splitlines()
    metas = []
    for n in range(ARTICLES):
        text = json.loads(lines[n])["text"]
        title = " ".join(text.split()[:7])
        published = None if n % 97 == 0 else (date(2026, 11, 26) - timedelta(days=n % 365)).isoformat()
        metas.append(ArticleMeta(f"cnn-{n:05d}", title, "CNN", published=published))
        put(store, metas[-1], text)
    for n, title in enumerate(["Über den Wolken: Lufthansa streicht Flüge", "ÉTÉ caniculaire à Paris",
                               "Straße gesperrt nach Unwetter"]):
        metas.append(ArticleMeta(f"intl-{n}", title, "Wire", published="2026-11-20"))
        put(store, metas[-1], f"{title}. The body of the story, long enough to be a paragraph of its own.")
    return store, metas


@pytest.mark.parametrize("typed", ["", "t", "the", "police", "Pol", "said the", "obama said", "cnn-0001",
                                   "über", "ÜBER wolk", "été", "straße", "zzqx no such title", "a b", "(cnn"])
def test_autocomplete_matches_the_old_scan_in_order(big_store, typed):
    store, metas = big_store
    started = time.perf_counter()
    found = store.match_titles(typed, 25)
    took = time.perf_counter() - started
    assert [m.article_id for m in found] == reference(metas, typed)
    assert took < 1.0, f"{typed!r} took {took:.2f} s"  # Discord drops an autocomplete answer after 3 s


def test_autocomplete_follows_updates_and_deletes(big_store, tmp_path):
    store = Store(tmp_path / "citebot.sqlite")
    put(store, ArticleMeta("a", "Harbour reopens after storm", published="2026-11-01"), "The harbour reopened.")
    put(store, ArticleMeta("b", "Harbour fees rise", published="2026-11-02"), "Fees rise at the harbour.")
    assert [m.article_id for m in store.match_titles("harbour")] == ["b", "a"]
    put(store, ArticleMeta("a", "Ferry service resumes", published="2026-11-03"), "The ferry is back.")  # replaced
    assert [m.article_id for m in store.match_titles("harbour")] == ["b"]
    assert [m.title for m in store.match_titles("ferry serv")] == ["Ferry service resumes"]
    store.touch("b", ArticleMeta("b", "Port fees rise", published="2026-11-02"), "test", [])  # title edited
    assert store.match_titles("harbour") == [] and [m.article_id for m in store.match_titles("port")] == ["b"]
    store.delete("b")
    assert store.match_titles("port") == [] and [m.article_id for m in store.match_titles("")] == ["a"]


def test_a_store_from_before_the_title_index_gets_it_on_open(tmp_path):
    path = tmp_path / "citebot.sqlite"
    store = Store(path)
    put(store, ArticleMeta("a", "Harbour reopens after storm", published="2026-11-01"), "The harbour reopened.")
    store.close()
    conn = sqlite3.connect(path)  # as an older citebot left it: no title index, no triggers
    for name in ("article_titles_insert", "article_titles_update", "article_titles_delete"):
        conn.execute(f"DROP TRIGGER {name}")
    conn.execute("DROP TABLE article_titles")
    conn.execute("DELETE FROM meta WHERE key = 'title_search'")
    conn.commit()
    conn.close()
    store = Store(path)
    assert [m.article_id for m in store.match_titles("storm")] == ["a"]
    assert store.load()[1]["a"].meta.title == "Harbour reopens after storm"


def test_sources_page_newest_first_with_paragraph_counts(big_store):
    store, metas = big_store
    order = [m.article_id for m in newest_first(metas)]
    first, second = store.article_page(25), store.article_page(25, offset=25)
    assert [r["article_id"] for r in first + second] == order[:50]
    assert store.article_count() == len(metas)
    _, stored = store.load([first[0]["article_id"]])
    assert first[0]["paragraphs"] == len(stored[first[0]["article_id"]].paragraphs) >= 1
    assert set(first[0]) == {"article_id", "title", "source", "published", "url", "paragraphs"}
