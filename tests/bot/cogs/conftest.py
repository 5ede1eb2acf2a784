"""The cogs' unit tests: a real, unconnected bot over an empty data folder (refusals never reach the index)."""

from __future__ import annotations

import pytest

from bot.discord_app import CitebotBot
from retrieval.library import Library
from tests.bot.cogs.interactions import make_bot


@pytest.fixture
def bot(tmp_path, embedder) -> CitebotBot:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    return make_bot(Library(data_dir, embedder))
