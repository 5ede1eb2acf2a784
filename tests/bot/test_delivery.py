"""Replies that arrive exactly once: a reply is retried through 429s and 5xx with the same nonce, falls back to a
plain message when replying is forbidden, is given up (logged, counted) on a client error or past the deadline;
an interaction already answered is not acknowledged twice; the pacer spaces writes."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import discord

from bot.batching import MAX_EMBED_CHARS, MAX_EMBEDS, MAX_ROWS, Batcher, Waiting, answers_per_minute, take_batch
from bot.catchup import replied_to
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


# -- replies sent together (bot/batching.py) ------------------------------------------------------------------


class SlowChannel(Channel):
    """A channel whose sends take ``delay`` seconds (as when Discord's rate limit makes discord.py wait)."""

    delay: float = 0.2

    async def send(self, **kwargs: Any) -> str:
        await asyncio.sleep(self.delay)
        return await super().send(**kwargs)


def buttons(key: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(discord.ui.Button(label="👍", custom_id=f"vote:{key}"))
    view.add_item(discord.ui.Button(label="More", custom_id=f"more:{key}"))
    return view


def waiting(n: int, chars: int = 100, view: bool = False) -> list[Waiting]:
    channel = Channel()
    return [Waiting(Message(channel, id=1000 + i), discord.Embed(description="x" * chars),
                    buttons(i) if view else None, None) for i in range(n)]


def test_a_batch_keeps_to_discords_limits_per_message() -> None:
    assert len(take_batch(waiting(14))) == MAX_EMBEDS  # 10 embeds
    assert len(take_batch(waiting(8, view=True))) == MAX_ROWS  # each answer's buttons on a row of 5
    big = take_batch(waiting(6, chars=1900))  # 6,000 characters over all embeds, author lines included
    assert len(big) == 3 and sum(len(w.embed) + len("↩ Ada") for w in big) <= MAX_EMBED_CHARS
    assert len(take_batch(waiting(2, chars=5000))) == 1  # a large answer goes alone
    assert answers_per_minute() == 60 * MAX_ROWS  # Discord's 5 sends per 5 s, 5 answers each


async def test_a_lone_reply_is_sent_as_before_and_waiting_replies_go_together() -> None:
    channel = SlowChannel()
    batcher = Batcher(None, Stats(), deadline_s=30)
    questions = [Message(channel, id=2000 + i, author=SimpleNamespace(display_name=f"user{i}", id=i))
                 for i in range(7)]
    embeds = [discord.Embed(title=f"answer {i}") for i in range(7)]
    alone = asyncio.ensure_future(batcher.reply(questions[0], embeds[0], buttons(questions[0].id)))
    await asyncio.sleep(0.05)  # the first is being sent when the others arrive
    pairs = zip(questions[1:], embeds[1:], strict=True)
    rest = await asyncio.gather(*(batcher.reply(q, e, buttons(q.id)) for q, e in pairs))
    results = [await alone, *rest]
    first, second, third = channel.attempts
    # the first went out alone, exactly as a single reply: its own embed, a reply to its question, its nonce
    assert first["embed"] is embeds[0] and "embeds" not in first and first["nonce"] == "2000"
    assert first["reference"].message_id == 2000 and first["allowed_mentions"] is NONE
    # the six that waited meanwhile: two messages (5 answers with buttons fit one), each one reply, no ping
    assert len(second["embeds"]) == 5 and third["embed"] is embeds[6] and "embeds" not in third
    assert second["nonce"] == "2001" and second["reference"].message_id == 2001
    assert second["allowed_mentions"] is NONE and second["mention_author"] is False
    names = [e.author.name for e in second["embeds"]]
    assert names == [f"↩ user{i}" for i in range(1, 6)]
    assert [e.author.url.rsplit("/", 1)[1] for e in second["embeds"]] == [str(2000 + i) for i in range(1, 6)]
    rows = {}
    for child in second["view"].children:
        rows.setdefault(child.row, []).append(child.custom_id)
    assert rows == {r: [f"vote:{2001 + r}", f"more:{2001 + r}"] for r in range(5)}
    assert [together for _, together in results] == [False, True, True, True, True, True, False]
    assert results[1][0] == results[5][0] == "message 2" and results[6][0] == "message 3"
    assert batcher.batched == 1


def test_the_catch_up_counts_a_reply_sent_together_as_a_reply() -> None:
    me = 7
    embeds = [discord.Embed(title="a").set_author(name="↩ Ada", url="https://discord.com/channels/1/555/3001"),
              discord.Embed(title="b").set_author(name="↩ Bo", url="https://discord.com/channels/1/555/3002")]
    bot_message = SimpleNamespace(author=SimpleNamespace(id=me), reference=SimpleNamespace(message_id=3001),
                                  embeds=embeds, thread=None)
    question = SimpleNamespace(author=SimpleNamespace(id=9), reference=None, embeds=[], thread=None, id=3003)
    assert replied_to([bot_message, question], me) == {3001, 3002}
