"""The Discord client's own decisions, without a connection: start-up refusals, blocking work off the event loop,
answers in a slot, nobody pinged, and the reply when a slash command fails. The path of a question through
Discord is tested against the emulator in tests/e2e."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import discord
import pytest

from bot.config import Config, DataSettings, DiscordSettings
from bot.discord_app import MISSING_TOKEN, CitebotBot, in_thread, run_bot
from retrieval.errors import CitebotError, IndexMissingError
from retrieval.library import Library
from tests.bot.cogs.interactions import Interaction, make_bot

HARBOUR = ("Harbour reopens\nSource: Coast News\nPublished: 2024-03-04\n\n"
           "The harbour reopened on Monday after three weeks of storm repairs, the port authority said.\n\n"
           "Fishing boats returned to their moorings by noon, and the island ferry sails again on Friday.\n")


@dataclass
class FailedInteraction(Interaction):
    """An interaction whose slash command raised (``command`` is what the error handler logs)."""

    command: object = None


@pytest.fixture
def harbour_library(tmp_path, embedder) -> Library:
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "harbour.txt").write_text(HARBOUR, encoding="utf-8")
    library = Library(tmp_path / "data", embedder)
    library.index([folder])
    return library


def test_without_a_token_nothing_starts_and_the_line_says_where_to_get_one(tmp_path):
    config = Config(data=DataSettings(dir=str(tmp_path / "data")), discord=DiscordSettings(token="  "),
                    base_dir=tmp_path)
    with pytest.raises(CitebotError) as raised:
        run_bot(config)
    assert str(raised.value) == MISSING_TOKEN and "DISCORD_TOKEN" in MISSING_TOKEN
    assert not (tmp_path / "data").exists()  # nothing was opened


async def test_blocking_work_runs_in_another_thread_and_its_error_reaches_the_caller():
    loop_thread = threading.get_ident()
    assert await in_thread(threading.get_ident) != loop_thread

    def fails() -> None:
        raise IndexMissingError("no articles are indexed")

    with pytest.raises(IndexMissingError, match="no articles are indexed"):
        await in_thread(fails)


async def test_the_bot_pings_nobody_and_answers_from_the_library(harbour_library):
    bot = make_bot(harbour_library)
    assert bot.allowed_mentions.to_dict() == discord.AllowedMentions.none().to_dict()
    assert bot.intents.message_content  # questions in answer channels are read from the text
    assert await bot.find_articles("harb") == []  # start-up loading has not finished: no suggestions yet
    answer = await bot.answer("When did the harbour reopen?")
    assert answer.found and "reopened on Monday" in answer.quotes[0].highlight
    assert bot.answered == 1


async def test_an_empty_library_is_one_clear_error_not_a_crash(tmp_path, embedder):
    (tmp_path / "data").mkdir()
    bot = make_bot(Library(tmp_path / "data", embedder))
    with pytest.raises(IndexMissingError, match="run `citebot index`"):
        await bot.answer("When did the harbour reopen?")
    assert bot.answered == 0


async def test_a_failing_slash_command_gets_a_private_apology(tmp_path, embedder, caplog):
    (tmp_path / "data").mkdir()
    bot: CitebotBot = make_bot(Library(tmp_path / "data", embedder))
    fresh = FailedInteraction()
    await bot.on_app_command_error(fresh, discord.app_commands.AppCommandError("boom"))
    assert fresh.only_reply()["content"] == "Sorry, something went wrong; the error has been logged."
    deferred = FailedInteraction()
    await deferred.response.defer()  # already acknowledged: the apology replaces the pending reply
    await bot.on_app_command_error(deferred, discord.app_commands.AppCommandError("boom"))
    assert deferred.response.sent == [] and deferred.edits[0]["content"].startswith("Sorry, something went wrong")
    assert deferred.edits[0]["allowed_mentions"].to_dict() == discord.AllowedMentions.none().to_dict()
    assert "failed" in caplog.text
