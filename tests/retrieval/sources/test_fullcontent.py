"""A feed item's own full text becomes the article only when it holds a few real paragraphs; the item's title, date
and feed name are kept."""

from __future__ import annotations

import pytest

from retrieval.sources.fullcontent import MIN_PARAGRAPHS, article_from_content, full_paragraphs
from retrieval.sources.pages import NotAnArticle, PageFallback

SENTENCE = "The engineers worked through the night to repair the harbour wall"
LONG = " and the council said the repairs, paid from the flood fund, were finished ahead of schedule"
CONTENT = "".join(f"<p>{SENTENCE}, part {n}{LONG}.</p>" for n in range(1, MIN_PARAGRAPHS + 3))
FALLBACK = PageFallback(title="Harbour wall repaired", published="2024-03-01", source="Coast News",
                        link="https://news.example/harbour")


def test_only_paragraphs_of_a_few_words_count():
    assert full_paragraphs(CONTENT) == MIN_PARAGRAPHS + 2
    assert full_paragraphs("<p>Read more</p><p>Subscribe now</p><div>" + SENTENCE + "</div>") == 0
    assert full_paragraphs(f"<p>{SENTENCE}<p class='x'>{SENTENCE}") == 2  # unclosed <p> still count
    assert full_paragraphs(None) == 0 and full_paragraphs("") == 0


def test_full_content_becomes_the_article_with_the_items_attribution():
    article = article_from_content(CONTENT, FALLBACK)
    assert article.meta.title == "Harbour wall repaired" and article.meta.published == "2024-03-01"
    assert article.meta.source == "Coast News" and f"{SENTENCE}, part 2{LONG}." in article.text


def test_a_teaser_is_not_an_article():
    with pytest.raises(NotAnArticle, match="carries no full text"):
        article_from_content(f"<p>{SENTENCE}.</p>", FALLBACK)
