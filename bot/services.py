"""Build the shared objects (embedder, library) from the configuration, once per process."""

from __future__ import annotations

from bot.config import Config
from retrieval.library import Library, open_embedder


def open_library(config: Config) -> Library:
    """The library over ``config.data_dir`` with the configured model and settings."""
    embedder = open_embedder(config.model.name, config.data_dir, config.model.batch_size)
    return Library(config.data_dir, embedder, config.retrieval, config.splitter)
