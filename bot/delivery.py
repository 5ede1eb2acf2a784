"""Replies that arrive exactly once: sends and edits retried through Discord's 5xx and 429 answers, and /ask
acknowledged inside Discord's 3 s.

- A reply to a question message is sent with ``nonce`` = the question's id; discord.py 2.7 then sends
  ``enforce_nonce``, so Discord returns the message it already created instead of a second one when a resend
  follows a 502 that came *after* the message was created.
- discord.py retries a 5xx about five times over ~25 s; beyond that :func:`reply` keeps trying with back-off
  until ``deadline`` seconds have passed, then logs the lost answer at ERROR with the question id.
- :func:`acknowledge` defers an interaction with its own short retries (discord.py would sleep 1 s, then 3 s, or a
  429's whole ``retry_after``, and miss the 3 s window). It never acknowledges late: past the window it gives up,
  logs and counts the loss.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import weakref
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord

from bot.observability import Stats

log = logging.getLogger("citebot.delivery")

NONE = discord.AllowedMentions.none()
#: Discord drops an interaction not acknowledged within 3 s of its creation; we stop trying a little earlier.
ACK_WINDOW_S = 2.8
#: Back-off between attempts of a send or an edit: first delay, growth, cap (seconds).
FIRST_DELAY, GROWTH, MAX_DELAY = 1.0, 2.0, 15.0
#: Discord's "Interaction has already been acknowledged": an earlier attempt of ours got through.
ALREADY_ACKNOWLEDGED = 40060

#: Our own ceiling on REST writes per second (Discord allows 50 over all routes).
WRITES_PER_SECOND = 36.0

RETRYABLE = (aiohttp.ClientError, asyncio.TimeoutError, OSError, discord.RateLimited)


class Pacer:
    """Keeps replies under Discord's limits instead of learning them from 429s: one send at a time per channel
    (so discord.py reads the channel's rate-limit headers before the next one) and at most ``per_second`` writes
    overall. A burst of refusals then costs no 429s, which Discord counts against a bot (10,000 invalid requests in
    10 minutes get it banned for an hour)."""

    def __init__(self, per_second: float = WRITES_PER_SECOND) -> None:
        self.interval = 1.0 / per_second
        self.next_at = 0.0
        self.channels: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()
        self._global: asyncio.Lock | None = None

    @contextlib.asynccontextmanager
    async def slot(self, channel_id: int | None) -> AsyncIterator[None]:
        lock = None
        if channel_id is not None:
            lock = self.channels.get(channel_id)
            if lock is None:
                lock = self.channels[channel_id] = asyncio.Lock()
        async with lock if lock is not None else contextlib.nullcontext():
            if self._global is None:
                self._global = asyncio.Lock()
            async with self._global:
                now = time.monotonic()
                if self.next_at > now:
                    await asyncio.sleep(self.next_at - now)
                self.next_at = max(now, self.next_at) + self.interval
            yield


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, discord.HTTPException):
        return exc.status >= 500 or exc.status == 429
    return isinstance(exc, RETRYABLE)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, discord.HTTPException):
        return f"{exc.status} {exc.text or type(exc).__name__}"[:200]
    return f"{type(exc).__name__}: {exc}"[:200]


async def _with_retries(what: str, attempt, *, deadline_s: float, stats: Stats) -> tuple[Any, BaseException | None]:
    """Call ``attempt()`` until it succeeds, fails for good, or ``deadline_s`` has passed.
    Returns ``(result, None)`` or ``(None, last_error)``."""
    deadline = time.monotonic() + deadline_s
    delay = FIRST_DELAY
    while True:
        try:
            return await attempt(), None
        except Exception as exc:  # noqa: BLE001 - classified below; the caller logs a final failure
            if not _retryable(exc):
                return None, exc
            wait = getattr(exc, "retry_after", None) or delay
            if time.monotonic() + wait > deadline:
                return None, exc
            stats.retries += 1
            log.warning("%s failed (%s); trying again in %.1f s", what, _describe(exc), wait)
            await asyncio.sleep(wait)
            delay = min(delay * GROWTH, MAX_DELAY)


async def reply(
    message: discord.Message,
    *,
    stats: Stats,
    deadline_s: float,
    embed: discord.Embed | None = None,
    content: str | None = None,
    pacer: Pacer | None = None,
    channel: discord.abc.Messageable | None = None,
    view: discord.ui.View | None = None,
    embeds: list[discord.Embed] | None = None,
) -> discord.Message | None:
    """Send the one reply to ``message`` (a reply without a ping; without the reply link when replying is
    forbidden). Retried until delivered or ``deadline_s`` passed; ``None`` (logged at ERROR, counted) when lost.
    ``channel``: send it there instead (e.g. a thread started on ``message``), without the reply link; ``view``:
    buttons under it; ``embeds``: several embeds instead of ``embed`` (replies sent together, bot.batching)."""
    nonce = str(message.id)  # the same on every attempt: Discord creates at most one message with it
    reference = message.to_reference(fail_if_not_exists=False)
    as_reply = channel is None
    target = channel if channel is not None else message.channel

    async def attempt() -> discord.Message:
        nonlocal as_reply
        shown: dict[str, Any] = {"embeds": embeds} if embeds is not None else {"embed": embed}
        kwargs: dict[str, Any] = {**shown, "content": content, "allowed_mentions": NONE, "nonce": nonce}
        if view is not None:
            kwargs["view"] = view
        async with pacer.slot(target.id) if pacer else contextlib.nullcontext():
            if as_reply:
                try:
                    return await target.send(reference=reference, mention_author=False, **kwargs)
                except discord.Forbidden:  # replying needs Read Message History: answer without the reply link
                    as_reply = False
            return await target.send(**kwargs)

    sent, error = await _with_retries(f"reply to question {message.id}", attempt, deadline_s=deadline_s, stats=stats)
    if error is not None:
        where = getattr(message.channel, "name", None) or message.channel.id
        lost(stats, f"answer to question {message.id} in #{where} lost: {_describe(error)}")
    return sent


async def edit_original(
    interaction: discord.Interaction, *, stats: Stats, deadline_s: float, pacer: Pacer | None = None, **changes: Any
) -> discord.Message | None:
    """Edit the (deferred) original response of ``interaction``, retried like :func:`reply` (an edit is
    idempotent). ``None`` when lost (logged at ERROR with the interaction id, counted)."""

    async def attempt() -> discord.InteractionMessage:
        async with pacer.slot(None) if pacer else contextlib.nullcontext():
            return await interaction.edit_original_response(allowed_mentions=NONE, **changes)

    deadline_s = min(deadline_s, 14 * 60.0)  # the interaction token lives 15 minutes
    name = interaction.command.name if interaction.command else "interaction"
    edited, error = await _with_retries(f"/{name} {interaction.id}", attempt, deadline_s=deadline_s, stats=stats)
    if error is not None:
        lost(stats, f"answer to /{name} {interaction.id} lost: {_describe(error)}")
    return edited


def lost(stats: Stats, text: str) -> None:
    """A reply that will never arrive: ERROR in the log, counted and listed in /status."""
    stats.failed_sends += 1
    stats.error(text)
    log.error("%s", text)


async def acknowledge(interaction: discord.Interaction, *, stats: Stats, ephemeral: bool = False) -> bool:
    """Defer ``interaction`` ("citebot is thinking…") within Discord's 3 s, retrying 5xx, 429 and network errors
    quickly; True once acknowledged. Never acknowledges after the window: False (logged, counted) instead."""
    if interaction.response.is_done():
        return True
    started = time.monotonic()
    deadline = started + ACK_WINDOW_S
    url = f"{discord.http.Route.BASE}/interactions/{interaction.id}/{interaction.token}/callback"
    payload: dict[str, Any] = {"type": discord.InteractionResponseType.deferred_channel_message.value}
    if ephemeral:
        payload["data"] = {"flags": 64}
    session: aiohttp.ClientSession = interaction._session  # the client's own session (discord.py's attribute)
    delay, last = 0.1, "no attempt"
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        try:
            async with session.post(url, json=payload, timeout=aiohttp.ClientTimeout(total=min(1.0, left))) as resp:
                body: Any = await resp.text()
                if 200 <= resp.status < 300:
                    return _acknowledged(interaction, started)
                try:
                    body = json.loads(body)
                except ValueError:
                    body = {}
                code = body.get("code") if isinstance(body, dict) else None
                if resp.status == 400 and code == ALREADY_ACKNOWLEDGED:  # an earlier attempt got through
                    return _acknowledged(interaction, started)
                last = f"{resp.status} {body.get('message', '') if isinstance(body, dict) else ''}".strip()
                if resp.status == 429:
                    retry_after = float(body.get("retry_after", delay)) if isinstance(body, dict) else delay
                    wait = retry_after
                elif resp.status >= 500:
                    wait = delay
                else:  # 404 Unknown interaction (expired), 401…: trying again cannot help
                    break
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            last, wait = f"{type(exc).__name__}: {exc}", delay
        if time.monotonic() + wait >= deadline:
            break
        stats.retries += 1
        log.warning("acknowledging interaction %s failed (%s); trying again in %.2f s", interaction.id, last, wait)
        await asyncio.sleep(wait)
        delay = min(delay * 2, 0.4)
    stats.lost_acks += 1
    text = f"/ask {interaction.id} lost: could not acknowledge it within 3 s ({last})"
    stats.error(text)
    log.error("%s", text)
    return False


def _acknowledged(interaction: discord.Interaction, started: float) -> bool:
    """Tell discord.py the interaction is deferred, so later calls edit the original response."""
    interaction.response._response_type = discord.InteractionResponseType.deferred_channel_message
    log.debug("interaction %s acknowledged in %.0f ms", interaction.id, (time.monotonic() - started) * 1000)
    return True
