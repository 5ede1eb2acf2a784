"""What citebot would index for a URL or a file, without storing anything."""

from __future__ import annotations

import re
from pathlib import Path

from retrieval.errors import ArticleError
from retrieval.settings import SplitterSettings
from retrieval.sources.http import HttpClient
from retrieval.text.articles import Article, read_article_file
from retrieval.text.paragraphs import ParagraphSplitter


def preview_paragraphs(article: Article, splitter_settings: SplitterSettings | None = None) -> list[str]:
    """The paragraphs the index would hold for ``article`` (the real splitter), in order."""
    return [p.text for p in ParagraphSplitter(splitter_settings).split(article.meta.article_id, article.text)]


def preview(
    target: str, client: HttpClient | None = None, splitter_settings: SplitterSettings | None = None
) -> dict:
    """``{"title", "source", "author", "published", "url", "paragraphs"}`` for a URL (fetched with ``client``)
    or an article file. Raises ``FetchError``, ``NotAnArticle`` or ``ArticleError``."""
    from retrieval.sources.fetch import fetch_article

    if re.match(r"^https?://", target, re.IGNORECASE):
        article = fetch_article(client or HttpClient(), target)
    else:
        path = Path(target)
        if not path.exists():
            raise ArticleError(f"{target}: no such file (give an article file or an http(s) URL)")
        articles = read_article_file(path)
        article = articles[0]
    meta = article.meta
    return {
        "title": meta.title,
        "source": meta.source,
        "author": meta.author,
        "published": meta.published,
        "url": meta.url,
        "paragraphs": preview_paragraphs(article, splitter_settings),
    }
