"""A fetched web page to an ``Article``: its extracted text (``retrieval.text.html``) with title, author, date,
publisher and canonical URL, a feed entry's fields where the page lacks them, and a stable id from its URL; pages
too short or behind a paywall are not articles."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from retrieval.errors import CitebotError
from retrieval.models import ArticleMeta
from retrieval.text.articles import Article, normalise_date, slugify
from retrieval.text.html import article_text, error_page, extract_page, word_count
from retrieval.text.urls import clean_url, url_key

MIN_ARTICLE_WORDS = 50  # below this (about three sentences) a page is a teaser or an error page, not an article
PAYWALL_MIN_WORDS = 150  # a page that declares its content not free must show at least this much to be indexed
# schema.org's paywall markup (what publishers give search engines): "isAccessibleForFree": false
_PAYWALLED = re.compile(r"[\"']isAccessibleForFree[\"']\s*:\s*[\"']?false", re.IGNORECASE)


class NotAnArticle(CitebotError):
    """The page was fetched but holds no article to index (too short, not HTML, no text)."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


@dataclass(frozen=True)
class PageFallback:
    """What is known about a page before fetching it (a feed entry's fields); used when the page lacks them."""

    title: str | None = None
    author: str | None = None
    published: str | None = None
    source: str | None = None
    link: str | None = None  # the URL the page was listed under (kept as an alias)


def article_id_for(url: str) -> str:
    """A stable, readable id from a URL's identity: ``host-path-slug-<hash>``."""
    key = url_key(url)
    parts = urlsplit(key)
    slug = slugify(f"{parts.hostname or ''} {parts.path} {parts.query}")[:60].strip("-")
    return f"{slug}-{hashlib.sha1(key.encode('utf-8')).hexdigest()[:10]}"


def _usable_canonical(canonical: str | None, fetched: str) -> str | None:
    """A canonical URL pointing at a site's home page (a common template mistake) is ignored."""
    if not canonical:
        return None
    if urlsplit(url_key(canonical)).path in ("", "/") and urlsplit(url_key(fetched)).path not in ("", "/"):
        return None
    return canonical


def article_from_html(
    html: str, url: str, fallback: PageFallback | None = None, *, min_words: int = MIN_ARTICLE_WORDS
) -> Article:
    """The ``Article`` on the page fetched from ``url`` (after redirects). Raises ``NotAnArticle``."""
    fallback = fallback or PageFallback()
    page = extract_page(html, url)
    text = article_text(page.blocks)
    if not text.strip():
        raise NotAnArticle(url, "no article text found on the page")
    words = word_count(text)
    if error_page(page.title, text):
        raise NotAnArticle(url, error_page(page.title, text))
    if words < min_words:
        raise NotAnArticle(url, f"too short to be an article ({words} words; a teaser, paywall or error page?)")
    if words < PAYWALL_MIN_WORDS and _PAYWALLED.search(html):
        raise NotAnArticle(url, f"behind a paywall (only {words} words readable)")
    fetched = clean_url(url)
    canonical = _usable_canonical(page.canonical, fetched)
    aliases: list[str] = []
    for candidate in (fallback.link, fetched, canonical):
        if candidate and url_key(candidate) not in aliases:
            aliases.append(url_key(candidate))
    meta = ArticleMeta(
        article_id=article_id_for(canonical or fetched),
        title=page.title or fallback.title or urlsplit(fetched).path.rstrip("/").rsplit("/", 1)[-1] or fetched,
        source=page.sitename or fallback.source or urlsplit(fetched).hostname,
        author=page.author or fallback.author,
        published=normalise_date(page.date) or normalise_date(fallback.published),
        url=fetched,
    )
    return Article(meta, text, aliases=aliases)
