"""Autocomplete choices the summary and sources cogs offer: what matches, in which order, within Discord's limits."""

from __future__ import annotations

from bot.cogs.shared import CHOICE_LIMIT, MAX_CHOICES, article_choices
from retrieval.models import ArticleMeta

ARTICLES = [  # newest first, as the store lists them
    ArticleMeta("harbour-2024", "Harbour reopens after the storm", published="2024-03-02"),
    ArticleMeta("storm-2024", "Storm closes the harbour", published="2024-03-01"),
    ArticleMeta("budget-2024", "Council budget: what the storm repairs cost", published="2024-02-20"),
    ArticleMeta("elections", "Elections in the harbour town", published="2024-01-10"),
]


def names(choices) -> list[str]:
    return [c.name for c in choices]


def test_titles_starting_with_the_text_come_first_then_containing_then_the_rest():
    assert names(article_choices(ARTICLES, "storm")) == [
        "Storm closes the harbour",  # starts with it
        "Harbour reopens after the storm",  # contains it, newest first
        "Council budget: what the storm repairs cost",
    ]


def test_every_typed_word_must_occur_in_the_title_or_id_ignoring_case():
    assert names(article_choices(ARTICLES, "HARBOUR town")) == ["Elections in the harbour town"]
    assert names(article_choices(ARTICLES, "budget-2024")) == ["Council budget: what the storm repairs cost"]
    assert article_choices(ARTICLES, "volcano") == []


def test_nothing_typed_offers_the_newest_within_discords_limits():
    many = [ArticleMeta(f"a{n}", f"Article {n}") for n in range(40)]
    choices = article_choices(many, "")
    assert len(choices) == MAX_CHOICES and choices[0].value == "a0"
    long = ArticleMeta("x" * 150, "A title " * 30)
    (choice,) = article_choices([long], "title")
    assert len(choice.name) <= CHOICE_LIMIT and len(choice.value) <= CHOICE_LIMIT
    assert choice.value == long.title[:CHOICE_LIMIT]  # an id too long for a value: the title's start finds it
