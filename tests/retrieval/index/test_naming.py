"""Naming a stored article: by id, short id, URL, title or a part of the title only it has; a clear error with
suggestions otherwise."""

from __future__ import annotations

import pytest

from retrieval.errors import ArticleNotFoundError, CitebotError
from retrieval.index.identity import text_hash
from retrieval.index.naming import SHORT_ID_LENGTH, resolve_article, short_id
from retrieval.index.store import ADDED, Store
from retrieval.models import ArticleMeta
from retrieval.text.paragraphs import ParagraphSplitter


@pytest.fixture
def store(tmp_path) -> Store:
    store = Store(tmp_path / "store.sqlite")
    for key, title, url in (("harbour", "Harbour wall repaired after storm", "https://news.example/harbour"),
                            ("budget", "City budget vote delayed", "https://news.example/budget"),
                            ("budget-2", "Budget vote passes at last", "https://news.example/budget-2")):
        text = f"{title}. A paragraph of the story."
        paragraphs = ParagraphSplitter().split(key, text)
        store.put(ArticleMeta(key, title, url=url), text, text_hash(text), paragraphs,
                  [[(0, len(p.text))] for p in paragraphs], ADDED, [url])
    return store


def test_short_id_is_short_stable_and_per_article():
    assert short_id("harbour") == short_id("harbour") and len(short_id("harbour")) == SHORT_ID_LENGTH
    assert short_id("harbour") != short_id("budget")


def test_an_article_is_named_by_id_short_id_url_or_a_unique_part_of_its_title(store):
    assert resolve_article(store, "harbour") == "harbour"
    assert resolve_article(store, short_id("budget-2")) == "budget-2"
    assert resolve_article(store, "https://news.example/budget") == "budget"
    assert resolve_article(store, "  harbour   WALL ") == "harbour"


def test_a_name_several_articles_share_lists_them(store):
    with pytest.raises(CitebotError) as err:
        resolve_article(store, "budget vote")
    message = str(err.value)
    assert "matches 2 articles" in message
    assert "City budget vote delayed" in message and "Budget vote passes at last" in message


def test_an_unknown_name_suggests_the_closest_title(store):
    with pytest.raises(ArticleNotFoundError) as err:
        resolve_article(store, "Harbor wall repaired after storms")
    assert "no indexed article matches" in str(err.value) and "Harbour wall repaired after storm" in str(err.value)
    with pytest.raises(ArticleNotFoundError, match="name an article"):
        resolve_article(store, "   ")
