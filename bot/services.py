"""Build the shared objects (embedder, library) from the configuration, once per process."""

from __future__ import annotations

from bot.config import Config, ConfigError
from retrieval.library import Library, open_embedder
from retrieval.sources.sync import FolderSource


def open_library(config: Config, write_timeout: float = 0.0) -> Library:
    """The library over ``config.data_dir`` with the configured model and settings."""
    if config.data_dir.exists() and not config.data_dir.is_dir():
        raise ConfigError(f"config key 'data.dir': {config.data_dir} is a file, not a folder: "
                          "point it at a folder (created when missing) or move the file away")
    embedder = open_embedder(config.model.name, config.data_dir, config.model.batch_size, config.model.query_runtime)
    return Library(config.data_dir, embedder, config.retrieval, config.splitter, write_timeout=write_timeout,
                   index=config.index)


def config_sources(config: Config) -> list:
    """The sources of the configuration file: ``[[sources]]`` when it has them, else the ``[articles]`` folders."""
    sources = getattr(config, "sources", None)
    if sources:
        return list(sources)
    return [FolderSource(location=str(path), name=name)
            for name, path in zip(config.articles.folders, config.article_folders, strict=True)]


def configured_sources(config: Config) -> list:
    """Every source to read: the configuration's, then the feeds subscribed at run time (``/subscribe``, kept in
    the data folder)."""
    from retrieval.sources.subscriptions import specs

    return config_sources(config) + specs(config.data_dir)


def http_client(config: Config):
    """The one HTTP client for fetching feeds and pages (imported here: answering needs no HTTP client)."""
    from retrieval.sources import make_client

    return make_client(config)
