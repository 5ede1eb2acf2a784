"""What an admin sees when a command on a web address fails (/add, /subscribe): one line, "Could not add URL:
reason". A ``CitebotError`` is an expected failure and its message is the reason; anything else is a bug, shown by
its type and logged with its traceback."""

from __future__ import annotations

import logging

import discord

from bot.embeds import error_embed
from bot.formats import escape, shorten
from retrieval.errors import CitebotError

URL_CHARS = 300  # the address as shown in the line


def could_not(doing: str, url: str, exc: Exception, log: logging.Logger) -> discord.Embed:
    """The error embed for failing to ``doing`` ("add", "subscribe to") ``url`` with ``exc``; call it in the
    ``except`` block, so an unexpected error is logged to ``log`` with its traceback."""
    if isinstance(exc, CitebotError):
        reason = escape(str(exc))
    else:
        log.exception("could not %s %s", doing, url)
        reason = f"{type(exc).__name__}: {exc}"
    return error_embed(f"Could not {doing} {escape(shorten(url, URL_CHARS))}: {reason}")
