"""The gateway watch: probes a quiet shard, closes a silent one alone, and takes a blocked loop for no alarm."""

from __future__ import annotations

import asyncio
import itertools
import time

from bot.watchdog import GatewayWatch

ACK_LATENCIES = itertools.count(1)


class Socket:
    """A shard's gateway connection as the watch sees it (discord.py's DiscordWebSocket surface it uses): a live
    one acknowledges every heartbeat (its latency changes), a zombie nothing."""

    HEARTBEAT = 1

    def __init__(self, *, zombie: bool = False) -> None:
        self.open, self.sequence, self.latency, self.zombie = True, 7, 0.04, zombie
        self.closed_with: int | None = None
        self.heartbeats: list[dict] = []

    def event(self) -> None:
        """An event arrived: the sequence number moves."""
        self.sequence += 1

    async def send_heartbeat(self, payload: dict) -> None:
        self.heartbeats.append(payload)
        if not self.zombie:
            self.latency = 0.001 * next(ACK_LATENCIES)  # the acknowledgement measured a new latency

    async def close(self, code: int) -> None:
        self.closed_with, self.open = code, False


class Client:
    """An auto-sharded client: each shard's socket by shard id."""

    def __init__(self, *sockets: Socket) -> None:
        self.sockets, self.done = dict(enumerate(sockets)), False

    def gateway_sockets(self) -> dict[int, Socket]:
        return self.sockets

    def is_closed(self) -> bool:
        return self.done


async def watching(client: Client, watch: GatewayWatch, until, limit_s: float) -> float:
    """Run the watch until ``until()`` holds (or ``limit_s``); returns the seconds it took."""
    task = asyncio.ensure_future(watch.run(client))
    started = time.monotonic()
    while not until() and time.monotonic() - started < limit_s:
        await asyncio.sleep(0.1)
    took = time.monotonic() - started
    client.done = True
    await task
    return took


async def test_a_silent_connection_is_probed_then_closed_for_a_resume() -> None:
    socket = Socket(zombie=True)
    client, watch = Client(socket), GatewayWatch(timeout_s=2.0)
    took = await watching(client, watch, lambda: socket.closed_with is not None, 6)
    assert socket.closed_with == 4000  # not 1000/1001: discord.py resumes
    assert 2.0 <= took < 4.0
    assert socket.heartbeats and socket.heartbeats[0] == {"op": 1, "d": 7}
    assert watch.zombies == 1


async def test_a_connection_that_hears_is_kept_and_a_blocked_loop_is_no_alarm() -> None:
    socket = Socket(zombie=True)  # only events tell the watch it lives
    client, watch = Client(socket), GatewayWatch(timeout_s=2.0)
    task = asyncio.ensure_future(watch.run(client))
    for _ in range(10):  # 3 s of events arriving
        socket.event()
        await asyncio.sleep(0.3)
    await asyncio.sleep(0.6)
    time.sleep(2.5)  # the event loop blocked longer than the timeout: frames would be waiting unread
    await asyncio.sleep(0.7)  # the late tick restarted the count
    client.done = True
    await task
    assert socket.closed_with is None


async def test_a_quiet_live_connection_is_kept_alive_by_acknowledged_probes() -> None:
    socket = Socket()  # no events at all, but it acknowledges the probes
    client, watch = Client(socket), GatewayWatch(timeout_s=1.5)
    await watching(client, watch, lambda: False, 5.0)
    assert socket.closed_with is None
    assert len(socket.heartbeats) >= 3 and watch.probes == len(socket.heartbeats)


async def test_only_the_zombie_shard_is_closed_and_its_new_connection_is_watched_afresh() -> None:
    live, zombie = Socket(), Socket(zombie=True)
    client, watch = Client(live, zombie), GatewayWatch(timeout_s=1.5)
    task = asyncio.ensure_future(watch.run(client))
    started = time.monotonic()
    while zombie.closed_with is None and time.monotonic() - started < 5:
        await asyncio.sleep(0.1)
    assert zombie.closed_with == 4000 and live.closed_with is None
    assert watch.shards[1].zombies == 1 and watch.shards[0].zombies == 0
    assert live.heartbeats and zombie.heartbeats  # both were probed; only one answered
    resumed = Socket()  # discord.py's resume gives shard 1 a new socket
    client.sockets[1] = resumed
    await asyncio.sleep(3.0)  # two timeouts: the new socket acknowledges its probes, the live one too
    client.done = True
    await task
    assert resumed.closed_with is None and live.closed_with is None
    assert resumed.heartbeats and watch.zombies == 1


async def test_a_shard_that_goes_away_is_forgotten() -> None:
    first, second = Socket(), Socket()
    client, watch = Client(first, second), GatewayWatch(timeout_s=1.5)
    task = asyncio.ensure_future(watch.run(client))
    await asyncio.sleep(1.2)
    assert set(watch.shards) == {0, 1}
    del client.sockets[1]
    await asyncio.sleep(1.2)
    client.done = True
    await task
    assert set(watch.shards) == {0}
