"""Replies to questions in a busy channel sent together: more than one answer a second within Discord's limits.

Discord lets a bot send 5 messages per 5 s in one channel, so one reply per message caps a busy channel at one
answer a second. Here every reply to a question in a channel goes through one queue per channel: a reply alone in
it is sent exactly as before (:func:`bot.delivery.reply`: a reply to the question, its buttons, ``nonce`` = the
question's id); replies that pile up while the channel waits for its next send go out as ONE message replying to
the first of them, one embed per reply (its asker named in the embed's author line, linked to the question), each
answer's buttons on a row of their own. A batch respects Discord's limits: at most 10 embeds, 6,000 characters
over all embeds, 5 rows of buttons; what does not fit waits for the next send. Nobody is pinged
(``AllowedMentions.none()``, as for a single reply). Each question still gets exactly one reply: a batch is one
message, retried with its own nonce (the first question's id) like any reply; a lost batch is logged for each of
its questions. The embed's author link is also the record :mod:`bot.catchup` reads after a restart.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import discord

from bot import delivery
from bot.observability import Stats

log = logging.getLogger("citebot.batching")

#: Discord's per-channel limit on message sends: this many per CHANNEL_WINDOW_S seconds.
CHANNEL_SENDS, CHANNEL_WINDOW_S = 5, 5.0
#: Discord's limits on one message: embeds, characters over all its embeds, rows of components.
MAX_EMBEDS, MAX_EMBED_CHARS, MAX_ROWS = 10, 6000, 5
#: Answers (each with a row of buttons) one message can carry.
ANSWERS_PER_MESSAGE = MAX_ROWS
#: Our own sends are spaced a little wider than Discord's window (clocks and network differ).
MARGIN_S = 0.1
AUTHOR_CHARS = 256


def answers_per_minute() -> int:
    """The answers one channel can be sent in a minute: its sends a minute times the answers one send carries."""
    return int(60 / CHANNEL_WINDOW_S * CHANNEL_SENDS) * ANSWERS_PER_MESSAGE


@dataclass
class Waiting:
    """A reply waiting for its channel's next send."""

    message: discord.Message
    embed: discord.Embed
    view: discord.ui.View | None
    future: asyncio.Future = field(repr=False)


def labelled(item: Waiting) -> discord.Embed:
    """The reply's embed as part of a batch: its author line names the asker and links to the question."""
    embed = item.embed.copy()
    name = f"↩ {item.message.author.display_name}"
    embed.set_author(name=name[:AUTHOR_CHARS], url=item.message.jump_url)
    return embed


def take_batch(waiting: list[Waiting]) -> list[Waiting]:
    """The longest run from the front of ``waiting`` that fits one message (at least one reply)."""
    batch: list[Waiting] = []
    chars = rows = 0
    for item in waiting:
        size = len(labelled(item)) if waiting[1:] else len(item.embed)
        row = 1 if item.view is not None and item.view.children else 0
        if batch and (len(batch) == MAX_EMBEDS or chars + size > MAX_EMBED_CHARS or rows + row > MAX_ROWS):
            break
        batch.append(item)
        chars, rows = chars + size, rows + row
    return batch


def combined_view(batch: list[Waiting]) -> discord.ui.View | None:
    """Each reply's buttons on a row of their own, in the order of the embeds."""
    views = [item.view for item in batch if item.view is not None and item.view.children]
    if not views:
        return None
    view = discord.ui.View(timeout=None)
    for row, part in enumerate(views):
        for child in list(part.children):
            part.remove_item(child)
            child.row = row
            view.add_item(child)
    return view


class Batcher:
    """One queue of replies per channel, sent one message at a time within Discord's 5 per 5 s."""

    def __init__(self, pacer: delivery.Pacer | None, stats: Stats, deadline_s: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.pacer, self.stats, self.deadline_s, self.clock = pacer, stats, deadline_s, clock
        self.waiting: dict[int, list[Waiting]] = {}
        self.senders: dict[int, asyncio.Task] = {}
        self.sent_at: dict[int, deque[float]] = {}
        self.batched = 0  # messages that carried more than one reply

    async def reply(self, message: discord.Message, embed: discord.Embed,
                    view: discord.ui.View | None = None) -> tuple[discord.Message | None, bool]:
        """Send ``embed`` (with ``view``) as the reply to ``message``, alone or with others waiting in its channel.
        Returns the message that carries it (None when lost) and whether it was sent together with others."""
        item = Waiting(message, embed, view, asyncio.get_running_loop().create_future())
        cid = message.channel.id
        self.waiting.setdefault(cid, []).append(item)
        if cid not in self.senders:
            self.senders[cid] = asyncio.create_task(self._drain(cid))
        return await item.future

    async def _turn(self, cid: int) -> None:
        """Wait until the channel may be sent another message (Discord's sliding 5 per 5 s)."""
        sent = self.sent_at.get(cid)
        while sent and len(sent) >= CHANNEL_SENDS:
            wait = sent[0] + CHANNEL_WINDOW_S + MARGIN_S - self.clock()
            if wait <= 0:
                sent.popleft()
                continue
            await asyncio.sleep(wait)

    async def _drain(self, cid: int) -> None:
        batch: list[Waiting] = []
        try:
            while self.waiting.get(cid):
                await self._turn(cid)  # replies arriving meanwhile join the next message
                queue = self.waiting[cid]
                batch = take_batch(queue)
                del queue[: len(batch)]
                try:
                    result = await self._send(batch)
                except Exception:  # noqa: BLE001 - never leave a question without its reply's outcome
                    log.exception("sending %d reply(ies) in channel %s failed", len(batch), cid)
                    result = (None, len(batch) > 1)
                sent = self.sent_at.setdefault(cid, deque())
                sent.append(self.clock())
                while len(sent) > CHANNEL_SENDS:
                    sent.popleft()
                for item in batch:
                    if not item.future.done():
                        item.future.set_result(result)
                batch = []
        finally:
            self.senders.pop(cid, None)
            for item in batch + self.waiting.pop(cid, []):  # only when cancelled (shutting down)
                if not item.future.done():
                    item.future.set_result((None, False))

    async def _send(self, batch: list[Waiting]) -> tuple[discord.Message | None, bool]:
        first = batch[0]
        if len(batch) == 1:
            sent = await delivery.reply(first.message, embed=first.embed, view=first.view, stats=self.stats,
                                        pacer=self.pacer, deadline_s=self.deadline_s)
            return sent, False
        self.batched += 1
        log.debug("one message for %d replies in channel %s", len(batch), first.message.channel.id)
        sent = await delivery.reply(first.message, embeds=[labelled(item) for item in batch],
                                    view=combined_view(batch), stats=self.stats, pacer=self.pacer,
                                    deadline_s=self.deadline_s)
        if sent is None:
            for item in batch[1:]:  # the first one is logged by delivery.reply
                delivery.lost(self.stats, f"answer to question {item.message.id} lost with question "
                                          f"{first.message.id}'s (one message)")
        return sent, True
