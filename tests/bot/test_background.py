"""A cog's background job starts once the bot is ready and its library loaded, runs every N seconds, survives a
failing round (logged with its traceback) and stops when the bot closes."""

from __future__ import annotations

import asyncio
import logging

from bot.background import every

log = logging.getLogger("citebot.test")


class Bot:
    """The three things ``every`` asks of the bot: ready, library loaded, closed."""

    def __init__(self) -> None:
        self.ready, self.loaded, self.closed = asyncio.Event(), asyncio.Event(), False

    async def wait_until_ready(self) -> None:
        await self.ready.wait()

    async def library_ready(self) -> None:
        await self.loaded.wait()

    def is_closed(self) -> bool:
        return self.closed


async def test_a_job_waits_for_start_up_survives_a_failure_and_stops_with_the_bot(caplog) -> None:
    bot, rounds = Bot(), []

    async def job() -> None:
        rounds.append(len(rounds))
        if len(rounds) == 1:
            raise ValueError("feed server down")
        if len(rounds) == 3:
            bot.closed = True

    task = asyncio.ensure_future(every(bot, 0.01, job, log, "polling"))
    bot.ready.set()
    await asyncio.sleep(0.05)
    assert rounds == []  # the library is not loaded yet
    bot.loaded.set()
    await asyncio.wait_for(task, 2)
    assert rounds == [0, 1, 2]
    (record,) = caplog.records
    assert record.getMessage() == "polling failed" and record.exc_info[0] is ValueError
