"""Article identity: URL normalisation (aliases) and a normalised-text hash (same text under two URLs)."""

from __future__ import annotations

import hashlib

from retrieval.text.urls import url_key


def normalise_url(url: str) -> str:
    """The identity of a page URL (``retrieval.sources.url_key``: http/https, www, tracking parameters, AMP,
    trailing slash folded); anything that is not an http(s) URL (a path, an id) is returned stripped."""
    url = (url or "").strip()
    if not url.lower().startswith(("http://", "https://")):
        return url
    return url_key(url)


def text_hash(text: str) -> str:
    """sha1 of the text with whitespace collapsed: equal for the same story re-wrapped (case is kept: quotes are
    verbatim, so a differently written text is another article)."""
    return hashlib.sha1(" ".join(text.split()).encode("utf-8")).hexdigest()
