"""Subscriptions kept in the data folder, and finding the feed behind an address (a feed, or a page linking to
one: relative hrefs and <base href> resolved). A local site on 127.0.0.1 plays the web."""

from __future__ import annotations

import pytest

from retrieval.errors import CitebotError
from retrieval.sources import HttpClient
from retrieval.sources.discover import NoFeedFound, feed_links, find_feed
from retrieval.sources.subscriptions import FILE, add, load, remove, specs
from tests.newsweb import HTML, RSS, home_page, news_site, rss
from tests.retrieval.sources.conftest import fast_settings


def test_subscriptions_survive_reopening_and_get_unique_names(tmp_path) -> None:
    first = add(tmp_path, "https://news.example/rss", "Coast News", 15, "mod")
    second = add(tmp_path, "https://other.example/feed", "Coast News", taken={"Coast News (2)"})
    assert (first.name, second.name) == ("Coast News", "Coast News (3)")
    assert [(s.kind, s.location, s.name, s.poll_minutes) for s in specs(tmp_path)] == [
        ("feed", "https://news.example/rss", "Coast News", 15),
        ("feed", "https://other.example/feed", "Coast News (3)", 30)]
    with pytest.raises(CitebotError, match="already subscribed"):
        add(tmp_path, "http://www.news.example/rss/?utm_source=x", "Again")  # the same feed, another spelling
    with pytest.raises(CitebotError, match="several subscriptions"):
        remove(tmp_path, "coast")
    assert remove(tmp_path, "https://news.example/rss").name == "Coast News"
    assert [s.name for s in load(tmp_path)] == ["Coast News (3)"]
    assert not list(tmp_path.glob(".*.tmp"))  # written aside, then renamed


def test_a_damaged_subscriptions_file_is_set_aside(tmp_path) -> None:
    (tmp_path / FILE).write_text("{not json", encoding="utf-8")
    assert load(tmp_path) == []
    assert not (tmp_path / FILE).exists() and list(tmp_path.glob(f"{FILE}*"))


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
