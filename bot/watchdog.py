"""Zombie gateway connections: noticed within ``[discord] heartbeat_timeout_s`` whatever the heartbeat interval.

discord.py's own check counts from the last frame received, and a quiet connection receives one frame per
heartbeat interval (41.25 s on Discord): its timeout cannot go below the interval without false alarms. This watch
asks instead: once nothing has arrived for ``probe_after_s``, it sends an extra heartbeat (Discord acknowledges every
heartbeat; a few a minute are well within the 120 gateway sends a minute), so a live connection is never silent
for much longer than that; nothing for ``timeout_s`` is a zombie: the socket is closed with 4000, and discord.py
resumes the session (Discord then replays what was missed). A stalled event loop (a loaded machine) proves nothing
about the connection, so a late tick starts the count again instead of raising a false alarm.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import discord

log = logging.getLogger("citebot.discord")

TICK_S = 0.5  # how often the watch looks
STALLED_S = 2.0  # a tick this late means the event loop was blocked: frames may be waiting unread
PROBE_AFTER_S = 5.0  # silence before an extra heartbeat is sent (at most a third of the timeout)


class GatewayWatch:
    """Closes a gateway connection that has received nothing for ``timeout_s`` (see the module docstring)."""

    def __init__(self, timeout_s: float, probe_after_s: float = PROBE_AFTER_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.timeout_s = timeout_s
        self.probe_after_s = min(probe_after_s, timeout_s / 3)
        self.clock = clock
        self.last_frame = self.last_probe = clock()
        self.probes = 0
        self.zombies = 0
        self.ws_id: int | None = None

    def heard(self) -> None:
        """A frame arrived (any: an event, a heartbeat acknowledgement)."""
        self.last_frame = self.clock()

    async def run(self, client: discord.Client) -> None:
        """Watch ``client``'s gateway connection until the client closes."""
        last_tick = self.clock()
        while not client.is_closed():
            await asyncio.sleep(TICK_S)
            now = self.clock()
            ws = client.ws
            stalled = now - last_tick > STALLED_S
            last_tick = now
            if ws is None or not ws.open or id(ws) != self.ws_id or stalled:
                self.ws_id = id(ws) if ws is not None else None
                self.heard()  # a new connection, none, or a blocked loop: start counting again
                continue
            quiet = now - self.last_frame
            if quiet >= self.timeout_s:
                self.zombies += 1
                log.warning("nothing from the gateway for %.1f s (a zombie connection): reconnecting", quiet)
                self.heard()
                await ws.close(4000)  # not 1000/1001: discord.py resumes the session
            elif quiet >= self.probe_after_s and now - self.last_probe >= self.probe_after_s:
                self.last_probe = now
                self.probes += 1
                # Through discord.py's keep-alive (its attribute), so the acknowledgement's latency is measured
                # from this heartbeat, not from the last regular one.
                keep_alive = getattr(ws, "_keep_alive", None)
                payload = keep_alive.beat() if keep_alive is not None else {"op": ws.HEARTBEAT, "d": ws.sequence}
                try:
                    await ws.send_heartbeat(payload)
                except (ConnectionError, discord.ConnectionClosed, RuntimeError) as exc:
                    log.debug("probe heartbeat not sent: %s", exc)
