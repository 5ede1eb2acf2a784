"""Article identity: URL normalisation (aliases) and a normalised-text hash (same text under two URLs)."""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

TRACKING_PREFIXES = ("utm_",)
TRACKING_KEYS = {"fbclid", "gclid", "mc_cid", "mc_eid", "ocid", "cmpid"}


def normalise_url(url: str) -> str:
    """A URL reduced to what identifies the page: https, lower-case host without ``www.``, no fragment, no
    tracking parameters, no trailing slash, no AMP suffix. Not a URL (a path, an id): returned stripped."""
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return url
    host = parts.netloc.lower().removeprefix("www.").removeprefix("amp.")
    path = parts.path or "/"
    for suffix in ("/amp", "/amp/", ".amp"):
        if path.endswith(suffix):
            path = path[: -len(suffix)] or "/"
    path = path.rstrip("/") or ""
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not k.lower().startswith(TRACKING_PREFIXES) and k.lower() not in TRACKING_KEYS and k.lower() != "amp"]
    return urlunsplit(("https", host, path, urlencode(query), ""))


def text_hash(text: str) -> str:
    """sha1 of the text with whitespace collapsed and case folded: equal for the same story re-wrapped."""
    return hashlib.sha1(" ".join(text.split()).casefold().encode("utf-8")).hexdigest()
