"""Time windows over a real collection: since/until keep dated articles in the period (undated ones out), a
question asked as of a day keeps undated ones, time words boost newer articles, and dates parse or fail clearly."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from retrieval.library import Library
from retrieval.query.timefilter import (
    DateError,
    TimeWindow,
    age_phrase,
    allowed_rows,
    nothing_published,
    parse_day,
    recency_horizon,
    recency_prior,
)

TODAY = date(2024, 3, 10)
ARTICLES = {"old": ("Harbour plans", "2024-01-05"), "new": ("Harbour opens", "2024-03-08"),
            "undated": ("Harbour history", None)}


@pytest.fixture(scope="module")
def library(tmp_path_factory, embedder) -> Library:
    folder = tmp_path_factory.mktemp("articles")
    for key, (title, published) in ARTICLES.items():
        header = f"{title}\n" + (f"Published: {published}\n" if published else "")
        (folder / f"{key}.txt").write_text(f"{header}\nThe harbour story called {key}, in one paragraph.\n",
                                           encoding="utf-8")
    library = Library(tmp_path_factory.mktemp("data"), embedder)
    library.index([folder])
    return library


def kept(library: Library, window: TimeWindow | None) -> set[str]:
    with library.collection().reading() as view:
        mask = allowed_rows(view, window)
        rows = np.flatnonzero(view.alive if mask is None else mask & view.alive)
        return {view.paragraph_at(int(r)).article_id for r in rows}


def test_dates_parse_as_days_or_days_and_weeks_back():
    assert parse_day("2024-02-29", TODAY) == date(2024, 2, 29)
    assert parse_day(" 3d ", TODAY) == date(2024, 3, 7) and parse_day("2W", TODAY) == date(2024, 2, 25)
    with pytest.raises(DateError, match="since “last tuesday” is not a date: use YYYY-MM-DD"):
        TimeWindow.parse("last tuesday", None, TODAY)
    with pytest.raises(DateError, match=r"since \(2024-03-09\) is after until \(2024-03-01\)"):
        TimeWindow.parse("1d", "2024-03-01", TODAY)


def test_since_and_until_keep_dated_articles_in_the_period(library):
    assert kept(library, None) == set(ARTICLES)
    assert kept(library, TimeWindow.parse("2024-03-01", None, TODAY)) == {"new"}
    assert kept(library, TimeWindow.parse(None, "2024-02-01", TODAY)) == {"old"}


def test_asked_as_of_a_day_keeps_undated_articles_but_not_later_ones(library):
    assert kept(library, TimeWindow.parse(None, None, TODAY, as_of="2024-02-01")) == {"old", "undated"}


def test_an_empty_period_is_said_once(library):
    window = TimeWindow.parse("2024-02-01", "2024-02-20", TODAY)
    with library.collection().reading() as view:
        assert nothing_published(view, window) == "No indexed article was published from 2024-02-01 to 2024-02-20."
        assert nothing_published(view, TimeWindow.parse("2024-01-01", None, TODAY)) == ""


def test_time_words_boost_newer_articles_and_other_questions_are_untouched(library):
    assert recency_horizon("What is the latest on the harbour today?") == 2.0
    assert recency_horizon("What happened this month?") == 30.0 and recency_horizon("Who built it?") is None
    with library.collection().reading() as view:
        assert recency_prior(view, "Who built the harbour?", 0.1) is None
        prior = recency_prior(view, "What is the latest on the harbour?", 0.1)
        by_article = {view.paragraph_at(r).article_id: float(prior[r]) for r in np.flatnonzero(view.alive)}
    assert by_article["new"] == pytest.approx(0.1) and 0 < by_article["old"] < by_article["new"]
    assert by_article["undated"] == 0.0


def test_age_phrases():
    assert age_phrase("2024-03-10", TODAY) == "published today"
    assert age_phrase("2024-03-09", TODAY) == "published yesterday"
    assert age_phrase("2024-03-01", TODAY) == "published 9 days ago"
    assert age_phrase("2024-01-10", TODAY) == "published 2 months ago"
    assert age_phrase("2024-03-12", TODAY) == "published 2024-03-12" and age_phrase(None, TODAY) is None
