"""A server's own subscriptions (bot/subscribing.py): held to ``[servers] max_sources`` and ``max_articles`` with one
line naming the limit, said before anything is fetched, nothing stored; unsubscribing reaches only that server's
feeds, and the articles it keeps stay that server's (never the operator's)."""

from pathlib import Path

import pytest

from bot.config import Config, DataSettings
from bot.subscribing import subscribe, unsubscribe
from retrieval.errors import CitebotError
from retrieval.library import Library
from retrieval.models import ArticleMeta
from retrieval.server_view import ServerView
from retrieval.sources import subscriptions
from retrieval.tenants import Tenant, server_origin
from retrieval.text.articles import Article

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
