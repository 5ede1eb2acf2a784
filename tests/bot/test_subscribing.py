"""Subscribing at run time (``/subscribe``, ``citebot subscribe``): what is refused before anything is fetched,
where a source comes from, the lines shown for failing items, feeds given to /add and removed articles; and a
server's own subscriptions, held to ``[servers] max_sources`` and ``max_articles`` with one line naming the limit,
said before anything is fetched, nothing stored; unsubscribing reaches only that server's feeds, and the articles
it keeps stay that server's (never the operator's)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ArticleSettings, Config, DataSettings
from bot.services import open_library
from bot.subscribing import comeback_warning, failing_text, feed_hint, source_origin, subscribe, unsubscribe
from retrieval.errors import CitebotError
from retrieval.library import Library
from retrieval.models import ArticleMeta
from retrieval.server_view import ServerView
from retrieval.sources import subscriptions
from retrieval.sources.spec import SourceSpec
from retrieval.sources.subscriptions import add, load
from retrieval.tenants import Tenant, server_origin
from retrieval.text.articles import Article
from tests.conftest import SAMPLES

FEED = SourceSpec("feed", "https://coast.test/feed.xml", name="Coast News")


@pytest.fixture
def config(tmp_path) -> Config:
    return Config(data=DataSettings(dir=str(tmp_path / "data")), articles=ArticleSettings(folders=[str(SAMPLES)]),
                  source_list=[FEED], base_dir=tmp_path)


@pytest.mark.parametrize(("url", "poll", "message"), [
    ("coast.test/feed.xml", None, "“coast.test/feed.xml” is not a web address"),
    ("ftp://coast.test/feed.xml", None, "is not a web address"),
    ("https://river.test/rss", 0, "the poll interval must be between 1 and 1440 minutes"),
    ("https://river.test/rss", 1441, "the poll interval must be between 1 and 1440 minutes"),
])
def test_refused_before_anything_is_fetched(config, url, poll, message):
    with pytest.raises(CitebotError, match=message):
        subscribe(config, library=None, client=None, url=url, poll_minutes=poll)
    assert load(config.data_dir) == []


def test_a_configured_source_is_not_unsubscribed_but_named(config):
    with pytest.raises(CitebotError, match="“Coast News” is a source in the configuration file: remove it there"):
        unsubscribe(config, library=None, ref="coast news")
    with pytest.raises(CitebotError, match="is a source in the configuration file"):
        unsubscribe(config, library=None, ref="https://coast.test/feed.xml")


def test_unsubscribing_removes_the_subscription_once(config):
    add(config.data_dir, "https://river.test/rss", "River Times", added_by="alice")
    library = open_library(config)
    sub, count = unsubscribe(config, library, "river times")
    assert sub.name == "River Times" and count == 0 and load(config.data_dir) == []
    with pytest.raises(CitebotError, match="“river times” names no subscription \\(subscribed: none\\)"):
        unsubscribe(config, library, "river times")


def test_a_source_comes_from_the_config_file_or_a_subscription(config):
    add(config.data_dir, "https://river.test/rss", "River Times")
    assert source_origin(config, "Coast News") == "config"
    assert source_origin(config, "River Times") == "subscribed"
    assert source_origin(config, "Elsewhere") == ""


def test_a_removed_article_comes_back_while_a_web_source_provides_it(config):
    add(config.data_dir, "https://river.test/rss", "River Times")
    assert comeback_warning(config, {"River Times"}) == (
        "Note: it comes back at the next `citebot index` (or poll) while the feed source “River Times” provides "
        "it: `citebot unsubscribe \"River Times\"` to keep it out.")
    assert "/unsubscribe it" in comeback_warning(config, {"River Times"}, discord=True)
    assert "remove it from the bot's config.toml" in comeback_warning(config, {"Coast News"}, discord=True)
    assert comeback_warning(config, {str(SAMPLES)}) is None  # a folder: removed is removed
    assert comeback_warning(config, set()) is None


def test_failing_items_and_feeds_given_to_add_are_one_line():
    assert failing_text({"failing": {"HTTP 404 Not Found": 2, "too short": 1}, "given_up": 1}) == (
        "failing items: HTTP 404 Not Found (2), too short (1); 1 given up")
    assert failing_text({"failing": {}}) == "" and failing_text({}) == ""
    hint = feed_hint("https://coast.test/feed.xml", "not a web page (application/rss+xml)", "`/subscribe url:…`")
    assert hint == ("it is a news feed, not an article: `/subscribe url:…` follows it (new articles indexed as "
                    "they appear)")
    assert feed_hint("https://coast.test/x.pdf", "not a web page (application/pdf)", "/subscribe") is None
    assert feed_hint("https://coast.test/", "HTTP 404 Not Found", "/subscribe") is None


SERVER = 5


@pytest.fixture
def library(tmp_path, embedder) -> Library:
    (tmp_path / "data").mkdir()
    return Library(tmp_path / "data", embedder)


def config_of(library: Library) -> Config:
    data: Path = library.data_dir
    return Config(data=DataSettings(dir=str(data)), base_dir=data.parent)


def article(key: str) -> Article:
    return Article(ArticleMeta(article_id=key, title=f"About {key}", url=f"https://news.example/{key}"),
                   f"The {key} story is told here at some length for the index. " * 6)


def test_a_server_past_max_sources_is_told_the_limit_and_nothing_changes(library):
    config = config_of(library)
    config.servers.max_sources = 1
    subscriptions.add(library.data_dir, "https://news.example/a.xml", "A news", server=SERVER)
    with pytest.raises(CitebotError, match=r"follows 1 feed\(s\); the limit is 1 \(\[servers\] max_sources\)"):
        subscribe(config, library, None, "https://news.example/b.xml", server=SERVER)  # no client: nothing fetched
    assert [(s.name, s.server) for s in subscriptions.load(library.data_dir)] == [("A news", SERVER)]
    with pytest.raises(CitebotError, match=r"the limit is 1 \(\[servers\] max_sources\)"):
        subscriptions.add(library.data_dir, "https://news.example/c.xml", "C news", server=SERVER, max_sources=1)
    # the operator and other servers are not counted against it
    subscriptions.add(library.data_dir, "https://news.example/b.xml", "B news", server=SERVER + 1, max_sources=1)
    subscriptions.add(library.data_dir, "https://news.example/b.xml", "B news")
    assert len(subscriptions.load(library.data_dir)) == 3


def test_a_server_at_max_articles_cannot_subscribe(library):
    config = config_of(library)
    config.servers.max_articles = 1
    ServerView(library, Tenant(SERVER)).upsert([article("held")])
    with pytest.raises(CitebotError, match=r"the limit is 1 \(\[servers\] max_articles\)"):
        subscribe(config, library, None, "https://news.example/a.xml", server=SERVER)
    assert subscriptions.load(library.data_dir) == []


def test_unsubscribing_a_servers_feed_keeps_its_articles_as_that_servers_own(library):
    config = config_of(library)
    subscriptions.add(library.data_dir, "https://news.example/op.xml", "Coast News")  # the operator's
    subscriptions.add(library.data_dir, "https://news.example/coast.xml", "Coast News", server=SERVER)
    library.upsert([article("quay")], server_origin(SERVER, "Coast News"))
    sub, kept = unsubscribe(config, library, "Coast News", server=SERVER)
    assert (sub.server, kept) == (SERVER, 1)
    assert [(s.location, s.server) for s in subscriptions.load(library.data_dir)] == [
        ("https://news.example/op.xml", None)]
    assert library.store.origins("quay") == {server_origin(SERVER)}  # the server's hand-added, not "added"
    assert "quay" in ServerView(library, Tenant(SERVER)).keys()
    assert "quay" not in ServerView(library, Tenant(None)).keys()
    with pytest.raises(CitebotError, match="no subscription"):
        unsubscribe(config, library, "Coast News", server=SERVER + 1)


def test_a_departed_servers_feeds_go_with_its_articles(library):
    from bot.server_settings import ServerSettingsStore
    from bot.servers import purge_departed

    config = config_of(library)
    subscriptions.add(library.data_dir, "https://news.example/coast.xml", "Coast News", server=SERVER)
    subscriptions.add(library.data_dir, "https://news.example/coast.xml", "Coast News", server=SERVER + 1)
    library.upsert([article("quay")], server_origin(SERVER, "Coast News"))
    store = ServerSettingsStore.in_folder(library.data_dir)
    store.left(SERVER, 1_000_000.0)
    assert purge_departed(config, library, store, 1_000_000.0 + 31 * 86_400) == {SERVER: 1}
    assert [s.server for s in subscriptions.load(library.data_dir)] == [SERVER + 1]  # no poll brings it back
    assert library.store.find("quay") == []
