"""Subscribing at run time (``/subscribe``, ``citebot subscribe``): what is refused before anything is fetched,
where a source comes from, and the lines shown for failing items, feeds given to /add and removed articles."""

from __future__ import annotations

import pytest

from bot.config import ArticleSettings, Config, DataSettings
from bot.services import open_library
from bot.subscribing import comeback_warning, failing_text, feed_hint, source_origin, subscribe, unsubscribe
from retrieval.errors import CitebotError
from retrieval.sources.spec import SourceSpec
from retrieval.sources.subscriptions import add, load
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
