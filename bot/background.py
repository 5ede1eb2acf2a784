"""The cogs' background jobs (feed polls, daily digests, purging departed servers): a job run every few seconds for
the bot's life, from when it is ready and its library loaded; a round that fails is logged and the next one runs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any


async def every(bot: Any, seconds: float, job: Callable[[], Awaitable[object]], log: logging.Logger,
                what: str) -> None:
    """Await ``job()`` every ``seconds`` once ``bot`` is ready and its library loaded, until the bot closes; a
    failing round is logged to ``log`` as "``what`` failed" with its traceback and never stops the next."""
    await bot.wait_until_ready()
    await bot.library_ready()
    while not bot.is_closed():
        try:
            await job()
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - a background job never dies
            log.exception("%s failed", what)
        await asyncio.sleep(seconds)
