"""Articles from the web in the index: added by URL, updated when the page changes, removed on 404/410 or by
hand; a feed's items that roll off the feed stay. A local server on 127.0.0.1 plays the web."""

from __future__ import annotations

import pytest

from retrieval.library import Library
from retrieval.sources import HttpClient, SourceSpec, fetch_article
from tests.conftest import copy_data_dir
from tests.local_http import serve
from tests.retrieval.sources.conftest import fast_settings

PAGE = """<html><head><title>{title}</title><meta property="og:site_name" content="Coast News">
<meta property="article:published_time" content="2026-11-20T09:00:00Z"></head>
<body><article><h1>{title}</h1>{body}</article></body></html>"""

HARBOUR = [
    "The harbour of Port Elsworth reopened on Monday after six weeks of storm repairs, the port authority said in "
    "a statement issued from its offices on the quay.",
    "Engineers replaced 140 metres of the northern breakwater, which the January gales had split in two places "
    "and which had left the inner basin exposed to the swell for most of the winter.",
    "The first ship to dock was the ferry Saint Brendan, carrying 212 passengers from the islands, followed by "
    "two fishing boats that had sheltered in Carrick Bay since the storm.",
]
QUESTION = "Which ferry was the first ship to dock in Port Elsworth, and how many passengers did it carry?"


def page(title: str, paragraphs: list[str]) -> bytes:
    return PAGE.format(title=title, body="".join(f"<p>{p}</p>" for p in paragraphs)).encode()


class Web:
    """Routes the tests change as they go: path -> (status, body, content type)."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, bytes, str]] = {}
        self.base = ""


@pytest.fixture
def web():
    state = Web()
    state.routes["/robots.txt"] = (200, b"User-agent: *\nAllow: /\n", "text/plain")
    with serve(lambda path: state.routes.get(path, (404, b"not found", "text/plain"))) as base:
        state.base = base
        yield state


@pytest.fixture
def client() -> HttpClient:
    return HttpClient(fast_settings())


@pytest.fixture
def library(tmp_path, embedder, sample_data_dir) -> Library:
    data = tmp_path / "data"
    copy_data_dir(sample_data_dir, data)
    return Library(data, embedder)


def feed(base: str, paths: list[str]) -> bytes:
    items = "".join(f"<item><title>Story {p}</title><link>{base}{p}</link></item>" for p in paths)
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Coast News</title><link>{base}/</link>'
            f"<description>News</description>{items}</channel></rss>").encode()


def test_added_url_is_quoted_with_its_url_then_updated_then_removed(web, client, library):
    web.routes["/harbour"] = (200, page("Harbour reopens after storm repairs", HARBOUR), "text/html")
    article = fetch_article(client, f"{web.base}/harbour?utm_source=newsletter")
    assert library.upsert([article]).added == 1
    answer = library.ask(QUESTION)
    assert answer.found and "Saint Brendan" in answer.quotes[0].text
    assert answer.quotes[0].article.url == f"{web.base}/harbour"

    changed = [p.replace("212 passengers", "319 passengers") for p in HARBOUR]
    web.routes["/harbour"] = (200, page("Harbour reopens after storm repairs", changed), "text/html")
    report = library.sync([SourceSpec("url", f"{web.base}/harbour")], client, prune=False)
    assert (report.updated, report.added) == (1, 0)
    answer = library.ask(QUESTION)
    assert "319 passengers" in answer.quotes[0].text
    assert not any("212 passengers" in q.text for q in answer.quotes)

    library.remove(f"{web.base}/harbour/?utm_campaign=x")  # any URL the article was reached by
    assert not library.ask(QUESTION).found


def test_feed_items_gone_are_removed_and_items_rolled_off_stay(web, client, library):
    web.routes["/a"] = (200, page("Harbour reopens after storm repairs", HARBOUR), "text/html")
    mill = [p.replace("harbour", "mill").replace("Harbour", "Mill").replace("ferry", "barge") for p in HARBOUR]
    web.routes["/b"] = (200, page("Mill reopens after flood repairs", mill), "text/html")
    web.routes["/feed.xml"] = (200, feed(web.base, ["/a", "/b", "/missing"]), "application/rss+xml")
    spec = SourceSpec("feed", f"{web.base}/feed.xml", name="Coast News feed")
    report = library.sync([spec], client, prune=False)
    assert report.added == 2
    assert any("/missing" in item for item, _ in report.skipped)
    status = {row["name"]: row for row in library.source_status([spec])}["Coast News feed"]
    assert status["articles"] == 2 and status["last_poll"] and "1 item(s) failing" in status["last_error"]

    web.routes["/feed.xml"] = (200, feed(web.base, ["/b"]), "application/rss+xml")  # /a rolled off
    web.routes["/b"] = (410, b"gone", "text/html")
    report = library.sync([spec], client, prune=False, refetch=True)
    assert report.removed == 1
    keys = {row["url"] for row in library.sources()}
    assert f"{web.base}/a" in keys and f"{web.base}/b" not in keys
    assert library.ask(QUESTION).found
