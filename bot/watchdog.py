"""Zombie gateway connections: noticed within ``[discord] heartbeat_timeout_s`` whatever the heartbeat interval,
one shard at a time.

discord.py's own check counts from the last frame received, and a quiet connection receives one frame per
heartbeat interval (41.25 s on Discord): its timeout cannot go below the interval without false alarms. This watch
asks instead: once a shard's connection has received nothing for ``probe_after_s``, it sends that connection an
extra heartbeat (Discord acknowledges every heartbeat; a few a minute are well within the 120 gateway sends a
minute), so a live connection is never silent for much longer than that; nothing for ``timeout_s`` is a zombie: that
shard's socket alone is closed with 4000, and discord.py resumes its session (Discord then replays what was missed)
while the other shards keep answering. A stalled event loop (a loaded machine) proves nothing about the connections,
so a late tick starts every count again instead of raising a false alarm.

A frame is noticed per connection from what discord.py's socket shows of it: its sequence number moves with every
event, its latency with every heartbeat acknowledgement (``on_socket_raw_receive`` does not say which shard a frame
came on).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import discord

log = logging.getLogger("citebot.discord")

TICK_S = 0.5  # how often the watch looks
STALLED_S = 2.0  # a tick this late means the event loop was blocked: frames may be waiting unread
PROBE_AFTER_S = 5.0  # silence before an extra heartbeat is sent (at most a third of the timeout)


class Watched(Protocol):
    """What the watch needs of the client: whether it has closed, and each shard's gateway socket."""

    def is_closed(self) -> bool: ...

    def gateway_sockets(self) -> Mapping[int, Any]: ...


@dataclass
class ShardWatch:
    """What the watch knows of one shard's connection."""

    socket_id: int | None = None
    mark: tuple[Any, Any] = (None, None)  # (sequence, latency) when last looked at
    last_frame: float = 0.0
    last_probe: float = 0.0
    probes: int = 0
    zombies: int = 0


@dataclass
class GatewayWatch:
    """Closes any shard's gateway connection that has received nothing for ``timeout_s`` (see the module
    docstring)."""

    timeout_s: float
    probe_after_s: float = PROBE_AFTER_S
    clock: Callable[[], float] = time.monotonic
    shards: dict[int, ShardWatch] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.probe_after_s = min(self.probe_after_s, self.timeout_s / 3)

    @property
    def probes(self) -> int:
        return sum(s.probes for s in self.shards.values())

    @property
    def zombies(self) -> int:
        return sum(s.zombies for s in self.shards.values())

    async def run(self, client: Watched) -> None:
        """Watch each of ``client``'s gateway connections until the client closes."""
        last_tick = self.clock()
        while not client.is_closed():
            await asyncio.sleep(TICK_S)
            now = self.clock()
            stalled = now - last_tick > STALLED_S
            last_tick = now
            sockets = dict(client.gateway_sockets())
            for shard_id in set(self.shards) - set(sockets):
                del self.shards[shard_id]
            for shard_id, ws in sockets.items():
                await self.check(shard_id, ws, now, stalled)

    async def check(self, shard_id: int, ws: Any, now: float, stalled: bool) -> None:
        """One look at one shard's connection: probe it when quiet, close it when silent too long."""
        watch = self.shards.setdefault(shard_id, ShardWatch())
        mark = (None, None) if ws is None else (ws.sequence, ws.latency)
        if ws is None or not ws.open or id(ws) != watch.socket_id or stalled or mark != watch.mark:
            # A frame arrived, or a new connection, none, or a blocked loop: start counting again.
            watch.socket_id, watch.mark, watch.last_frame = (None if ws is None else id(ws)), mark, now
            return
        quiet = now - watch.last_frame
        if quiet >= self.timeout_s:
            watch.zombies += 1
            watch.last_frame = now
            log.warning("nothing from the gateway on shard %s for %.1f s (a zombie connection): reconnecting it",
                        shard_id, quiet)
            await ws.close(4000)  # not 1000/1001: discord.py resumes the session
        elif quiet >= self.probe_after_s and now - watch.last_probe >= self.probe_after_s:
            watch.last_probe = now
            watch.probes += 1
            # Through discord.py's keep-alive (its attribute), so the acknowledgement's latency is measured from
            # this heartbeat, not from the last regular one.
            keep_alive = getattr(ws, "_keep_alive", None)
            payload = keep_alive.beat() if keep_alive is not None else {"op": ws.HEARTBEAT, "d": ws.sequence}
            try:
                await ws.send_heartbeat(payload)
            except (ConnectionError, discord.ConnectionClosed, RuntimeError) as exc:
                log.debug("probe heartbeat on shard %s not sent: %s", shard_id, exc)
