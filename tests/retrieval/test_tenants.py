"""Servers over one data directory: each sees its own articles (plus the operator's shared ones), nothing is stored
or embedded twice, and one server's removal or re-read never changes another's."""

import shutil
from pathlib import Path

import pytest

from retrieval.errors import ArticleNotFoundError, CitebotError, IndexMissingError
from retrieval.library import Library
from retrieval.models import ArticleMeta
from retrieval.server_view import ServerView
from retrieval.sources import FetchSettings, HttpClient, fetch_article
from retrieval.sources.sync import FolderSource
from retrieval.tenants import LimitError, Tenant
from retrieval.text.articles import Article
from tests.conftest import SAMPLES, copy_data_dir
from tests.local_http import serve

PAGE = """<html><head><title>Harbour reopens after storm repairs</title></head><body><article>
<h1>Harbour reopens after storm repairs</h1>
<p>The harbour of Port Elsworth reopened on Monday after six weeks of storm repairs, the port authority said on
Monday morning in a statement to the press.</p>
<p>Engineers replaced 140 metres of the northern breakwater, which the January gales had split in two places last
winter, the authority added.</p>
<p>The first ship to dock was the ferry Saint Brendan, carrying 212 passengers from the islands to the mainland.</p>
</article></body></html>"""
FERRY = "Which ferry was the first ship to dock in Port Elsworth?"


@pytest.fixture
def library(tmp_path, embedder, sample_data_dir) -> Library:
    data = tmp_path / "data"
    copy_data_dir(sample_data_dir, data)
    return Library(data, embedder)


@pytest.fixture
def site():
    hits: list[str] = []

    def respond(path: str):
        hits.append(path)
        return (200, PAGE.encode(), "text/html") if path == "/harbour" else (404, b"gone", "text/html")

    with serve(respond) as base:
        yield base, hits


def fetcher():
    client = HttpClient(FetchSettings(allow_private_addresses=True, host_delay=0.0, retries=1, total_timeout=10.0))
    return lambda url: fetch_article(client, url)


def quoted_urls(answer) -> set[str]:
    return {q.article.url for q in answer.quotes}


def test_an_article_added_in_one_server_is_quoted_there_and_nowhere_else(library, site):
    base, _ = site
    a, b = ServerView(library, Tenant(1)), ServerView(library, Tenant(2))
    operator = ServerView(library, Tenant(None))
    key, status = a.add_url(f"{base}/harbour", fetcher())
    assert status == "added"
    answer = a.ask(FERRY)
    assert answer.found and "Saint Brendan" in answer.quotes[0].text
    for other in (b, operator):
        assert f"{base}/harbour" not in quoted_urls(other.ask(FERRY))
        assert key not in {m.article_id for m in other.metas()}
    assert key in {m.article_id for m in a.metas()}
    rows, total = b.article_page(60)
    assert key not in {r["article_id"] for r in rows} and total == 4  # the four shared sample articles
    assert a.status()["articles"] == 5 and b.status()["articles"] == 4
    # the summary, its article look-up and the digest see only the server's articles
    assert "Saint Brendan" in " ".join(s.text for s in a.summary(3, article="Harbour reopens after storm repairs")
                                       .sentences)
    with pytest.raises(ArticleNotFoundError):
        b.summary(3, article="Harbour reopens after storm repairs")


def test_a_server_without_shared_articles_starts_empty(library, site):
    base, _ = site
    alone = ServerView(library, Tenant(3, include_config=False))
    with pytest.raises(IndexMissingError, match="no articles yet"):
        alone.ask(FERRY)
    assert alone.article_page(60) == ([], 0)
    alone.add_url(f"{base}/harbour", fetcher())
    assert [m.title for m in alone.metas()] == ["Harbour reopens after storm repairs"]
    answer = alone.ask("What happened in the Amazon rainforest?")
    assert all("amazon" not in (q.article.article_id or "") for q in answer.quotes)


def test_the_same_url_in_two_servers_is_fetched_and_embedded_once(library, site, embedder):
    base, hits = site
    a, b = ServerView(library, Tenant(1)), ServerView(library, Tenant(2))
    key_a, _ = a.add_url(f"{base}/harbour", fetcher())
    computed = embedder.computed
    paragraphs = library.store.counts()[1]
    key_b, status = b.add_url(f"{base}/harbour", fetcher())
    assert key_b == key_a and status == "added from the shared store"
    assert hits.count("/harbour") == 1  # fetched once
    assert embedder.computed == computed and library.store.counts()[1] == paragraphs  # embedded and stored once
    # removing it from A leaves it in B; removing it from B too deletes it
    assert [m.article_id for m in a.remove(key_a)] == [key_a]
    assert f"{base}/harbour" not in quoted_urls(a.ask(FERRY))
    assert "Saint Brendan" in b.ask(FERRY).quotes[0].text
    with pytest.raises(ArticleNotFoundError):
        a.remove(key_a)  # no longer A's: A cannot reach it
    b.remove(key_a)
    assert library.store.find(key_a) == []


def test_a_server_cannot_remove_what_it_does_not_own(library, site):
    base, _ = site
    a, b = ServerView(library, Tenant(1)), ServerView(library, Tenant(2))
    key, _ = a.add_url(f"{base}/harbour", fetcher())
    with pytest.raises(ArticleNotFoundError):
        b.remove(key)
    with pytest.raises(CitebotError, match="operator"):
        b.remove("geology")  # a shared config article
    assert library.store.find("geology") == ["geology"] and library.store.find(key) == [key]


def test_config_sync_keeps_servers_articles_and_servers_refetch_only_their_own(library, site, tmp_path):
    base, hits = site
    a = ServerView(library, Tenant(1))
    before = library.indexer.last_report()
    key, _ = a.add_url(f"{base}/harbour", fetcher())
    assert library.indexer.last_report() == before  # a server's page is not in the operator's last report
    assert ServerView(library, Tenant(2)).status()["last_index"] is None
    folder = tmp_path / "articles"
    shutil.copytree(SAMPLES, folder)
    library.sync([FolderSource(location=str(folder))])  # the operator's re-index prunes what left the config only
    assert key in {m.article_id for m in a.metas()}
    report = a.refetch(fetcher())
    assert hits.count("/harbour") == 2 and report.unchanged == 1 and report.articles == 5
    assert ServerView(library, Tenant(2)).refetch(fetcher()).unchanged == 0 and hits.count("/harbour") == 2


def test_max_articles_is_a_clear_line(library, site, tmp_path):
    base, _ = site
    a = ServerView(library, Tenant(1), max_articles=1)
    a.add_url(f"{base}/harbour", fetcher())
    other = Article(ArticleMeta(article_id="x", title="Another", url="https://example.org/x"), "Some text. " * 30)
    with pytest.raises(LimitError, match=r"limit is 1 \(\[servers\] max_articles\)"):
        a.upsert([other])
    assert Path(library.data_dir).exists()
