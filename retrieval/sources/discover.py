"""Find the feed behind an address: the address itself when it is a feed, else the feed a web page links to
(``<link rel="alternate" type="application/rss+xml|atom+xml" href=…>``, relative hrefs resolved)."""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin

from retrieval.errors import CitebotError
from retrieval.sources.feeds import parse_feed
from retrieval.sources.fetch import FEED_ACCEPT
from retrieval.sources.http import FetchError, HttpClient

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+json")
XML_TYPES = ("application/xml", "text/xml", *FEED_TYPES[:3])


class NoFeedFound(CitebotError):
    """The address is neither a feed nor a page that links to one."""


@dataclass(frozen=True)
class FoundFeed:
    """The feed to follow: its URL, its own title, how it was found and how many items it lists now."""

    url: str
    title: str | None
    how: str  # "the address is a feed" | "linked from <page>"
    items: int
    candidates: tuple[str, ...] = ()  # every feed the page linked to (the first usable one is chosen)


class _FeedLinks(HTMLParser):
    """Collects the hrefs of ``<link rel="alternate">`` feed links (and a ``<base href>``)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str | None]] = []  # (href, title)
        self.base: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): (v or "") for k, v in attrs}
        if tag == "base" and values.get("href") and self.base is None:
            self.base = values["href"]
        if tag != "link":
            return
        rels = values.get("rel", "").lower().split()
        kind = values.get("type", "").lower().split(";")[0].strip()
        if "alternate" in rels and kind in FEED_TYPES[:3] and values.get("href", "").strip():
            self.links.append((values["href"].strip(), values.get("title") or None))


def feed_links(html: str, page_url: str) -> list[str]:
    """Absolute URLs of the feeds a page declares, in page order (duplicates dropped)."""
    parser = _FeedLinks()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # noqa: BLE001 - a broken page yields the links read so far
        pass
    base = urljoin(page_url, parser.base) if parser.base else page_url
    return list(dict.fromkeys(urljoin(base, href) for href, _ in parser.links))


def find_feed(client: HttpClient, url: str) -> FoundFeed:
    """The feed at ``url``, or the first working feed the page at ``url`` links to. Blocks (worker thread).
    Raises ``FetchError`` when ``url`` cannot be fetched and ``NoFeedFound`` when no feed is there."""
    response = client.get(url, accept=FEED_ACCEPT)
    try:
        feed = parse_feed(response.body, response.url, response.headers.get("content-type"))
    except ValueError:
        feed = None
    if feed is not None and (feed.version or feed.entries):
        return FoundFeed(response.url, feed.title, "the address is a feed", len(feed.entries))
    if response.content_type in XML_TYPES:
        raise NoFeedFound(f"{url} is XML but not an RSS or Atom feed")
    links = feed_links(response.text, response.url)
    if not links:
        raise NoFeedFound(f"{url} is not a feed, and the page links to no RSS or Atom feed "
                          "(no <link rel=\"alternate\" type=\"application/rss+xml\">): give the feed's address")
    problems = []
    for link in links:
        try:
            linked = client.get(link, accept=FEED_ACCEPT)
            found = parse_feed(linked.body, linked.url, linked.headers.get("content-type"))
        except (FetchError, ValueError) as exc:
            problems.append(f"{link}: {getattr(exc, 'reason', None) or exc}")
            continue
        return FoundFeed(linked.url, found.title, f"linked from {response.url}", len(found.entries), tuple(links))
    raise NoFeedFound(f"the page links to {len(links)} feed(s), none usable: {'; '.join(problems[:3])}")
