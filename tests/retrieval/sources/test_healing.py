"""Polling that heals: failed feed items retried with back-off even while the feed answers 304, given up after a
limit, the source's error kept until they succeed; a full-text feed item indexed from the feed when its page
cannot be fetched. A local site on 127.0.0.1 plays the web; the library, store and model are real."""

from __future__ import annotations

import time

import pytest

from retrieval.library import Library
from retrieval.sources import HttpClient, SourceSpec
from retrieval.sources import retry as retry_module
from retrieval.sources.fullcontent import full_paragraphs
from tests.conftest import copy_data_dir
from tests.newsweb import HTML, RSS, news_site, rss
from tests.retrieval.sources.conftest import fast_settings
from tests.retrieval.sources.test_index_sources import HARBOUR, QUESTION, page

MILL = [p.replace("harbour", "mill").replace("Harbour", "Mill").replace("ferry", "barge")
        .replace("Saint Brendan", "Saint Kevin") for p in HARBOUR]


@pytest.fixture
def site():
    with news_site() as s:
        yield s


@pytest.fixture
def client() -> HttpClient:
    return HttpClient(fast_settings(retries=0))


@pytest.fixture
def library(tmp_path, embedder, sample_data_dir) -> Library:
    data = tmp_path / "data"
    copy_data_dir(sample_data_dir, data)
    return Library(data, embedder)


def status_of(library: Library, spec: SourceSpec) -> dict:
    return {row["name"]: row for row in library.source_status([spec])}[spec.name]


def test_failed_item_is_retried_while_the_feed_answers_304(site, client, library, monkeypatch) -> None:
    base = 10.0  # seconds before the first retry (a minute by default)
    monkeypatch.setattr(retry_module, "RETRY_BASE", base)
    site.routes["/mill"] = (200, page("Mill reopens after flood repairs", MILL), HTML)
    site.routes["/harbour"] = (503, b"down for maintenance", HTML)
    items = [("/mill", "Mill", ""), ("/harbour", "Harbour", "")]
    site.routes["/feed.xml"] = (200, rss("Coast News", site.base, items), RSS)
    spec = SourceSpec("feed", f"{site.base}/feed.xml", name="Coast News feed")

    started = time.time()
    report = library.sync([spec], client, prune=False, refetch=False)
    assert report.added == 1
    site.routes["/harbour"] = (200, page("Harbour reopens after storm repairs", HARBOUR), HTML)
    site.hits.clear()
    library.sync([spec], client, prune=False, refetch=False)  # within the back-off: the feed is 304, no retry
    assert time.time() - started < base and site.hits == ["/feed.xml"], site.hits
    assert not any("Saint Brendan" in q.text for q in library.ask(QUESTION).quotes)
    row = status_of(library, spec)  # the error stays until the item succeeds
    assert row["failing"] == {"HTTP 503 Service Unavailable": 1}, row
    assert row["last_error"] == "1 item(s) failing: HTTP 503 Service Unavailable (1)", row

    time.sleep(max(0.0, started + base + 0.5 - time.time()))
    site.hits.clear()
    report = library.sync([spec], client, prune=False, refetch=False)
    assert site.hits == ["/feed.xml", "/harbour"] and report.added == 1, (site.hits, report.summary())
    answer = library.ask(QUESTION)
    assert answer.found and "Saint Brendan" in answer.quotes[0].text
    assert answer.quotes[0].article.url == f"{site.base}/harbour"
    row = status_of(library, spec)
    assert row["last_error"] is None and row["failing"] == {} and row["articles"] == 2


def test_full_text_item_whose_page_404s_is_indexed_from_the_feed(site, client, library) -> None:
    content = "".join(f"<p>{p}</p>" for p in HARBOUR)
    teaser = "<p>Short teaser only.</p>"
    site.routes["/feed.xml"] = (200, rss("Coast News", site.base, [
        ("/harbour", "Harbour reopens after storm repairs", content),
        ("/teaser", "A teaser", teaser),
    ]), RSS)
    spec = SourceSpec("feed", f"{site.base}/feed.xml", name="Coast News feed")
    report = library.sync([spec], client, prune=False, refetch=False)
    assert report.added == 1 and [item for item, _ in report.skipped] == [f"{site.base}/teaser"]
    answer = library.ask(QUESTION)
    assert answer.found and "Saint Brendan" in answer.quotes[0].text
    meta = answer.quotes[0].article
    assert meta.url == f"{site.base}/harbour" and meta.published == "2026-11-20"
    assert meta.title == "Harbour reopens after storm repairs" and meta.source == "Coast News"
    assert full_paragraphs(content) == 3 and full_paragraphs(teaser) == 0
