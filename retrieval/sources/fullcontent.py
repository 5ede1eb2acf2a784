"""A feed item's own full text (content:encoded, Atom content) as the article, for when its page cannot be
fetched or extracted: indexed with the item's link, title and date."""

from __future__ import annotations

import html
import re
from dataclasses import replace

from retrieval.sources.pages import NotAnArticle, PageFallback, article_from_html
from retrieval.text.articles import Article

MIN_PARAGRAPHS = 3  # "a few paragraphs": fewer is a teaser, not the article
MIN_PARAGRAPH_WORDS = 8
_PARAGRAPH = re.compile(r"<p[\s>].*?(?:</p>|(?=<p[\s>])|$)", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


def full_paragraphs(content: str | None) -> int:
    """How many real paragraphs (``<p>`` of at least a few words) an item's HTML content holds."""
    if not content:
        return 0
    texts = (html.unescape(_TAG.sub(" ", p)) for p in _PARAGRAPH.findall(content))
    return sum(1 for t in texts if len(t.split()) >= MIN_PARAGRAPH_WORDS)


def article_from_content(content: str | None, fallback: PageFallback) -> Article:
    """The article an item's content holds (``fallback``: the item's link, title, date, feed title).
    Raises ``NotAnArticle`` when the content is missing or shorter than a few paragraphs."""
    link = fallback.link or ""
    if full_paragraphs(content) < MIN_PARAGRAPHS:
        raise NotAnArticle(link, "the feed item carries no full text")
    title = html.escape(fallback.title or "")
    page = (f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>{content}</article>"
            "</body></html>")
    article = article_from_html(page, link, fallback)
    return Article(replace(article.meta, source=fallback.source or article.meta.source,
                           published=fallback.published or article.meta.published),
                   article.text, aliases=article.aliases)
