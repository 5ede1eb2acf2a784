"""One identity for every address of one article; links that open at the quoted sentence."""

from __future__ import annotations

import pytest

from retrieval.sources.pages import article_id_for
from retrieval.text.urls import clean_url, text_fragment_link, url_key

STORY = "https://www.example.com/news/2024/harbour-reopens"


@pytest.mark.parametrize(
    "variant",
    [
        "http://www.example.com/news/2024/harbour-reopens",
        "https://example.com/news/2024/harbour-reopens/",
        "https://WWW.Example.COM:443/news/2024/harbour-reopens#comments",
        "https://www.example.com/news/2024/harbour-reopens?utm_source=rss&utm_medium=feed&fbclid=abc&gclid=x",
        "https://www.example.com/news/2024/harbour-reopens/amp",
        "https://amp.example.com/news/2024/harbour-reopens",
        "https://www.example.com/news/2024/harbour-reopens?amp",
        "https://www.example.com/news/2024/harbour-reopens?outputType=amp",
    ],
)
def test_variants_of_one_address_share_one_key(variant) -> None:
    assert url_key(variant) == url_key(STORY)
    assert article_id_for(variant) == article_id_for(STORY)


@pytest.mark.parametrize(
    "other",
    [
        "https://www.example.com/news/2024/harbour-closes",
        "https://www.example.com/news/2024/harbour-reopens?page=2",
        "https://www.example.org/news/2024/harbour-reopens",
        "https://www.example.com:8443/news/2024/harbour-reopens",
    ],
)
def test_different_pages_keep_different_keys(other) -> None:
    assert url_key(other) != url_key(STORY)


def test_clean_url_keeps_the_address_working() -> None:
    assert clean_url(STORY + "?id=7&utm_campaign=x#top") == STORY + "?id=7"


def test_text_fragment_link() -> None:
    short = text_fragment_link(STORY, "The harbour reopened on Monday.")
    assert short == STORY + "#:~:text=The%20harbour%20reopened%20on%20Monday."
    sentence = "Repairs took four months, cost £2m and closed the north-east quay to ferries."
    long = text_fragment_link(STORY + "#old", sentence)
    assert long == STORY + "#:~:text=Repairs%20took%20four%20months%2C,north%2Deast%20quay%20to%20ferries."
    assert text_fragment_link(STORY, "") == STORY
