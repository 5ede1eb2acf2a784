"""Source and fetch settings: a source is shown by its name or else its location, and the fetch defaults in code
are the ones config.example.toml documents."""

from __future__ import annotations

import tomllib
from dataclasses import asdict

from retrieval.sources.spec import DEFAULT_MAX_ITEMS, SOURCE_KINDS, FetchSettings, SourceSpec
from tests.conftest import ROOT


def test_a_source_is_labelled_by_its_name_or_its_location():
    assert SourceSpec("feed", "https://news.example/rss").label == "https://news.example/rss"
    assert SourceSpec("feed", "https://news.example/rss", name="News").label == "News"
    assert SourceSpec("url", "https://news.example/a").max_items == DEFAULT_MAX_ITEMS
    assert SOURCE_KINDS == ("folder", "feed", "url")


def test_fetch_defaults_match_the_documented_example_config():
    example = tomllib.loads((ROOT / "config.example.toml").read_text(encoding="utf-8"))["fetch"]
    assert example == asdict(FetchSettings())
