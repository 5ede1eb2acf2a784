"""The gateway watch: probes a quiet connection, closes a silent one, and takes a blocked loop for no alarm."""

from __future__ import annotations

import asyncio
import time

from bot.watchdog import GatewayWatch


class Socket:
    """A gateway connection as the watch sees it (discord.py's DiscordWebSocket surface it uses)."""

    HEARTBEAT = 1

    def __init__(self) -> None:
        self.open, self.sequence, self.closed_with, self.heartbeats = True, 7, None, []

    async def send_heartbeat(self, payload: dict) -> None:
        self.heartbeats.append(payload)

    async def close(self, code: int) -> None:
        self.closed_with, self.open = code, False


class Client:
    def __init__(self) -> None:
        self.ws, self.done = Socket(), False

    def is_closed(self) -> bool:
        return self.done


async def test_a_silent_connection_is_probed_then_closed_for_a_resume() -> None:
    client, watch = Client(), GatewayWatch(timeout_s=2.0)
    task = asyncio.ensure_future(watch.run(client))
    started = time.monotonic()
    while client.ws.closed_with is None and time.monotonic() - started < 6:
        await asyncio.sleep(0.1)
    client.done = True
    await task
    assert client.ws.closed_with == 4000  # not 1000/1001: discord.py resumes
    assert 2.0 <= time.monotonic() - started < 4.0
    assert client.ws.heartbeats and client.ws.heartbeats[0] == {"op": 1, "d": 7}


async def test_a_connection_that_hears_is_kept_and_a_blocked_loop_is_no_alarm() -> None:
    client, watch = Client(), GatewayWatch(timeout_s=2.0)
    task = asyncio.ensure_future(watch.run(client))
    for _ in range(10):  # 3 s of frames arriving
        watch.heard()
        await asyncio.sleep(0.3)
    await asyncio.sleep(0.6)
    time.sleep(2.5)  # the event loop blocked longer than the timeout: frames would be waiting unread
    await asyncio.sleep(0.7)  # the late tick restarted the count
    client.done = True
    await task
    assert client.ws.closed_with is None
