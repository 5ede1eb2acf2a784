"""The indexer: an article is added once, updated when its text changes, recognised under another URL or re-wrapped,
removed by name; an empty folder is one clear error; the last report is saved and read back. Real store and model."""

from __future__ import annotations

import pytest

from retrieval.errors import CitebotError
from retrieval.index.indexer import Indexer, article_aliases
from retrieval.index.store import Store
from retrieval.models import ArticleMeta
from retrieval.text.articles import Article
from retrieval.text.paragraphs import ParagraphSplitter

STORY = ("The harbour wall was repaired after the winter storm. Engineers worked through the night.\n\n"
         "The council said the repairs cost two million pounds and were finished ahead of schedule.")


def article(key: str, text: str = STORY, url: str | None = None, title: str = "Harbour wall repaired") -> Article:
    return Article(ArticleMeta(key, title, url=url), text)


@pytest.fixture
def indexer(tmp_path, embedder) -> Indexer:
    store = Store(tmp_path / "store.sqlite")
    return Indexer(tmp_path, lambda: store, embedder, ParagraphSplitter())


def test_added_once_then_unchanged_then_updated(indexer):
    first = indexer.upsert([article("harbour", url="https://news.example/harbour")])
    assert (first.added, first.updated, first.unchanged, first.articles) == (1, 0, 0, 1) and first.new == ["harbour"]
    again = indexer.upsert([article("harbour", url="https://news.example/harbour")])
    assert (again.added, again.updated, again.unchanged) == (0, 0, 1)
    changed = indexer.upsert([article("harbour", STORY.replace("two million", "three million"))])
    assert (changed.added, changed.updated) == (0, 1)
    assert "three million" in indexer.store.article_text("harbour")


def test_the_same_story_under_another_url_or_rewrapped_is_one_article(indexer):
    indexer.upsert([article("harbour", url="https://news.example/harbour")])
    by_url = indexer.upsert([article("copy-1", STORY.replace("repaired", "mended"),
                                     url="http://www.news.example/harbour/?utm_source=x")])
    assert by_url.updated == 1 and by_url.titles == ["harbour"]
    rewrapped = indexer.upsert([article("copy-2", "  " + STORY.replace("repaired", "mended").replace(" ", "\n", 3))])
    assert rewrapped.unchanged == 1 and indexer.store.counts()[0] == 1
    assert indexer.resolve("https://news.example/harbour") == "harbour"


def test_an_article_without_quotable_text_is_listed_as_failed(indexer):
    report = indexer.upsert([article("empty", "   ")])
    assert report.added == 0 and report.failed == [("empty", "no quotable paragraphs")]


def test_remove_by_title_returns_what_went(indexer):
    indexer.upsert([article("harbour"), article("budget", "The budget vote was delayed again.", title="Budget")])
    removed = indexer.remove("harbour wall")
    assert [m.article_id for m in removed] == ["harbour"] and indexer.store.counts()[0] == 1


def test_indexing_an_empty_folder_is_one_clear_error(indexer, tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    with pytest.raises(CitebotError, match=r"nothing to index in .*articles: no readable article file \(the folder"):
        indexer.index([folder])


def test_the_last_report_is_saved_and_read_back(indexer):
    assert indexer.last_report() is None
    report = indexer.upsert([article("harbour")])
    saved = indexer.last_report()
    assert saved is not None and saved.summary() == report.summary()


def test_article_aliases_name_every_address_once():
    a = Article(ArticleMeta("k", "T", url="https://www.news.example/a/", path="/tmp/a.txt"), "text",
                aliases=["https://news.example/a"])
    names = article_aliases(a)
    assert "https://www.news.example/a/" in names and "/tmp/a.txt" in names and len(names) == len(set(names))
