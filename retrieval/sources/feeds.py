"""Feeds (RSS 0.9x/1.0/2.0, Atom) parsed with feedparser into ``FeedEntry`` objects, links made absolute."""

from __future__ import annotations

import html
import re
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin

from retrieval.sources.charset import sniff_charset
from retrieval.text.articles import normalise_date

_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")
# Month names of the languages news feeds are most often written in, for dates feedparser cannot read
# (e.g. UOL's "Seg, 24 Set 2018 19:42:40 -0300").
_MONTHS = {
    **dict.fromkeys(["jan", "janeiro", "enero", "janvier", "januar", "gennaio", "ene", "janv"], 1),
    **dict.fromkeys(["feb", "fev", "fevereiro", "febrero", "février", "fevrier", "februar", "febbraio", "févr"], 2),
    **dict.fromkeys(["mar", "março", "marco", "marzo", "mars", "märz", "mär", "maerz"], 3),
    **dict.fromkeys(["apr", "abr", "abril", "avril", "avr", "aprile"], 4),
    **dict.fromkeys(["may", "mai", "maio", "mayo", "maggio", "mag"], 5),
    **dict.fromkeys(["jun", "junho", "junio", "juin", "juni", "giugno", "giu"], 6),
    **dict.fromkeys(["jul", "julho", "julio", "juillet", "juil", "juli", "luglio", "lug"], 7),
    **dict.fromkeys(["aug", "ago", "agosto", "août", "aout", "august"], 8),
    **dict.fromkeys(["sep", "sept", "set", "setembro", "septiembre", "septembre", "september", "settembre"], 9),
    **dict.fromkeys(["oct", "out", "outubro", "octubre", "octobre", "okt", "oktober", "ottobre", "ott"], 10),
    **dict.fromkeys(["nov", "novembro", "noviembre", "novembre", "november"], 11),
    **dict.fromkeys(["dec", "dez", "dezembro", "dic", "diciembre", "décembre", "decembre", "déc", "dezember",
                     "dicembre"], 12),
}
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})\.?\s+([^\W\d_]{3,10})\.?\s+(\d{4})")
_ITEM_START = re.compile(rb"<(?:item|entry)[\s>]", re.IGNORECASE)
_ITEM_END = re.compile(rb"</(?:item|entry)\s*>", re.IGNORECASE)
MAX_SALVAGED = 1000  # items of a malformed feed read one by one


@dataclass(frozen=True)
class FeedEntry:
    """One item of a feed: its absolute link and the fields articles fall back on."""

    link: str
    title: str | None = None
    published: str | None = None  # YYYY-MM-DD
    author: str | None = None
    summary: str | None = None  # plain text
    content: str | None = None  # the item's full text as HTML (content:encoded, Atom content), when it has one


@dataclass(frozen=True)
class Feed:
    """A parsed feed: its own title and link, and its entries in the feed's order."""

    title: str | None
    link: str | None
    entries: list[FeedEntry] = field(default_factory=list)
    version: str = ""
    problem: str | None = None  # a malformed feed: its parse error (the entries are those that could be read)


def plain_text(value: str | None) -> str | None:
    """HTML or text to one line of plain text."""
    if not value:
        return None
    text = _SPACE.sub(" ", html.unescape(_TAG.sub(" ", value))).strip()
    return text or None


def _date(entry) -> str | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = dict.get(entry, key)  # not entry.get: feedparser maps missing keys with a warning
        if parsed:
            return time.strftime("%Y-%m-%d", parsed)
    for key in ("published", "updated", "created", "dc_date", "date"):
        raw = entry.get(key)
        if not raw:
            continue
        found = normalise_date(raw)
        if found:
            return found
        match = _DAY_MONTH_YEAR.search(raw)
        month = _MONTHS.get(match.group(2).lower()) if match else None
        if month:
            return normalise_date(f"{match.group(3)}-{month:02d}-{int(match.group(1)):02d}")
    return None


def _author(entry) -> str | None:
    if entry.get("author"):
        return plain_text(entry["author"])
    names = [a.get("name") for a in entry.get("authors", []) if a.get("name")]
    return ", ".join(names) or None


def _parse(body: bytes, url: str, charset: str):
    import feedparser  # imported on first use: a CLI that never reads a feed does not pay for it

    return feedparser.parse(
        body,
        response_headers={"content-location": url, "content-type": f"application/xml; charset={charset}"},
        sanitize_html=False,
        resolve_relative_uris=True,
    )


def _malformed(parsed) -> str | None:
    """The XML error of a feed that is not well-formed (not feedparser's notes on encodings), or None."""
    from xml.sax import SAXException

    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    if not isinstance(problem, SAXException):
        return None
    where = getattr(problem, "getLineNumber", None)
    if where is None:
        return problem.getMessage()
    return f"line {problem.getLineNumber()}, column {problem.getColumnNumber()}: {problem.getMessage()}"


def _salvage(body: bytes, url: str, charset: str, version: bytes) -> list:
    """The entries of a malformed feed read one item at a time (one broken item cannot swallow the next)."""
    starts = [m.start() for m in _ITEM_START.finditer(body)][:MAX_SALVAGED]
    entries = []
    for n, start in enumerate(starts):
        stop = starts[n + 1] if n + 1 < len(starts) else len(body)
        end = _ITEM_END.search(body, start, stop)
        chunk = body[start:end.end()] if end else body[start:stop]
        wrapped = (b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">' + chunk + b"</feed>"
                   if version.startswith(b"atom") else
                   b'<?xml version="1.0"?><rss version="2.0"><channel>' + chunk + b"</channel></rss>")
        entries.extend(_parse(wrapped, url, charset).entries)
    return entries


def parse_feed(body: bytes, url: str, content_type: str | None = None) -> Feed:
    """Parse a feed's bytes fetched from ``url``; relative links are resolved against the feed URL (or the
    document's xml:base). A malformed feed keeps the items that can be read (each item parsed on its own) and
    says what is wrong in ``problem``. Raises ``ValueError`` when the bytes are not a feed, or a malformed one
    with no readable item."""
    charset = sniff_charset(body, content_type)
    parsed = _parse(body, url, charset)
    if not parsed.get("version") and not parsed.entries:
        problem = parsed.get("bozo_exception")
        raise ValueError(f"not an RSS or Atom feed{f' ({problem})' if problem else ''}")
    problem = _malformed(parsed)
    found = list(parsed.entries)
    if problem:  # the items read one by one first: they are in the feed's order
        found = _salvage(body, url, charset, str(parsed.get("version", "")).encode()) + found
    entries = []
    seen: set[str] = set()
    for entry in found:
        link = entry.get("link") or next(
            (lk.get("href") for lk in entry.get("links", []) if lk.get("href")), None
        )
        if not link and str(entry.get("id", "")).startswith(("http://", "https://")):
            link = entry["id"]
        if not link or link.strip() in seen:
            continue
        seen.add(link.strip())
        contents = [c.get("value") for c in entry.get("content", []) if isinstance(c, dict) and c.get("value")]
        entries.append(
            FeedEntry(
                link=urljoin(url, link.strip()),
                title=plain_text(entry.get("title")),
                published=_date(entry),
                author=_author(entry),
                summary=plain_text(entry.get("summary")),
                content=max(contents, key=len) if contents else None,
            )
        )
    if problem and not entries:
        raise ValueError(f"the feed is malformed ({problem}) and no item could be read")
    feed = parsed.feed
    return Feed(plain_text(feed.get("title")), feed.get("link"), entries, parsed.get("version", ""),
                f"the feed is malformed ({problem}): {len(entries)} item(s) read" if problem else None)
