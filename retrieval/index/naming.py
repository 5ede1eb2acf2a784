"""Naming one stored article the way people do: its id, its short id (``short_id``), any URL it was reached by,
its title or any case-insensitive part of it that only it has; "did you mean" otherwise."""

from __future__ import annotations

import difflib
import hashlib
import re

from retrieval.errors import ArticleNotFoundError, CitebotError
from retrieval.index.store import Store
from retrieval.models import ArticleMeta

SHORT_ID_LENGTH = 7
_HEX = re.compile(r"^[0-9a-f]{4,40}$")
SUGGESTIONS = 5


def short_id(key: str) -> str:
    """A short id easy to type (7 hex digits, derived from the article id, the same everywhere)."""
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:SHORT_ID_LENGTH]


def _choice(meta: ArticleMeta) -> str:
    return f"“{meta.title}” (id {short_id(meta.article_id)})"


def resolve_article(store: Store, ref: str) -> str:
    """The key of the one article ``ref`` names; ``ArticleNotFoundError`` (with the closest titles) when none
    does, ``CitebotError`` listing the candidates when several do."""
    wanted = " ".join(ref.split())
    if not wanted:
        raise ArticleNotFoundError("name an article by its id, URL or title (see `citebot sources`)")
    keys = store.find(wanted)
    metas: dict[str, ArticleMeta] | None = None
    if not keys:
        metas = store.article_metas()
        folded = wanted.casefold()
        if _HEX.match(folded):
            keys = [k for k in metas if short_id(k).startswith(folded[:SHORT_ID_LENGTH])]
        if not keys:
            keys = [k for k, m in metas.items() if folded in (m.title or "").casefold()]
    if len(keys) == 1:
        return keys[0]
    metas = metas if metas is not None else store.article_metas()
    if keys:
        shown = "; ".join(_choice(metas[k]) for k in keys[:SUGGESTIONS] if k in metas)
        more = f" and {len(keys) - SUGGESTIONS} more" if len(keys) > SUGGESTIONS else ""
        raise CitebotError(f"“{wanted}” matches {len(keys)} articles: did you mean {shown}{more}? "
                           "Give more of the title, or the id")
    titles: dict[str, str] = {}
    for key, meta in metas.items():
        titles.setdefault((meta.title or "").casefold(), key)
    close = difflib.get_close_matches(wanted.casefold(), list(titles), n=3, cutoff=0.4)
    hint = (f" Did you mean {'; '.join(_choice(metas[titles[t]]) for t in close)}?" if close
            else " See `citebot sources` for the indexed articles.")
    raise ArticleNotFoundError(f"no indexed article matches “{wanted}”.{hint}")
