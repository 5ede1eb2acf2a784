"""A failed /add or /subscribe shows one line naming the address and the reason; an expected failure
(``CitebotError``) by its message, anything else by its type, logged with its traceback."""

from __future__ import annotations

import logging

from bot.command_errors import could_not
from retrieval.errors import CitebotError

log = logging.getLogger("citebot.test")


def test_an_expected_failure_shows_its_reason_escaped(caplog) -> None:
    try:
        raise CitebotError("the page at *news.test* has no article")
    except CitebotError as exc:
        embed = could_not("add", "https://news.test/a", exc, log)
    assert embed.description == r"Could not add https://news.test/a: the page at \*news.test\* has no article"
    assert caplog.records == []


def test_an_unexpected_failure_shows_its_type_and_logs_the_traceback(caplog) -> None:
    try:
        raise ValueError("bad feed date")
    except ValueError as exc:
        embed = could_not("subscribe to", "https://news.test/feed.xml", exc, log)
    assert embed.description == "Could not subscribe to https://news.test/feed.xml: ValueError: bad feed date"
    (record,) = caplog.records
    assert record.levelno == logging.ERROR and record.exc_info is not None


def test_a_long_address_is_shortened() -> None:
    url = "https://news.test/" + "a" * 400
    embed = could_not("add", url, CitebotError("not found"), log)
    shown = embed.description.removeprefix("Could not add ").removesuffix(": not found")
    assert len(shown) == 300 and url.startswith(shown[:-1])
