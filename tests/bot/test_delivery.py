"""Replies that arrive exactly once: a reply is retried through 429s and 5xx with the same nonce, falls back to a
plain message when replying is forbidden, is given up (logged, counted) on a client error or past the deadline;
an interaction already answered is not acknowledged twice; the pacer spaces writes."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import discord

from bot.delivery import NONE, Pacer, acknowledge, reply
from bot.observability import Stats
from tests.bot.cogs.interactions import Interaction


@dataclass
class HTTPResponse:
    """What discord.py's HTTP errors read from an aiohttp response."""

    status: int
    reason: str = "error"


@dataclass
class Channel:
    """A channel whose first sends fail with ``errors`` (in order); it records every attempt."""

    errors: list[BaseException] = field(default_factory=list)
    attempts: list[dict[str, Any]] = field(default_factory=list)
    id: int = 555
    name: str = "news"

    async def send(self, **kwargs: Any) -> str:
        self.attempts.append(kwargs)
        if self.errors:
            raise self.errors.pop(0)
        return f"message {len(self.attempts)}"


@dataclass
class Message:
    """A question message in ``channel``."""

    channel: Channel
    id: int = 987654321
    author: Any = field(default_factory=lambda: SimpleNamespace(display_name="Ada", id=42))

    @property
    def jump_url(self) -> str:
        return f"https://discord.com/channels/1/{self.channel.id}/{self.id}"

    def to_reference(self, *, fail_if_not_exists: bool = True) -> discord.MessageReference:
        return discord.MessageReference(message_id=self.id, channel_id=self.channel.id,
                                        fail_if_not_exists=fail_if_not_exists)


async def test_rate_limits_and_outages_are_retried_with_the_same_nonce() -> None:
    channel = Channel([discord.RateLimited(0.01), discord.DiscordServerError(HTTPResponse(503), "down")])
    stats = Stats()
    original = discord.Embed(title="answer")
    sent = await reply(Message(channel), stats=stats, deadline_s=30, embed=original)
    assert sent == "message 3" and stats.retries == 2 and stats.failed_sends == 0
    assert {a["nonce"] for a in channel.attempts} == {"987654321"}
    assert all(a["allowed_mentions"] is NONE and a["mention_author"] is False for a in channel.attempts)
    assert channel.attempts[-1]["embed"] is original


async def test_a_forbidden_reply_is_sent_as_a_plain_message() -> None:
    channel = Channel([discord.Forbidden(HTTPResponse(403), "Missing Access")])
    assert await reply(Message(channel), stats=Stats(), deadline_s=30, content="hello") == "message 2"
    assert "reference" in channel.attempts[0] and "reference" not in channel.attempts[1]


async def test_a_client_error_or_the_deadline_loses_the_reply_loudly() -> None:
    stats = Stats()
    gone = Channel([discord.NotFound(HTTPResponse(404), "Unknown Channel")])
    assert await reply(Message(gone), stats=stats, deadline_s=30, content="x") is None
    assert len(gone.attempts) == 1  # not retried: trying again cannot help
    slow = Channel([discord.RateLimited(60.0)])
    assert await reply(Message(slow), stats=stats, deadline_s=1, content="x") is None  # would wait past it
    assert stats.failed_sends == 2 and stats.retries == 0
    assert "answer to question 987654321 in #news lost: 404" in stats.last_errors[0][1]


async def test_an_answered_interaction_is_not_acknowledged_again() -> None:
    interaction = Interaction()
    await interaction.response.send_message("done")
    assert await acknowledge(interaction, stats=Stats()) is True


async def test_the_pacer_spaces_writes() -> None:
    pacer = Pacer(per_second=50)
    started = time.monotonic()
    for n in range(6):
        async with pacer.slot(n % 2):
            pass
    assert time.monotonic() - started >= 5 / 50 - 0.005
