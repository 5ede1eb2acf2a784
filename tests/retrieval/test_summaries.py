"""Summaries over the indexed articles (real model): an article named by id or title, the latest one, a topic, and
a digest of a period; what an unknown name or an empty period says."""

from __future__ import annotations

from datetime import date

import pytest

from retrieval.errors import ArticleNotFoundError, CitebotError
from retrieval.library import Library
from retrieval.query.timefilter import TimeWindow
from retrieval.summaries import find_article, latest_article, summarize

ARTICLES = {
    "harbour.txt": ("Harbour reopens after storm\nSource: Coast News\nPublished: 2024-03-04\n\n"
                    "The harbour reopened on Monday after three weeks of storm repairs, the port authority said.\n\n"
                    "Fishing boats returned to their moorings by noon, and the island ferry sails again on Friday.\n"),
    "bread.txt": ("Banana bread for beginners\nSource: Kitchen Weekly\nPublished: 2023-01-10\n\n"
                  "Banana bread needs three ripe bananas, flour, butter, sugar and one egg.\n\n"
                  "Bake it for an hour at 175 degrees, then let it cool before slicing.\n"),
    "harbour-fees.txt": ("Harbour fees to rise in April\nSource: Coast News\nPublished: 2024-03-01\n\n"
                         "Mooring fees at the harbour will rise by ten percent in April, the council decided.\n\n"
                         "Fishermen said the rise comes at a hard time after the winter storms.\n"),
}


@pytest.fixture(scope="module")
def library(tmp_path_factory, embedder) -> Library:
    folder = tmp_path_factory.mktemp("articles")
    for name, text in ARTICLES.items():
        (folder / name).write_text(text, encoding="utf-8")
    library = Library(tmp_path_factory.mktemp("data"), embedder)
    library.index([folder])
    return library


def test_an_article_is_found_by_id_title_or_a_part_of_its_title(library):
    collection = library.collection()
    bread = find_article(collection, "banana BREAD for   beginners")
    assert bread.title == "Banana bread for beginners"
    assert find_article(collection, bread.article_id) == bread
    assert find_article(collection, "beginners") == bread  # the only title containing it


def test_an_unknown_or_ambiguous_name_lists_the_closest_titles(library):
    collection = library.collection()
    with pytest.raises(ArticleNotFoundError, match="no indexed article matches “arbour”. Closest titles: Harbour"):
        find_article(collection, "arbour")  # two titles contain it
    with pytest.raises(ArticleNotFoundError, match="no indexed article matches “Banana bred”. Closest titles: "
                                                   "Banana bread for beginners"):
        find_article(collection, "Banana bred")
    with pytest.raises(ArticleNotFoundError, match="name an article by its id or title"):
        find_article(collection, "   ")


def test_the_default_summary_is_of_the_latest_article_verbatim(library):
    assert latest_article(library.collection()).title == "Harbour reopens after storm"
    summary = summarize(library.answerer(), 1)
    assert summary.article == "Harbour reopens after storm" and len(summary.sentences) == 1
    assert summary.sentences[0].text in ARTICLES["harbour.txt"]


def test_a_topic_takes_its_sentences_from_the_articles_about_it(library):
    summary = summarize(library.answerer(), 2, topic="baking banana bread")
    assert summary.topic == "baking banana bread" and summary.sentences
    assert {s.article.title for s in summary.sentences} == {"Banana bread for beginners"}
    nothing = summarize(library.answerer(), 2, topic="the chess world championship final")
    assert nothing.sentences == [] and nothing.message == ("The indexed articles don't cover “the chess world "
                                                           "championship final”.")


def test_a_period_alone_is_a_digest_one_sentence_per_story(library):
    window = TimeWindow(since=date(2024, 1, 1))
    digest = summarize(library.answerer(), 5, window=window)
    assert digest.period == "since 2024-01-01"
    assert {s.article.source for s in digest.sentences} == {"Coast News"}  # the 2023 article is outside
    empty = summarize(library.answerer(), 5, window=TimeWindow(since=date(2025, 1, 1)))
    assert empty.sentences == [] and empty.message == "No indexed article was published since 2025-01-01."
    with pytest.raises(CitebotError, match="since/until apply to a topic or to a digest"):
        summarize(library.answerer(), 2, article="beginners", window=window)
