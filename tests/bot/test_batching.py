"""Replies sent together (bot/batching.py): a reply alone in its channel's queue goes out exactly as a single reply;
replies waiting for the channel's next send go together as one message within Discord's limits (10 embeds, 6,000
characters, 5 rows of buttons), each embed naming and linking its question, nobody pinged."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import discord

from bot.batching import MAX_EMBED_CHARS, MAX_EMBEDS, MAX_ROWS, Batcher, Waiting, answers_per_minute, take_batch
from bot.delivery import NONE
from bot.observability import Stats
from tests.bot.test_delivery import Channel, Message


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
