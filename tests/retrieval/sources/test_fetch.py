"""Articles from real pages and real feeds served locally: every good one attributed, every bad one explained."""

from __future__ import annotations

import re

import pytest

from retrieval.sources import (
    FetchError,
    NotAnArticle,
    SourceSpec,
    SourceState,
    collect,
    fetch_article,
    poll_feed,
    url_key,
)
from retrieval.text.paragraphs import ParagraphSplitter
from tests.conftest import SAMPLES
from tests.retrieval.sources.conftest import PAGE_IDS


def test_page_becomes_an_attributed_article(site, client) -> None:
    article = fetch_article(client, f"{site.base}/pages/{PAGE_IDS[0]}.html")
    meta = article.meta
    assert meta.title.startswith("Browns player on Mason Rudolph")
    assert meta.source == "CBSSports.com" and meta.author == "Bryan DeArdo" and meta.published == "2019-11-19"
    assert meta.url == f"{site.base}/pages/{PAGE_IDS[0]}.html"  # where it was fetched from
    canonical = "https://www.cbssports.com/nfl/news/browns-player-on-mason-rudolphs-role-in-fight-with-myles-garrett-he-asked-for-it/"
    assert url_key(canonical) in article.aliases and url_key(meta.url) in article.aliases
    assert meta.article_id.startswith("cbssports-com-nfl-news-browns")  # from the canonical URL: stable
    paragraphs = ParagraphSplitter().split(meta.article_id, article.text)
    assert "\n\n" in article.text and len(paragraphs) >= 8
    assert any(p.text.startswith("Browns DL Sheldon Richardson, however") for p in paragraphs)


def test_the_same_story_from_two_addresses_is_one_article(site, client) -> None:
    direct = fetch_article(client, f"{site.base}/pages/{PAGE_IDS[3]}.html")
    redirected = fetch_article(client, f"{site.base}/old-address")
    assert redirected.meta.article_id == direct.meta.article_id
    assert redirected.meta.url == f"{site.base}/pages/{PAGE_IDS[3]}.html"  # after redirects, utm_* stripped
    assert url_key(f"{site.base}/old-address") in redirected.aliases


@pytest.mark.parametrize(
    ("path", "error", "reason"),
    [
        ("/file.pdf", NotAnArticle, "not a web page (application/pdf)"),
        ("/teaser", NotAnArticle, "too short to be an article"),
        ("/missing", FetchError, "not found (404)"),
    ],
)
def test_pages_that_are_not_articles_are_refused_with_a_reason(site, client, path, error, reason) -> None:
    with pytest.raises(error) as caught:
        fetch_article(client, site.base + path)
    assert reason in caught.value.reason


def test_feed_collection_indexes_the_good_and_reports_the_bad(site, client) -> None:
    spec = SourceSpec("feed", f"{site.base}/feeds/guardian.xml", "Guardian", max_items=6)
    result = collect(client, spec)
    articles, failures = result  # unpacks as a pair
    assert len(articles) == 3
    for article in articles:
        meta = article.meta
        assert meta.title and meta.source and re.match(r"\d{4}-\d{2}-\d{2}$", meta.published or "")
        assert meta.url.startswith(f"{site.base}/pages/")
    reasons = dict(failures)
    assert reasons[f"{site.base}/missing"] == "not found (404)"
    assert reasons[f"{site.base}/file.pdf"] == "not a web page (application/pdf)"
    assert "too short" in reasons[f"{site.base}/teaser"]
    assert result.gone == [f"{site.base}/missing"]


def test_known_pages_are_not_fetched_again_unless_refetching(site, client) -> None:
    spec = SourceSpec("feed", f"{site.base}/feeds/guardian.xml", max_items=2)
    known = {url_key(f"{site.base}/pages/{PAGE_IDS[i]}.html") for i in (0, 1)}
    result = collect(client, spec, SourceState(known=known))
    assert result.articles == [] and len(result.skipped) == 2
    assert len(collect(client, spec, SourceState(known=known, refetch=True)).articles) == 2


def test_a_feed_that_cannot_be_fetched_is_one_failure(site, client) -> None:
    result = collect(client, SourceSpec("feed", f"{site.base}/missing"))
    assert result.articles == [] and result.failures == [(f"{site.base}/missing", "not found (404)")]
    page = collect(client, SourceSpec("feed", f"{site.base}/pages/{PAGE_IDS[0]}.html"))
    assert "not an RSS or Atom feed" in page.failures[0][1]


def test_conditional_poll(site, client) -> None:
    first = poll_feed(client, f"{site.base}/feeds/etag.xml")
    assert first.entries and first.etag == '"v1"' and not first.not_modified
    again = poll_feed(client, f"{site.base}/feeds/etag.xml", etag=first.etag)
    assert again.not_modified and again.entries == [] and again.etag == '"v1"'


def test_latin1_feed_without_declaration_reads_correctly(site, client) -> None:
    poll = poll_feed(client, f"{site.base}/feeds/uol.xml")
    titles = [e.title for e in poll.entries]
    assert "Ibope: Bolsonaro perde de Haddad, Ciro e Alckmin em simulações de 2º turno" in titles
    assert not any("\ufffd" in (t or "") for t in titles)
    assert poll.entries[0].published == "2018-09-24"  # a Portuguese date ("Seg, 24 Set 2018")


def test_relative_atom_links_resolve_against_the_feed_url(site, client) -> None:
    poll = poll_feed(client, f"{site.base}/feeds/tpm-atom.xml")
    path = "/livewire/hannity-announces-fox-hired-sebastian-gorka-national-security-strategist"
    assert poll.entries[0].link == site.base + path


def test_url_and_folder_sources(site, client) -> None:
    single = collect(client, SourceSpec("url", f"{site.base}/pages/{PAGE_IDS[2]}.html"))
    assert len(single.articles) == 1 and single.failures == []
    folder = collect(None, SourceSpec("folder", str(SAMPLES)))
    assert len(folder.articles) == 4 and folder.failures == []


def test_state_as_a_dict_is_updated_in_place_and_reasons_say_gone(site, client) -> None:
    state: dict = {}
    articles, failures = collect(client, SourceSpec("feed", f"{site.base}/feeds/etag.xml"), state)
    assert state["etag"] == '"v1"' and len(articles) == 1
    again = collect(client, SourceSpec("feed", f"{site.base}/feeds/etag.xml"), state)
    assert again.not_modified and again.articles == []
    result = collect(client, SourceSpec("feed", f"{site.base}/feeds/guardian.xml", max_items=6))
    reasons = dict(result.failures)
    assert reasons[f"{site.base}/missing"].gone and not reasons[f"{site.base}/teaser"].gone
