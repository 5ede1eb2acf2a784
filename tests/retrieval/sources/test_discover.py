"""Finding the feed behind an address: the address itself, or the first usable feed a page links to (relative hrefs
and <base href> resolved); a clear error when there is none. A local site on 127.0.0.1 plays the web."""

from __future__ import annotations

import pytest

from retrieval.sources import HttpClient
from retrieval.sources.discover import NoFeedFound, feed_links, find_feed
from tests.newsweb import HTML, RSS, home_page, news_site, rss
from tests.retrieval.sources.conftest import fast_settings


def test_feed_links_resolve_relative_and_base_hrefs() -> None:
    page = ('<html><head><base href="/news/"><link rel="alternate" type="application/atom+xml" href="atom.xml">'
            '<link rel="alternate stylesheet" type="text/css" href="x.css">'
            '<link rel="Alternate" type="application/rss+xml; charset=utf-8" href="//cdn.example/rss"></head></html>')
    assert feed_links(page, "https://site.example/index.html") == [
        "https://site.example/news/atom.xml", "https://cdn.example/rss"]


def test_find_feed_from_a_home_page_or_the_feed_itself() -> None:
    client = HttpClient(fast_settings(retries=0))
    with news_site() as site:
        site.routes["/"] = (200, home_page("Coast News", "/feeds/main.xml"), HTML)
        site.routes["/feeds/main.xml"] = (200, rss("Coast News", site.base, [("/a", "A", "")]), RSS)
        site.routes["/plain"] = (200, b"<html><head><title>x</title></head><body>no feed</body></html>", HTML)
        found = find_feed(client, f"{site.base}/")
        assert (found.url, found.title, found.items) == (f"{site.base}/feeds/main.xml", "Coast News", 1)
        assert found.how == f"linked from {site.base}/"
        direct = find_feed(client, f"{site.base}/feeds/main.xml")
        assert direct.url == found.url and direct.how == "the address is a feed"
        with pytest.raises(NoFeedFound, match="links to no RSS or Atom feed"):
            find_feed(client, f"{site.base}/plain")


def test_xml_that_is_no_feed_and_pages_whose_feeds_are_all_broken_are_named() -> None:
    client = HttpClient(fast_settings(retries=0))
    with news_site() as site:
        site.routes["/sitemap.xml"] = (200, b'<?xml version="1.0"?><urlset><url>x</url></urlset>', "application/xml")
        site.routes["/"] = (200, home_page("Coast News", "/feeds/gone.xml"), HTML)
        site.routes["/feeds/gone.xml"] = (404, b"not found", HTML)
        with pytest.raises(NoFeedFound, match="sitemap.xml is XML but not an RSS or Atom feed"):
            find_feed(client, f"{site.base}/sitemap.xml")
        with pytest.raises(NoFeedFound, match=r"the page links to 1 feed\(s\), none usable: .*/feeds/gone.xml: "):
            find_feed(client, f"{site.base}/")
