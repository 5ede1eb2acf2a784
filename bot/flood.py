"""Flood control for questions: per-user and per-channel rate limits, a bounded queue, repeated questions, and
one typing indicator per channel however many questions wait in it.

Every question is either admitted (and later answered) or refused with a short text that says why and when to try
again; the Q&A cog sends that text as the one reply to the question.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import time
from collections import Counter, OrderedDict, deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass

import discord

from bot.batching import answers_per_minute
from bot.config import LimitsSettings
from bot.delivery import Pacer

log = logging.getLogger("citebot.flood")

#: Seconds between typing indicators in one channel (Discord shows one for 10 s).
TYPING_EVERY = 8.0
#: Remembered questions for duplicate detection (oldest forgotten first).
MAX_REMEMBERED = 5000


@dataclass(frozen=True)
class Refusal:
    """Why a question is not answered now: ``kind`` is "rate_limit", "busy" or "duplicate"."""

    kind: str
    text: str
    retry_after: float = 0.0


@dataclass
class Asked:
    """A question recently admitted, for pointing a repeat at its answer."""

    question_id: int
    at: float
    link: str | None = None  # the answer's jump URL once delivered


def _seconds(value: float) -> int:
    return max(1, math.ceil(value))


def _window_text(window: float) -> str:
    if window == 60:
        return "minute"
    if window % 60 == 0:
        return f"{window / 60:.0f} minutes"
    return f"{window:g} s"


def question_key(question: str) -> str:
    """Questions that differ only in case, spacing or punctuation are the same question."""
    return " ".join(re.sub(r"[\W_]+", " ", question.casefold()).split())


class SlidingWindow:
    """At most ``limit`` events per ``window`` seconds for each key."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float]) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self.events: dict[int, deque[float]] = {}

    def wait(self, key: int) -> float:
        """Seconds until ``key`` may have another event (0 when it may now)."""
        now = self.clock()
        events = self.events.get(key)
        if events is None:
            return 0.0
        while events and events[0] <= now - self.window:
            events.popleft()
        if not events:
            del self.events[key]
            return 0.0
        return 0.0 if len(events) < self.limit else events[0] + self.window - now

    def add(self, key: int) -> None:
        self.events.setdefault(key, deque()).append(self.clock())


class FloodGate:
    """Decides, for each incoming question, whether it is answered now or refused (and how); ``slots``: answers
    computed at the same time (the bot's ANSWERS_AT_ONCE), for the wait a busy refusal gives."""

    def __init__(self, limits: LimitsSettings, slots: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.slots = max(1, slots)
        self.clock = clock
        self.queue_size = queue_limit(limits)
        self.users = SlidingWindow(limits.user_questions, limits.user_window_s, clock)
        self.channels = SlidingWindow(limits.channel_questions, limits.channel_window_s, clock)
        self.waiting: Counter[Hashable] = Counter()  # admitted, not yet answered, by server (None: DMs)
        self.recent: OrderedDict[tuple[int, str], Asked] = OrderedDict()
        self.answer_seconds = 0.5  # moving average of one answer's own time (slot wait left out), for "try again"

    @property
    def pending(self) -> int:
        """Questions admitted and not yet answered, every server together."""
        return sum(self.waiting.values())

    def admit(self, user_id: int, channel_id: int, question: str, question_id: int,
              server: Hashable = None) -> Refusal | None:
        """None when the question is admitted (call :meth:`done` once it is answered), else the refusal. Each
        server (guild id; None for DMs) has a queue of its own: a flood in one server never makes another busy."""
        key = (user_id, question_key(question))
        asked = self.recent.get(key)
        now = self.clock()
        if asked is not None and now - asked.at <= self.limits.duplicate_window_s and key[1]:
            where = f": {asked.link}" if asked.link else " (my reply to your first message is on its way)"
            return Refusal("duplicate", f"You asked this {_seconds(now - asked.at)} s ago — see my answer{where}")
        wait = self.users.wait(user_id)
        if wait > 0:
            return _rate_limited(self.limits.user_questions, self.limits.user_window_s, "per person", wait)
        wait = self.channels.wait(channel_id)
        if wait > 0:
            return _rate_limited(self.limits.channel_questions, self.limits.channel_window_s, "in this channel", wait)
        pending = self.waiting[server]
        if pending >= self.queue_size:
            wait = self.answer_seconds * pending / self.slots
            return Refusal("busy", f"I'm busy with {pending} questions — try again in {_seconds(wait)} s.", wait)
        self.users.add(user_id)
        self.channels.add(channel_id)
        self.waiting[server] += 1
        self.recent[key] = Asked(question_id, now)
        self.recent.move_to_end(key)
        while len(self.recent) > MAX_REMEMBERED:
            self.recent.popitem(last=False)
        return None

    def done(self, seconds: float | None = None, server: Hashable = None) -> None:
        """An admitted question of ``server`` has been answered (or failed); ``seconds`` is how long computing the
        answer took, its wait for a slot left out (None: unknown)."""
        self.waiting[server] -= 1
        if self.waiting[server] <= 0:
            del self.waiting[server]
        if seconds is not None:
            self.answer_seconds = 0.8 * self.answer_seconds + 0.2 * seconds

    def delivered(self, user_id: int, question: str, link: str | None) -> None:
        """Where the answer to an admitted question is, for pointing repeats at it."""
        asked = self.recent.get((user_id, question_key(question)))
        if asked is not None and link:
            asked.link = link


class ChannelTyping:
    """One 'citebot is typing…' per channel while any question in it is being worked on."""

    def __init__(self, every: float = TYPING_EVERY, pacer: Pacer | None = None) -> None:
        self.every = every
        self.pacer = pacer  # typing counts toward Discord's 50 requests/s like any call
        self.busy: dict[int, int] = {}
        self.tasks: dict[int, asyncio.Task] = {}
        self.sent = 0

    def start(self, channel: discord.abc.Messageable) -> None:
        """A question in ``channel`` is being worked on."""
        cid = channel.id  # type: ignore[attr-defined]
        self.busy[cid] = self.busy.get(cid, 0) + 1
        if cid not in self.tasks:
            self.tasks[cid] = asyncio.ensure_future(self._indicate(channel, cid))

    def stop(self, channel: discord.abc.Messageable) -> None:
        """That question is answered; the indicator stops with the channel's last one."""
        cid = channel.id  # type: ignore[attr-defined]
        left = self.busy.get(cid, 0) - 1
        if left > 0:
            self.busy[cid] = left
            return
        self.busy.pop(cid, None)
        task = self.tasks.pop(cid, None)
        if task is not None:
            task.cancel()

    async def _indicate(self, channel: discord.abc.Messageable, cid: int) -> None:
        while self.busy.get(cid, 0) > 0:
            try:
                if self.pacer is not None:
                    async with self.pacer.slot(None):
                        await channel.typing()  # awaited (not a context manager): one indicator, shown for 10 s
                else:
                    await channel.typing()
                self.sent += 1
            except (TimeoutError, discord.HTTPException, discord.RateLimited, OSError) as exc:
                log.debug("no typing indicator in %s: %s", cid, exc)
            await asyncio.sleep(self.every)


def queue_limit(limits: LimitsSettings) -> int:
    """Questions one server may have waiting for or in an answer slot: ``[limits] queue_size``, or when that is 0
    what delivery can take, the answers one channel can be sent in a minute (Discord's 5 messages per 5 s, each
    carrying up to bot.batching.ANSWERS_PER_MESSAGE answers). The answer slot is freed when the answer is computed,
    before it waits for Discord, so waiting on Discord's rate limit never holds the queue."""
    return limits.queue_size or answers_per_minute()


def _rate_limited(questions: int, window_s: float, scope: str, wait: float) -> Refusal:
    """The refusal for a full rate-limit window: how many questions, per what, and when to try again."""
    return Refusal(
        "rate_limit",
        f"Rate limit: {questions} questions per {_window_text(window_s)} {scope} — try again in {_seconds(wait)} s.",
        wait,
    )
