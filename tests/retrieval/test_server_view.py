"""A server's view between questions: what it reads (its keys, its mask) is kept until its articles change, and a
question right after an /add or /remove in that server (or a membership gained from the shared store) sees it."""

import pytest

from retrieval.library import Library
from retrieval.models import ArticleMeta
from retrieval.server_view import ServerView
from retrieval.tenants import Tenant
from retrieval.text.articles import Article
from tests.conftest import copy_data_dir
from tests.local_http import serve
from tests.retrieval.test_tenants import FERRY, PAGE, fetcher, quoted_urls


@pytest.fixture
def library(tmp_path, embedder, sample_data_dir) -> Library:
    copy_data_dir(sample_data_dir, tmp_path / "data")
    return Library(tmp_path / "data", embedder)


@pytest.fixture
def harbour():
    with serve(lambda path: (200, PAGE.encode(), "text/html")) as base:
        yield f"{base}/harbour"


def view(library, server) -> ServerView:
    """A fresh view per request, as the bot makes one (bot/servers.py)."""
    return ServerView(library, Tenant(server))


def test_the_next_question_sees_an_add_and_a_remove_in_that_server(library, harbour):
    assert harbour not in quoted_urls(view(library, 1).ask(FERRY))  # keys and mask now cached
    key, _ = view(library, 1).add_url(harbour, fetcher())
    assert "Saint Brendan" in view(library, 1).ask(FERRY).quotes[0].text
    assert harbour not in quoted_urls(view(library, 2).ask(FERRY))
    view(library, 1).remove(key)
    assert harbour not in quoted_urls(view(library, 1).ask(FERRY))
    assert key not in view(library, 1).keys()


def test_a_membership_gained_or_lost_alone_is_seen_by_the_next_question(library, harbour):
    key, _ = view(library, 1).add_url(harbour, fetcher())
    seq = library.store.seq()
    assert harbour not in quoted_urls(view(library, 2).ask(FERRY))
    assert view(library, 2).add_url(harbour, fetcher())[1] == "added from the shared store"
    assert library.store.seq() == seq  # nothing in the article changed: only who holds it
    assert "Saint Brendan" in view(library, 2).ask(FERRY).quotes[0].text
    view(library, 1).remove(key)  # B still holds it: the article stays, A no longer sees it
    assert harbour not in quoted_urls(view(library, 1).ask(FERRY))
    assert "Saint Brendan" in view(library, 2).ask(FERRY).quotes[0].text


def test_views_of_one_server_share_its_keys_and_mask_until_they_change(library, harbour):
    key, _ = view(library, 2).add_url(harbour, fetcher())  # another server's article: server 1 needs a mask
    first, second = view(library, 1), view(library, 1)
    before = first.keys()
    assert second.keys() is before
    readable = first.readable()
    assert second.readable() is readable  # one scoped collection per server, not one per question
    with readable.reading() as reading:
        mask, rows = reading.visible(), reading.rows
    with second.readable().reading() as reading:
        assert reading.visible() is mask  # computed once for this collection version
    other = Article(ArticleMeta(article_id="quarry", title="Quarry closes", url="https://example.org/quarry"),
                    "The old quarry above the village closed on Friday after ninety years of work. " * 4)
    view(library, 2).upsert([other])  # the shared collection changed, server 1's articles did not
    later = view(library, 1)
    assert later.keys() is before
    with later.readable().reading() as reading:
        assert reading.visible() is not mask and reading.rows > rows
        assert int(reading.visible().sum()) == int(mask.sum())  # the new rows are not server 1's
    view(library, 1).add_url(harbour, fetcher())
    assert view(library, 1).keys() == before | {key}


def test_the_operator_view_needs_no_mask_until_a_server_holds_something(library, harbour):
    operator = view(library, None)
    assert operator.readable() is library.collection()
    view(library, 1).add_url(harbour, fetcher())
    assert view(library, None).readable() is not library.collection()
    assert harbour not in quoted_urls(view(library, None).ask(FERRY))


def test_a_servers_feeds_show_in_its_sources_only(library):
    from retrieval.sources import subscriptions
    from retrieval.tenants import server_origin

    subscriptions.add(library.data_dir, "https://news.example/coast.xml", "Coast News", server=1)
    library.store.save_source(server_origin(1, "Coast News"), kind="feed", location="https://news.example/coast.xml")
    names = {server: [row["name"] for row in view(library, server).source_status([])] for server in (1, 2, None)}
    assert "Coast News" in names[1]
    assert not any("Coast" in name for name in names[2] + names[None]), names
