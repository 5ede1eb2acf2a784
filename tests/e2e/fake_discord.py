"""A local, faithful-enough fake of Discord (REST v10 + Gateway v10, JSON) for end-to-end tests.

The real discord.py client talks to it over plain HTTP and WebSocket on 127.0.0.1. It answers what a
bot needs (login, command sync, gateway session, messages, typing, interaction callbacks, follow-ups and
edits) and it rejects what Discord rejects (over-long content and embeds, empty messages, a second
acknowledgement, follow-ups before the acknowledgement, acknowledgements later than 3 s). Everything it does
not know, and every rejection, is recorded in :attr:`FakeDiscord.errors` so a test fails unless expected.

Point a client at it, in that client's process and before login::

    discord.http.Route.BASE = f"{fake.base_url}/api/v10"
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)

Test-side API: :meth:`FakeDiscord.send_message` (a user or bot posts, a MESSAGE_CREATE is dispatched),
:meth:`FakeDiscord.invoke` (a slash command, an INTERACTION_CREATE is dispatched), :meth:`FakeDiscord.autocomplete`
(a user types in an autocomplete option; the bot answers with choices), :meth:`FakeDiscord.click` (a user presses a
button the bot put on a message: a MESSAGE_COMPONENT interaction, answered with type 7 UPDATE_MESSAGE, 6
DEFERRED_UPDATE_MESSAGE, or 4/5) and the ``wait_*`` helpers. Ephemeral messages are kept (:attr:`FakeDiscord.ephemeral`)
so their buttons can be pressed, by the user they were shown to only; the bot may open DM channels
(:meth:`FakeDiscord.dm_channel_of`).

Sharding: GET /gateway/bot recommends :attr:`FakeDiscord.shards` shards (1 unless a test sets more); each
connection's IDENTIFY names its ``[shard_id, num_shards]`` and gets only its guilds' events (READY, GUILD_CREATE,
messages, interactions…), ``(guild_id >> 22) % num_shards``, DMs on shard 0, as on Discord.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import itertools
import json
import math
import random
import re
import threading
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import EllipsisType
from typing import Any, ClassVar, ParamSpec, TypeVar

from aiohttp import WSMsgType, web

DISCORD_EPOCH_MS = 1420070400000
API_PREFIX = "/api/v10"

# Interaction types and the callback type that answers autocomplete.
INTERACTION_COMMAND, INTERACTION_COMPONENT, INTERACTION_AUTOCOMPLETE = 2, 3, 4
CALLBACK_MESSAGE, CALLBACK_DEFERRED_MESSAGE, CALLBACK_DEFERRED_UPDATE, CALLBACK_UPDATE_MESSAGE = 4, 5, 6, 7
CALLBACK_AUTOCOMPLETE_RESULT = 8
COMPONENT_ACTION_ROW, COMPONENT_BUTTON = 1, 2
MAX_ACTION_ROWS, MAX_ROW_BUTTONS, BUTTON_LABEL_LIMIT, CUSTOM_ID_LIMIT = 5, 5, 80, 100

# Gateway opcodes and intents that matter here.
OP_DISPATCH, OP_HEARTBEAT, OP_IDENTIFY, OP_PRESENCE, OP_RESUME = 0, 1, 2, 3, 6
OP_INVALID_SESSION, OP_HELLO, OP_HEARTBEAT_ACK = 9, 10, 11
INTENT_GUILDS = 1 << 0
INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_PRESENCES = 1 << 8
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_DIRECT_MESSAGES = 1 << 12
INTENT_MESSAGE_CONTENT = 1 << 15

# Permission bits used by tests.
PERM_ADMINISTRATOR = 1 << 3
PERM_MANAGE_GUILD = 1 << 5
PERM_VIEW_CHANNEL = 1 << 10
PERM_SEND_MESSAGES = 1 << 11
PERM_EMBED_LINKS = 1 << 14
PERM_READ_HISTORY = 1 << 16
PERM_USE_APP_COMMANDS = 1 << 31
ALL_PERMISSIONS = (1 << 51) - 1
MEMBER_PERMISSIONS = (
    PERM_VIEW_CHANNEL | PERM_SEND_MESSAGES | PERM_EMBED_LINKS | PERM_READ_HISTORY | PERM_USE_APP_COMMANDS
)

FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7

# Discord's documented limits.
CONTENT_LIMIT = 2000
MAX_EMBEDS = 10
EMBED_TOTAL = 6000
EMBED_LIMITS = {"title": 256, "description": 4096}
MAX_FIELDS = 25
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
AUTHOR_LIMIT = 256
MAX_CHOICES = 25
CHOICE_NAME_LIMIT = 100
CHOICE_STRING_LIMIT = 100
ACK_DEADLINE_S = 3.0
TOKEN_LIFETIME_S = 15 * 60

COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")
OPTION_TYPES = {str: 3, int: 4, bool: 5, float: 10}
OPTION_CHANNEL = 7  # given by the test as the channel's id; sent with the channel in data.resolved
MENTION = re.compile(r"<@!?(\d+)>")


P = ParamSpec("P")
R = TypeVar("R")


def on_fake_loop(method: Callable[P, Coroutine[Any, Any, R]]) -> Callable[P, Coroutine[Any, Any, R]]:
    """Run a public coroutine method on the fake's own event loop, from whichever loop awaits it.

    The fake may run in a background thread (so it keeps answering heartbeats between tests); test code in
    another loop can still ``await fake.invoke(...)``.
    """

    @functools.wraps(method)
    async def hop(*args: P.args, **kwargs: P.kwargs) -> R:
        owner = args[0]
        fake = owner if isinstance(owner, FakeDiscord) else owner.fake  # type: ignore[attr-defined]
        loop = fake._loop
        if loop is None or loop is asyncio.get_running_loop():
            return await method(*args, **kwargs)
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(method(*args, **kwargs), loop))

    return hop


class Reject(Exception):
    """Raised inside a handler: answer like Discord does and record the rejection."""

    def __init__(self, status: int, code: int, message: str, errors: dict | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.errors = status, code, message, errors

    def body(self) -> dict:
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors is not None:
            body["errors"] = self.errors
        return body


def _form_error(path: list[str], code: str, message: str) -> Reject:
    """A 50035 Invalid Form Body with Discord's nested ``errors`` shape."""
    errors: dict = {"_errors": [{"code": code, "message": message}]}
    for key in reversed(path):
        errors = {key: errors}
    return Reject(400, 50035, "Invalid Form Body", errors)


def _optional_str(value: Any) -> str | None:
    """Discord returns permission bitfields as strings, whatever the client sent."""
    return None if value is None else str(value)


@dataclass
class FakeError:
    """Something the bot did that Discord would not accept, or that the fake does not know."""

    kind: str  # "unknown_route", "rejected", "late_heartbeat", "unacknowledged", "gateway"
    detail: str
    method: str = ""
    path: str = ""

    def __str__(self) -> str:
        where = f" {self.method} {self.path}" if self.method else ""
        return f"[{self.kind}]{where}: {self.detail}"


@dataclass
class Sent:
    """One write the bot made: a message, a typing indicator, an interaction callback, a follow-up or edit."""

    kind: str  # "message", "typing", "callback", "followup", "edit", "delete", "presence", "thread"
    payload: dict
    channel_id: int | None = None
    message: dict | None = None
    interaction_id: int | None = None
    at: float = field(default_factory=time.monotonic)


@dataclass
class FakeInteraction:
    """Server-side state of one dispatched interaction, plus waiting helpers for the test."""

    fake: FakeDiscord
    id: int
    token: str
    name: str
    channel_id: int
    created: float
    payload: dict
    response_type: int | None = None
    acked_at: float | None = None
    ephemeral: bool = False
    original: dict | None = None
    followups: list[dict] = field(default_factory=list)
    edits: list[dict] = field(default_factory=list)  # each PATCH body, in order
    choices: list[dict] | None = None  # an autocomplete interaction's answer
    late_reported: bool = False
    component_message: dict | None = None  # a button click's message (what type 6/7 and @original update)

    @on_fake_loop
    async def wait_ack(self, timeout: float = 10.0) -> Sent:
        """The interaction callback (type 4 or 5)."""
        return await self.fake.wait_for(lambda s: s.kind == "callback" and s.interaction_id == self.id, timeout=timeout)

    @on_fake_loop
    async def wait_choices(self, timeout: float = 10.0) -> list[dict]:
        """The choices an autocomplete interaction was answered with (callback type 8)."""
        await self.wait_ack(timeout=timeout)
        assert self.choices is not None
        return self.choices

    @on_fake_loop
    async def wait_original(self, predicate: Callable[[dict], bool], timeout: float = 30.0) -> dict:
        """Wait until the original response message satisfies ``predicate`` (after a callback or an edit)."""
        await self.fake.wait_for(
            lambda s: (
                s.interaction_id == self.id
                and s.kind in ("callback", "edit")
                and self.original is not None
                and predicate(self.original)
            ),
            timeout=timeout,
        )
        assert self.original is not None
        return self.original

    @on_fake_loop
    async def wait_answer(self, timeout: float = 60.0) -> dict:
        """The original response once it carries content or embeds (no longer 'thinking')."""
        return await self.wait_original(lambda m: not m["flags"] & FLAG_LOADING, timeout=timeout)

    @on_fake_loop
    async def wait_followup(self, predicate: Callable[[dict], bool] = lambda m: True, timeout: float = 30.0) -> dict:
        """A follow-up message of this interaction that satisfies ``predicate``."""
        sent = await self.fake.wait_for(
            lambda s: s.kind == "followup" and s.interaction_id == self.id and predicate(s.message or {}),
            timeout=timeout,
        )
        assert sent.message is not None
        return sent.message


BACKLOG = 1000  # dispatches kept per session for RESUME


class GatewaySession:
    """One client WebSocket connection."""

    def __init__(self, ws: web.WebSocketResponse, interval_ms: int) -> None:
        self.ws = ws
        self.interval_ms = interval_ms
        self.session_id = f"fake-session-{id(self):x}"
        self.seq = 0
        self.intents = 0
        self.ready = False
        self.last_heartbeat = time.monotonic()
        self.heartbeats = 0
        self.max_gap = 0.0  # longest wait between heartbeats once READY (the interval plus loop delays)
        self.overdue_reported = False
        self.zombie = False  # a test switch: heartbeats are no longer acknowledged and nothing is sent
        self.pending_identify: asyncio.Future | None = None  # an IDENTIFY held by FakeDiscord.hold_ready
        self.backlog: list[dict] = []  # dispatches sent (or lost in a zombie), replayed on RESUME like Discord
        self.shard = (0, 1)  # [shard_id, num_shards] from IDENTIFY
        self.lock = asyncio.Lock()

    def serves(self, guild_id: int | None) -> bool:
        """Whether this connection carries ``guild_id``'s events (None: a DM, carried by shard 0), by Discord's
        rule ``shard_id = (guild_id >> 22) % num_shards``."""
        shard_id, count = self.shard
        return shard_id == (0 if guild_id is None else (int(guild_id) >> 22) % count)

    async def send(self, op: int, data: Any, event: str | None = None) -> None:
        """Send one plain-text JSON frame (the client decompresses binary frames only)."""
        async with self.lock:
            frame: dict[str, Any] = {"op": op, "d": data, "s": None, "t": None}
            if op == OP_DISPATCH:
                self.seq += 1
                frame["s"], frame["t"] = self.seq, event
                self.backlog.append(frame)
                del self.backlog[:-BACKLOG]
            if not self.ws.closed and not self.zombie:
                await self.ws.send_str(json.dumps(frame))


class FakeDiscord:
    """The emulator. ``await start()`` (or ``start_in_thread()``), point a client at it, drive it, close it."""

    live: ClassVar[set[FakeDiscord]] = set()  # started and not closed: checked after every test

    def __init__(
        self,
        *,
        token: str = "fake-bot-token",
        message_content_enabled: bool = True,
        heartbeat_interval_ms: int = 41250,
        heartbeat_grace_s: float = 5.0,
        ack_deadline_s: float = ACK_DEADLINE_S,
        channel_names: tuple[str, ...] = ("general", "ask-the-news"),
        shards: int = 1,
    ) -> None:
        self.token = token
        self.shards = shards  # the shard count GET /gateway/bot recommends (set it before the bot connects)
        self.message_content_enabled = message_content_enabled
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.heartbeat_grace_s = heartbeat_grace_s
        self.ack_deadline_s = ack_deadline_s
        self._ids = itertools.count(1)
        self.app_id = self.snowflake()
        self.users: dict[int, dict] = {}
        self.bot_user = {
            "id": str(self.app_id),
            "username": "citebot",
            "global_name": None,
            "discriminator": "0",
            "avatar": None,
            "bot": True,
            "verified": True,
            "flags": 0,
            "mfa_enabled": False,
        }
        self.owner = self.add_user("owner")
        self.guild_id = self.snowflake(shard=0)
        self.channels: dict[int, dict] = {}
        for position, name in enumerate(channel_names):
            cid = self.snowflake()
            self.channels[cid] = {
                "id": str(cid),
                "type": 0,
                "guild_id": str(self.guild_id),
                "name": name,
                "position": position,
                "permission_overwrites": [],
                "nsfw": False,
                "parent_id": None,
                "topic": None,
                "last_message_id": None,
                "rate_limit_per_user": 0,
            }
        self.roles: dict[int, dict] = {}
        self.guild_names: dict[int, str] = {self.guild_id: "Fake Newsroom"}  # every guild the bot is in
        self.left_guilds: list[int] = []  # guilds the bot left itself (DELETE /users/@me/guilds/{id})
        self.role_guild: dict[int, int] = {}  # role id -> its guild
        self._add_role_payload(self.guild_id, "@everyone", MEMBER_PERMISSIONS)
        self.messages: dict[int, dict] = {}
        self.threads: dict[int, dict] = {}  # public threads started on a message (POST .../messages/{id}/threads)
        self.ephemeral: dict[int, dict] = {}  # ephemeral messages (seen by one user only; their buttons still work)
        self.dm_channels: dict[int, dict] = {}  # DM channels the bot opened (POST /users/@me/channels)
        self.global_commands: dict[str, dict] = {}
        self.guild_commands: dict[int, dict[str, dict]] = {}
        self.command_syncs: list[tuple[int | None, list[dict]]] = []
        self.interactions: dict[int, FakeInteraction] = {}
        self._by_token: dict[str, FakeInteraction] = {}
        self.sessions: list[GatewaySession] = []
        self.identify_payloads: list[dict] = []
        self.presences: list[dict] = []
        self.sent: list[Sent] = []
        self.requests: list[tuple[str, str]] = []
        self.history_requests: list[tuple[int, dict]] = []  # (channel id, query) of each GET .../messages
        self.errors: list[FakeError] = []
        # Load and fault switches (off by default; see "limits and faults" below) and what they did.
        self.channel_limit: tuple[int, float] | None = None  # (sends, seconds) per channel, like Discord's 5/5 s
        self.global_limit: int | None = None  # requests per second over all routes, like Discord's 50/s
        self._channel_sends: dict[int, deque[float]] = {}
        self._requests_1s: deque[float] = deque()
        self._fail_until = 0.0
        self._fail_status = 502
        self._fail_after_create = False
        self._send_faults: deque[tuple[int, float]] = deque()  # (status, retry_after) for the next sends
        self._ack_faults: tuple[float, tuple[int, ...], float, random.Random] | None = None
        self._nonces: dict[tuple[int, str], dict] = {}
        self._known_sessions: dict[str, tuple[int, int]] = {}  # session_id -> (seq, intents), for RESUME
        self._session_shards: dict[str, tuple[int, int]] = {}  # session_id -> its [shard_id, num_shards]
        self._backlogs: dict[str, list[dict]] = {}  # session_id -> its dispatches, replayed on RESUME
        self.replayed = 0  # dispatches replayed on RESUME
        self.faults = Counter()  # what the switches served: "502", "429-channel", "429-global", "nonce-hit", …
        self.ready_at: list[tuple[float, str]] = []  # (monotonic time, "READY" or "RESUMED")
        self.hold_ready = False  # a test switch: IDENTIFY waits (no READY) while set, so the bot stays away
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._monitor: asyncio.Task | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # ----------------------------------------------------------------- lifecycle

    async def start(self) -> FakeDiscord:
        """Listen on 127.0.0.1 at a random free port, on the running event loop."""
        self._loop = asyncio.get_running_loop()
        self._changed = asyncio.Condition()
        app = web.Application(middlewares=[self._middleware], client_max_size=64 * 1024 * 1024)
        app.router.add_get("/", self._gateway)
        app.router.add_route("*", "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._monitor = asyncio.create_task(self._watch())
        FakeDiscord.live.add(self)
        return self

    def start_in_thread(self, timeout: float = 10.0) -> FakeDiscord:
        """Run the fake on its own event loop in a daemon thread, independent of the tests' loops."""
        loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=loop.run_forever, name="fake-discord", daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.start(), loop).result(timeout)
        return self

    def run_sync(self, awaitable: Awaitable[R], timeout: float | None = None) -> R:
        """From plain (non-async) code, e.g. a sync fixture: run a coroutine on the fake's thread and wait."""
        assert self._thread is not None and self._loop is not None, "use start_in_thread() first"

        async def wrapper() -> R:
            return await awaitable

        return asyncio.run_coroutine_threadsafe(wrapper(), self._loop).result(timeout)

    def stop_thread(self) -> None:
        """Close the fake and stop its thread (after ``start_in_thread``)."""
        if self._thread is None or self._loop is None:
            return
        self.run_sync(self.close(), timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._thread = None

    def assert_clean(self) -> None:
        """Fail with every recorded error (unknown routes, rejections, late heartbeats, unanswered
        interactions) since the last check; the e2e conftest calls it after each test."""
        self.check_interactions()
        errors = self.take_errors()
        if errors:
            raise AssertionError("the fake Discord recorded errors:\n  " + "\n  ".join(map(str, errors)))

    @on_fake_loop
    async def close(self) -> None:
        """Stop listening; open gateway sessions are closed with 1001 (going away)."""
        FakeDiscord.live.discard(self)
        if self._monitor:
            self._monitor.cancel()
        for session in list(self.sessions):
            await session.ws.close(code=1001)
        if self._runner:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        """What CITEBOT_DISCORD_API_BASE is set to: ``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        return self.base_url + API_PREFIX

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    # ----------------------------------------------------------------- limits and faults (load and fault tests)

    def enable_rate_limits(self, per_channel: tuple[int, float] = (5, 5.0), global_per_s: int = 50) -> None:
        """Discord-like limits: ``per_channel`` = (sends, seconds) per channel with X-RateLimit headers, and
        ``global_per_s`` requests per second over every route; over either, a 429 with ``retry_after``."""
        self.channel_limit, self.global_limit = per_channel, global_per_s

    def fail_rest(self, seconds: float, status: int = 502, *, after_success: bool = False) -> None:
        """For ``seconds``, every REST call answers ``status``; with ``after_success`` the call is carried out
        first (a message is created) and only the answer is lost, as when a gateway in front of Discord fails."""
        self._fail_until = time.monotonic() + seconds
        self._fail_status, self._fail_after_create = status, after_success

    def fail_next_sends(self, count: int, status: int = 429, retry_after: float = 1.0) -> None:
        """The next ``count`` message sends answer ``status`` (a 429 with ``retry_after``) instead."""
        self._send_faults.extend([(status, retry_after)] * count)

    def flaky_acks(self, probability: float, statuses: tuple[int, ...] = (500, 429), retry_after: float = 0.25,
                   seed: int = 7) -> None:
        """Interaction acknowledgements fail at random (``probability``) with one of ``statuses``."""
        self._ack_faults = (probability, statuses, retry_after, random.Random(seed)) if probability else None

    @on_fake_loop
    async def gateway_fault(self, kind: str, *, shard: int | None = None) -> float:
        """Break the live gateway session(s) (only shard ``shard``'s, when given): "close-1000", "close-1001",
        "close-4000", "reconnect" (op 7), "invalid-session" (op 9, not resumable) or "zombie" (heartbeats no
        longer acknowledged). Returns the monotonic time of the fault, for :meth:`wait_recovered`."""
        at = time.monotonic()
        for session in self._live_sessions():
            if shard is not None and session.shard[0] != shard:
                continue
            if kind.startswith("close-"):
                await session.ws.close(code=int(kind.removeprefix("close-")))
            elif kind == "reconnect":
                await session.send(7, None)
            elif kind == "invalid-session":
                await session.send(OP_INVALID_SESSION, False)
            elif kind == "zombie":
                session.zombie = True
            else:
                raise ValueError(kind)
        return at

    @on_fake_loop
    async def wait_recovered(self, since: float, timeout: float = 120.0) -> float:
        """Seconds from ``since`` until a new session was READY or RESUMED and is live."""
        await self.wait_for_condition(
            lambda: any(t > since for t, _ in self.ready_at)
            and any(s.ready and not s.zombie and not s.ws.closed for s in self.sessions),
            timeout=timeout,
        )
        return next(t for t, _ in self.ready_at if t > since) - since

    # ----------------------------------------------------------------- world building

    def snowflake(self, shard: int | None = None) -> int:
        """A real-looking snowflake: creation time in the high bits, a counter in the low ones. ``shard``: a
        guild id that falls on that shard of :attr:`shards` (its time moved up to ``shards - 1`` ms later)."""
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        if shard is not None:
            ms += (shard - ms) % self.shards
        return (ms << 22) | (next(self._ids) & 0xFFF)

    def shard_of(self, guild_id: int | None) -> int:
        """The shard that carries ``guild_id``'s events (None: DMs, shard 0), for :attr:`shards` shards."""
        return 0 if guild_id is None else (int(guild_id) >> 22) % self.shards

    def add_user(self, name: str, *, bot: bool = False) -> dict:
        """A user the test can post as. Returns the user payload."""
        user = {
            "id": str(self.snowflake()),
            "username": name,
            "global_name": name.title(),
            "discriminator": "0",
            "avatar": None,
            "bot": bot,
            "public_flags": 0,
        }
        self.users[int(user["id"])] = user
        return user

    def _add_role_payload(self, rid: int, name: str, permissions: int, guild_id: int | None = None) -> dict:
        self.role_guild[rid] = guild_id or self.guild_id
        role = {
            "id": str(rid),
            "name": name,
            "permissions": str(permissions),
            "position": len(self.roles),
            "color": 0,
            "hoist": False,
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }
        self.roles[rid] = role
        return role

    def add_role(self, name: str, permissions: int = 0, guild_id: int | None = None) -> int:
        """A role of the guild ``guild_id`` (default: the first guild); returns its id."""
        rid = self.snowflake()
        self._add_role_payload(rid, name, permissions, guild_id)
        return rid

    def add_guild(self, name: str, channel_names: tuple[str, ...] = ("general",), *, shard: int | None = None) -> int:
        """Another guild the bot is in (before it connects: READY lists it, a GUILD_CREATE describes it), with its
        own @everyone role and text channels (names must differ from other guilds' for :meth:`channel_id`);
        ``shard``: its id falls on that shard."""
        gid = self.snowflake(shard=shard)
        self.guild_names[gid] = name
        self._add_role_payload(gid, "@everyone", MEMBER_PERMISSIONS, gid)
        for position, channel in enumerate(channel_names):
            cid = self.snowflake()
            self.channels[cid] = {
                "id": str(cid), "type": 0, "guild_id": str(gid), "name": channel, "position": position,
                "permission_overwrites": [], "nsfw": False, "parent_id": None, "topic": None,
                "last_message_id": None, "rate_limit_per_user": 0,
            }
        return gid

    @on_fake_loop
    async def remove_guild(self, guild_id: int) -> None:
        """The bot is kicked from (or its owner deletes) ``guild_id``: GUILD_DELETE without ``unavailable``, as
        Discord sends it, and the guild is gone from later READYs."""
        del self.guild_names[int(guild_id)]
        for session in self._live_sessions(int(guild_id)):
            if session.intents & INTENT_GUILDS:
                await session.send(OP_DISPATCH, {"id": str(guild_id)}, "GUILD_DELETE")

    @on_fake_loop
    async def join_guild(self, name: str, channel_names: tuple[str, ...] = ("general",), *,
                         shard: int | None = None) -> int:
        """Someone invites the running bot to a new guild: GUILD_CREATE without ``unavailable``, as Discord sends a
        join (discord.py's ``on_guild_join``; with ``unavailable: false`` it would be an outage's end)."""
        gid = self.add_guild(name, channel_names, shard=shard)
        payload = {k: v for k, v in self._guild_payload(gid).items() if k != "unavailable"}
        for session in self._live_sessions(gid):
            if session.intents & INTENT_GUILDS:
                await session.send(OP_DISPATCH, payload, "GUILD_CREATE")
        return gid

    async def _leave_guild(self, request: web.Request, gid: str) -> web.Response:
        """DELETE /users/@me/guilds/{id}: the bot leaves; GUILD_DELETE follows, as on Discord."""
        self._check_auth(request)
        if int(gid) not in self.guild_names:
            return self._json({"message": "Unknown Guild", "code": 10004}, 404)
        self.left_guilds.append(int(gid))
        await self.remove_guild(int(gid))
        return web.Response(status=204)

    def guild_of(self, channel_id: int) -> int:
        """The guild a channel (or thread) belongs to."""
        channel = self.channels.get(int(channel_id)) or self.threads.get(int(channel_id)) or {}
        return int(channel.get("guild_id") or self.guild_id)

    def channel_id(self, name: str) -> int:
        """The id of a channel by name."""
        for cid, channel in self.channels.items():
            if channel["name"] == name:
                return cid
        raise KeyError(name)

    def permissions_for(self, roles: list[int], guild_id: int | None = None) -> int:
        """Guild-level permissions from @everyone plus the given roles (Administrator implies all)."""
        value = int(self.roles[guild_id or self.guild_id]["permissions"])
        for rid in roles:
            value |= int(self.roles[rid]["permissions"])
        return ALL_PERMISSIONS if value & PERM_ADMINISTRATOR else value

    def _member(self, user: dict, roles: list[int]) -> dict:
        return {
            "roles": [str(r) for r in roles],
            "joined_at": "2024-01-01T00:00:00+00:00",
            "deaf": False,
            "mute": False,
            "flags": 0,
            "nick": None,
            "avatar": None,
            "pending": False,
        }

    def _guild_payload(self, guild_id: int | None = None) -> dict:
        gid = guild_id or self.guild_id
        bot_member = {**self._member(self.bot_user, []), "user": self.bot_user}
        return {
            "id": str(gid),
            "name": self.guild_names[gid],
            "icon": None,
            "owner_id": self.owner["id"],
            "unavailable": False,
            "large": False,
            "member_count": len(self.users) + 1,
            "joined_at": "2024-01-01T00:00:00+00:00",
            "features": [],
            "roles": [r for rid, r in self.roles.items() if self.role_guild.get(rid) == gid],
            "emojis": [],
            "stickers": [],
            "channels": [c for c in self.channels.values() if int(c["guild_id"]) == gid],
            "threads": [t for t in self.threads.values() if int(t["guild_id"]) == gid],
            "members": [bot_member],
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "preferred_locale": "en-US",
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "system_channel_flags": 0,
        }

    # ----------------------------------------------------------------- recording and waiting

    def _error(self, kind: str, detail: str, request: web.Request | None = None) -> None:
        self.errors.append(FakeError(kind, detail, request.method if request else "", request.path if request else ""))

    def take_errors(self) -> list[FakeError]:
        """Return and clear the recorded errors (for tests that expect some)."""
        errors, self.errors = self.errors, []
        return errors

    def check_interactions(self) -> None:
        """Record an error for every interaction left unacknowledged past the deadline."""
        now = time.monotonic()
        for ix in self.interactions.values():
            if ix.response_type is None and now - ix.created > self.ack_deadline_s and not ix.late_reported:
                ix.late_reported = True
                self._error("unacknowledged", f"/{ix.name} (interaction {ix.id}) was never acknowledged")

    async def _record(self, sent: Sent) -> Sent:
        if sent.message is not None:  # a snapshot: the stored message may be edited later
            sent.message = copy.deepcopy(sent.message)
        self.sent.append(sent)
        async with self._changed:
            self._changed.notify_all()
        return sent

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    @on_fake_loop
    async def wait_for(self, predicate: Callable[[Sent], bool], *, timeout: float = 30.0, since: int = 0) -> Sent:
        """The first recorded write (from index ``since``) that satisfies ``predicate``."""

        def find() -> Sent | None:
            return next((s for s in self.sent[since:] if predicate(s)), None)

        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(lambda: find() is not None), timeout)
            except TimeoutError:
                errors = "; ".join(map(str, self.errors)) or "none"
                raise AssertionError(
                    f"timed out after {timeout}s waiting for the bot; it sent {len(self.sent) - since} "
                    f"thing(s) since: {[s.kind for s in self.sent[since:]]}; fake errors: {errors}"
                ) from None
        found = find()
        assert found is not None
        return found

    @on_fake_loop
    async def wait_for_condition(self, condition: Callable[[], bool], *, timeout: float = 30.0) -> None:
        """Wait until ``condition()`` holds: checked on every change of the fake's state and every 50 ms."""
        deadline = time.monotonic() + timeout
        while not condition():
            left = deadline - time.monotonic()
            if left <= 0:
                errors = "; ".join(map(str, self.errors)) or "none"
                raise AssertionError(f"condition not met within {timeout}s; fake errors: {errors}")
            async with self._changed:
                try:
                    await asyncio.wait_for(self._changed.wait(), min(left, 0.05))
                except TimeoutError:
                    pass

    @on_fake_loop
    async def wait_ready(self, timeout: float = 60.0) -> GatewaySession:
        """A gateway session that has received READY and its GUILD_CREATE."""
        await self.wait_for_condition(lambda: any(s.ready for s in self.sessions), timeout=timeout)
        return next(s for s in self.sessions if s.ready)

    @on_fake_loop
    async def wait_presence(self, predicate: Callable[[dict], bool] = lambda p: True, timeout: float = 120.0) -> dict:
        """A presence update (op 3) the client sent, e.g. 'watching N articles' once it can answer."""
        sent = await self.wait_for(lambda s: s.kind == "presence" and predicate(s.payload), timeout=timeout)
        return sent.payload

    @on_fake_loop
    async def wait_message(
        self,
        predicate: Callable[[dict], bool] = lambda m: True,
        *,
        channel_id: int | None = None,
        timeout: float = 60.0,
        since: int = 0,
    ) -> dict:
        """A channel message the bot posted (POST /channels/{id}/messages)."""
        sent = await self.wait_for(
            lambda s: (
                s.kind == "message"
                and (channel_id is None or s.channel_id == channel_id)
                and predicate(s.message or {})
            ),
            timeout=timeout,
            since=since,
        )
        assert sent.message is not None
        return sent.message

    def bot_messages(self, since: int = 0) -> list[dict]:
        """Messages the bot posted to channels, from index ``since`` of :attr:`sent`."""
        return [s.message for s in self.sent[since:] if s.kind == "message" and s.message]

    def mark(self) -> int:
        """An index into :attr:`sent`, to look only at what comes after it."""
        return len(self.sent)

    # ----------------------------------------------------------------- test-side events

    def _live_sessions(self, guild_id: int | None | EllipsisType = ...) -> list[GatewaySession]:
        """The ready, live sessions (those carrying ``guild_id``'s events when given; None: DMs); none raises."""
        live = [s for s in self.sessions if s.ready and not s.ws.closed and not s.zombie
                and (guild_id is ... or s.serves(guild_id))]
        if not live:
            where = "" if guild_id is ... else f" on the shard of {'DMs' if guild_id is None else guild_id}"
            raise RuntimeError(f"no client is connected to the fake gateway{where}")
        return live

    @on_fake_loop
    async def send_message(
        self,
        content: str,
        *,
        author: dict | None = None,
        channel_id: int | None = None,
        reply_to: dict | None = None,
        reply_ping: bool = True,
        roles: list[int] | None = None,
        while_away: bool = False,
    ) -> dict:
        """A user (a bot when ``author['bot']``) posts in a channel: a MESSAGE_CREATE is dispatched.

        ``while_away``: the bot may be disconnected (the message is stored, and dispatched to nobody, as Discord
        does); otherwise posting with no client connected is a test mistake and raises.

        ``<@id>`` in ``content`` becomes a mention, as Discord parses it. With ``reply_to`` (a message dict)
        the message is a reply; with ``reply_ping`` the replied-to author is mentioned too, as in the app.
        """
        author = author or self.owner
        channel_id = channel_id or next(iter(self.channels))
        mentioned = {int(m) for m in MENTION.findall(content)}
        if reply_to is not None and reply_ping:
            mentioned.add(int(reply_to["author"]["id"]))
        message = self._message(
            channel_id,
            author,
            content=content,
            embeds=[],
            mentions=[self._user_by_id(uid) for uid in sorted(mentioned) if self._user_by_id(uid)],
            reference=reply_to,
            member=self._member(author, roles or []),
        )
        message["mention_everyone"] = "@everyone" in content or "@here" in content
        await self._dispatch_message("MESSAGE_CREATE", message, require_client=not while_away)
        return message

    def _user_by_id(self, uid: int) -> dict | None:
        return self.bot_user if uid == self.app_id else self.users.get(uid)

    @on_fake_loop
    async def invoke(
        self,
        command: str,
        options: dict[str, Any] | None = None,
        *,
        user: dict | None = None,
        roles: list[int] | None = None,
        permissions: int | None = None,
        channel_id: int | None = None,
    ) -> FakeInteraction:
        """A member runs a slash command: an INTERACTION_CREATE is dispatched.

        The command must have been synced (guild first, then global), as on Discord; option types come from
        the synced definition. ``permissions`` defaults to what ``roles`` grant.
        """
        return await self._interact(
            command, options, user=user, roles=roles, permissions=permissions, channel_id=channel_id
        )

    @on_fake_loop
    async def autocomplete(
        self,
        command: str,
        focused: str,
        typed: str,
        options: dict[str, Any] | None = None,
        *,
        user: dict | None = None,
        channel_id: int | None = None,
    ) -> FakeInteraction:
        """A member types ``typed`` into option ``focused`` (one with ``autocomplete``) of ``command``, the other
        ``options`` filled in: an APPLICATION_COMMAND_AUTOCOMPLETE interaction (type 4) is dispatched. The bot
        must answer it within 3 s with a type 8 callback; :meth:`FakeInteraction.wait_choices` returns them."""
        return await self._interact(command, options, focused=(focused, typed), user=user, channel_id=channel_id)

    def _interaction_payload(self, kind: int, iid: int, token: str, gid: int, channel_id: int, user: dict,
                             roles: list[int], permissions: int, data: dict) -> dict:
        """An INTERACTION_CREATE payload as Discord sends it from a guild channel (commands, autocomplete, buttons)."""
        return {
            "id": str(iid),
            "application_id": str(self.app_id),
            "type": kind,
            "token": token,
            "version": 1,
            "attachment_size_limit": 10 * 1024 * 1024,
            "guild_id": str(gid),
            "guild": {"id": str(gid), "locale": "en-US", "features": []},
            "guild_locale": "en-US",
            "locale": "en-GB",
            "channel_id": str(channel_id),
            "channel": self.channels[channel_id],
            "member": {**self._member(user, roles), "user": user, "permissions": str(permissions)},
            "data": data,
            "app_permissions": str(MEMBER_PERMISSIONS),
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(gid)},
            "context": 0,
        }

    @on_fake_loop
    async def click(
        self,
        message: dict,
        custom_id: str,
        *,
        user: dict | None = None,
        roles: list[int] | None = None,
    ) -> FakeInteraction:
        """A member presses the button ``custom_id`` on ``message`` (as the bot last left it): a MESSAGE_COMPONENT
        interaction (type 3) is dispatched. The bot must acknowledge it within 3 s: type 7 (update the message),
        6 (deferred update: edit it later through @original), or 4/5 (a new message). A button that is not on the
        message, or is disabled, cannot be pressed."""
        message = self._live_message(int(message["id"])) or message  # as it is now, not the test's snapshot
        buttons = {b.get("custom_id"): b for row in message.get("components", []) for b in row.get("components", [])}
        if custom_id not in buttons:
            raise AssertionError(f"no button {custom_id!r} on the message; it has {sorted(map(str, buttons))}")
        if buttons[custom_id].get("disabled"):
            raise AssertionError(f"the button {custom_id!r} is disabled")
        user = user or self.owner
        shown_to = (message.get("interaction_metadata") or {}).get("user", {}).get("id")
        if message["flags"] & FLAG_EPHEMERAL and shown_to not in (None, user["id"]):
            raise AssertionError("only the user an ephemeral message was shown to can press its buttons")
        roles = roles or []
        channel_id = int(message["channel_id"])
        gid = self.guild_of(channel_id)
        iid, token = self.snowflake(), f"ixtoken-{self.snowflake()}"
        payload = self._interaction_payload(INTERACTION_COMPONENT, iid, token, gid, channel_id, user, roles,
                                            self.permissions_for(roles, gid),
                                            {"custom_id": custom_id, "component_type": COMPONENT_BUTTON})
        payload["message"] = {k: v for k, v in message.items() if not k.startswith("_")}
        interaction = FakeInteraction(self, iid, token, f"button:{custom_id}", channel_id, time.monotonic(), payload,
                                      component_message=message)
        self.interactions[iid] = interaction
        self._by_token[token] = interaction
        for session in self._live_sessions(gid):
            await session.send(OP_DISPATCH, payload, "INTERACTION_CREATE")
        return interaction

    async def _interact(
        self,
        command: str,
        options: dict[str, Any] | None,
        *,
        focused: tuple[str, str] | None = None,
        user: dict | None = None,
        roles: list[int] | None = None,
        permissions: int | None = None,
        channel_id: int | None = None,
    ) -> FakeInteraction:
        user = user or self.owner
        roles = roles or []
        channel_id = channel_id or next(iter(self.channels))
        gid = self.guild_of(channel_id)
        definition = self.guild_commands.get(gid, {}).get(command) or self.global_commands.get(command)
        if definition is None:
            raise AssertionError(f"/{command} is not a registered command; synced: {self.command_names()}")
        by_name = {o["name"]: o for o in definition.get("options", [])}
        data_options = []
        resolved_channels: dict[str, dict] = {}
        for name, value in (options or {}).items():
            if name not in by_name:
                raise AssertionError(f"/{command} has no option {name!r}; it has {sorted(by_name)}")
            expected = by_name[name]["type"]
            if expected == OPTION_CHANNEL:  # the user picks a channel: Discord resolves it for the bot
                cid = int(value) if str(value).isdigit() else 0
                channel = self.channels.get(cid) or self.threads.get(cid)
                if channel is None:
                    raise AssertionError(f"option {name!r} of /{command} takes a channel id, got {value!r}")
                allowed_types = by_name[name].get("channel_types")
                if allowed_types and channel["type"] not in allowed_types:
                    raise AssertionError(f"option {name!r} of /{command} takes channel types {allowed_types}")
                resolved_channels[str(value)] = {**channel, "permissions": str(ALL_PERMISSIONS)}
                data_options.append({"name": name, "type": expected, "value": str(value)})
                continue
            if OPTION_TYPES.get(type(value)) != expected:
                raise AssertionError(f"option {name!r} of /{command} has type {expected}, got {value!r}")
            data_options.append({"name": name, "type": expected, "value": value})
        if focused is not None:
            name, typed = focused
            if not by_name.get(name, {}).get("autocomplete"):
                raise AssertionError(f"option {name!r} of /{command} has no autocomplete")
            # What the user has typed so far, always a string, flagged as the option being filled in.
            data_options.append({"name": name, "type": by_name[name]["type"], "value": typed, "focused": True})
        missing = [n for n, o in by_name.items() if o.get("required") and n not in (options or {})]
        if missing and focused is None:
            raise AssertionError(f"/{command} is missing required options {missing}")
        if permissions is None:
            permissions = self.permissions_for(roles, gid)
        iid, token = self.snowflake(), f"ixtoken-{self.snowflake()}"
        data: dict[str, Any] = {"id": definition["id"], "name": command, "type": 1, "options": data_options}
        if resolved_channels:
            data["resolved"] = {"channels": resolved_channels}
        if definition.get("guild_id"):
            data["guild_id"] = definition["guild_id"]
        kind = INTERACTION_COMMAND if focused is None else INTERACTION_AUTOCOMPLETE
        payload = self._interaction_payload(kind, iid, token, gid, channel_id, user, roles, permissions, data)
        interaction = FakeInteraction(self, iid, token, command, channel_id, time.monotonic(), payload)
        self.interactions[iid] = interaction
        self._by_token[token] = interaction
        for session in self._live_sessions(gid):
            await session.send(OP_DISPATCH, payload, "INTERACTION_CREATE")
        return interaction

    def command_names(self, guild: bool | None = None) -> list[str]:
        """Names of synced commands: guild ones, global ones, or both (None)."""
        names: list[str] = []
        if guild in (None, True):
            names += list(self.guild_commands.get(self.guild_id, {}))
        if guild in (None, False):
            names += list(self.global_commands)
        return sorted(names)

    @on_fake_loop
    async def wait_commands(self, names: set[str], timeout: float = 60.0) -> None:
        """Until commands with these names have been synced (guild or global)."""
        await self.wait_for_condition(lambda: names <= set(self.command_names()), timeout=timeout)

    # ----------------------------------------------------------------- messages

    def _message(
        self,
        channel_id: int,
        author: dict,
        *,
        content: str,
        embeds: list[dict],
        mentions: list[dict] | None = None,
        reference: dict | None = None,
        member: dict | None = None,
        flags: int = 0,
        msg_type: int | None = None,
        interaction: FakeInteraction | None = None,
        allowed_mentions: dict | None = None,
        store: bool = True,
        components: list[dict] | None = None,
    ) -> dict:
        mid = self.snowflake()
        message: dict[str, Any] = {
            "id": str(mid),
            "channel_id": str(channel_id),
            "guild_id": str(self.guild_of(channel_id)),
            "author": author,
            "content": content,
            "timestamp": datetime.now(UTC).isoformat(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": mentions or [],
            "mention_roles": [],
            "attachments": [],
            "embeds": embeds,
            "pinned": False,
            "type": 19 if reference is not None else (msg_type or 0),
            "flags": flags,
            "components": components or [],
        }
        if channel_id in self.dm_channels:  # a DM: no guild, no member
            del message["guild_id"]
            member = None
        if member is not None:
            message["member"] = member
        if reference is not None:
            message["message_reference"] = {
                "type": 0,
                "message_id": reference["id"],
                "channel_id": reference["channel_id"],
                "guild_id": str(self.guild_of(int(reference["channel_id"]))),
            }
            message["referenced_message"] = {k: v for k, v in reference.items() if not k.startswith("_")}
        if interaction is not None:
            message["application_id"] = str(self.app_id)
            message["webhook_id"] = str(self.app_id)
            message["interaction_metadata"] = {
                "id": str(interaction.id),
                "type": interaction.payload["type"],
                "name": interaction.name,
                "user": (interaction.payload.get("member") or {}).get("user") or interaction.payload.get("user"),
                "authorizing_integration_owners": {"0": str(self.guild_of(channel_id))},
            }
        if allowed_mentions is not None:
            message["_allowed_mentions"] = allowed_mentions  # what the bot asked for (not a Discord field)
        message["_pings"] = self._pings(content, allowed_mentions, reference)
        if store:
            self.messages[mid] = message
        else:
            self.ephemeral[mid] = message
        return message

    def _pings(self, content: str, allowed: dict | None, reference: dict | None) -> list[str]:
        """Who a bot message would notify, given its allowed_mentions (not a Discord field)."""
        parse = set(allowed.get("parse", [])) if allowed is not None else {"everyone", "users", "roles"}
        users = set(map(str, allowed.get("users", []))) if allowed is not None else set()
        pings = []
        if "everyone" in parse and ("@everyone" in content or "@here" in content):
            pings.append("@everyone")
        for uid in MENTION.findall(content):
            if "users" in parse or uid in users:
                pings.append(uid)
        if reference is not None and (allowed is None or allowed.get("replied_user", False)):
            pings.append(reference["author"]["id"])
        return pings

    async def _dispatch_message(self, event: str, message: dict, *, require_client: bool = False) -> None:
        """Dispatch MESSAGE_CREATE/UPDATE to every ready session on the message's shard, honouring its intents
        (none connected: the message is only stored, unless ``require_client``, when that raises)."""
        public = {k: v for k, v in message.items() if not k.startswith("_")}
        guild_id = int(message["guild_id"]) if "guild_id" in message else None
        if require_client:
            self._live_sessions(guild_id)  # raises when none is connected
        for session in [s for s in self.sessions if s.ready and not s.ws.closed and s.serves(guild_id)]:
            # (a zombie's frames are lost)
            in_dm = "guild_id" not in message
            if not session.intents & (INTENT_DIRECT_MESSAGES if in_dm else INTENT_GUILD_MESSAGES):
                continue
            data = dict(public)
            author_is_self = data["author"]["id"] == self.bot_user["id"]
            mentions_self = any(m["id"] == self.bot_user["id"] for m in data["mentions"])
            if not session.intents & INTENT_MESSAGE_CONTENT and not (author_is_self or mentions_self):
                data.update(content="", embeds=[], attachments=[], components=[])
            await session.send(OP_DISPATCH, data, event)
            self._known_sessions[session.session_id] = (session.seq, session.intents)

    def _validate_message(self, body: dict, *, allow_empty: bool = False) -> None:
        """Reject like Discord: content and embed limits, empty messages, allowed_mentions conflicts."""
        content = body.get("content")
        if content is not None and not isinstance(content, str):
            raise _form_error(["content"], "STRING_TYPE_CONVERT", "Could not interpret value as string.")
        if content and len(content) > CONTENT_LIMIT:
            raise _form_error(["content"], "BASE_TYPE_MAX_LENGTH", f"Must be {CONTENT_LIMIT} or fewer in length.")
        embeds = body.get("embeds") or []
        if len(embeds) > MAX_EMBEDS:
            raise _form_error(["embeds"], "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_EMBEDS} or fewer in length.")
        total = 0
        for i, embed in enumerate(embeds):
            total += self._validate_embed(embed, ["embeds", str(i)])
        if total > EMBED_TOTAL:
            raise _form_error(
                ["embeds"], "MAX_EMBED_SIZE_EXCEEDED", f"Embed size exceeds maximum size of {EMBED_TOTAL}"
            )
        allowed = body.get("allowed_mentions")
        if allowed:
            for kind in ("users", "roles"):
                if kind in allowed.get("parse", []) and allowed.get(kind):
                    raise _form_error(
                        ["allowed_mentions", kind],
                        "SET_TYPE_ALREADY_CONTAINS_VALUE",
                        "Mutually exclusive with parse",
                    )
        if body.get("components"):
            self._validate_components(body["components"])
        has_content = bool(content and content.strip())
        has_other = any(body.get(k) for k in ("embeds", "attachments", "sticker_ids", "components", "poll"))
        if not allow_empty and not has_content and not has_other:
            raise Reject(400, 50006, "Cannot send an empty message")

    @staticmethod
    def _validate_components(rows: Any) -> None:
        """Message components as Discord checks them: at most 5 action rows of at most 5 buttons; a button has a
        style 1-5, a label of at most 80 characters, and a unique custom_id of 1-100 characters (a link button,
        style 5, a url instead)."""
        if not isinstance(rows, list) or len(rows) > MAX_ACTION_ROWS:
            raise _form_error(["components"], "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_ACTION_ROWS} or fewer in length.")
        ids: set[str] = set()
        for r, row in enumerate(rows):
            where = ["components", str(r)]
            children = row.get("components") if isinstance(row, dict) else None
            if not isinstance(row, dict) or row.get("type") != COMPONENT_ACTION_ROW or not isinstance(children, list):
                raise _form_error(where + ["type"], "COMPONENT_LAYOUT_INVALID", "Top-level components must be rows")
            if not 1 <= len(children) <= MAX_ROW_BUTTONS:
                raise _form_error(where + ["components"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length.")
            for c, button in enumerate(children):
                at = where + ["components", str(c)]
                if button.get("type") != COMPONENT_BUTTON:
                    raise _form_error(at + ["type"], "UNION_TYPE_CHOICES", "The fake knows buttons only")
                style, label, custom_id = button.get("style"), button.get("label"), button.get("custom_id")
                if style not in (1, 2, 3, 4, 5):
                    raise _form_error(at + ["style"], "BASE_TYPE_CHOICES", f"Value must be one of (1..5), got {style}")
                if label is not None and (not isinstance(label, str) or len(label) > BUTTON_LABEL_LIMIT):
                    raise _form_error(at + ["label"], "BASE_TYPE_MAX_LENGTH", "Must be 80 or fewer in length.")
                if style == 5:
                    if not button.get("url") or custom_id is not None:
                        raise _form_error(at + ["url"], "BUTTON_COMPONENT_URL_REQUIRED", "A link button needs a url")
                    continue
                if not isinstance(custom_id, str) or not 1 <= len(custom_id) <= CUSTOM_ID_LIMIT:
                    raise _form_error(at + ["custom_id"], "BUTTON_COMPONENT_CUSTOM_ID_REQUIRED",
                                      "A button needs a custom_id of 1-100 characters")
                if custom_id in ids:
                    raise _form_error(at + ["custom_id"], "COMPONENT_CUSTOM_ID_DUPLICATED",
                                      "Component custom id cannot be duplicated")
                ids.add(custom_id)
                if not label and not button.get("emoji"):
                    raise _form_error(at, "BUTTON_COMPONENT_LABEL_OR_EMOJI_REQUIRED", "A button needs a label or emoji")

    @staticmethod
    def _validate_embed(embed: dict, path: list[str]) -> int:
        """Check one embed's limits; return its character count toward the 6000 total."""
        size = 0
        for key, limit in EMBED_LIMITS.items():
            value = embed.get(key)
            if value is not None:
                if len(value) > limit:
                    raise _form_error(path + [key], "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")
                size += len(value)
        url = embed.get("url")
        if url is not None and not re.match(r"^https?://", url):
            raise _form_error(path + ["url"], "URL_TYPE_INVALID_URL", "Not a well formed URL.")
        fields = embed.get("fields") or []
        if len(fields) > MAX_FIELDS:
            raise _form_error(path + ["fields"], "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_FIELDS} or fewer in length.")
        for j, fld in enumerate(fields):
            for key, limit in (("name", FIELD_NAME_LIMIT), ("value", FIELD_VALUE_LIMIT)):
                value = fld.get(key)
                where = path + ["fields", str(j), key]
                if not value or not str(value).strip():
                    raise _form_error(where, "BASE_TYPE_REQUIRED", "This field is required")
                if len(value) > limit:
                    raise _form_error(where, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")
                size += len(value)
        for key, inner, limit in (("footer", "text", FOOTER_LIMIT), ("author", "name", AUTHOR_LIMIT)):
            part = embed.get(key)
            if part is None:
                continue
            value = part.get(inner)
            if not value:
                raise _form_error(path + [key, inner], "BASE_TYPE_REQUIRED", "This field is required")
            if len(value) > limit:
                raise _form_error(path + [key, inner], "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")
            size += len(value)
        color = embed.get("color")
        if color is not None and not 0 <= int(color) <= 0xFFFFFF:
            raise _form_error(path + ["color"], "NUMBER_TYPE_MAX", "int value should be <= 16777215.")
        return size

    # ----------------------------------------------------------------- HTTP plumbing

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Callable) -> web.StreamResponse:
        rest = request.path.startswith(API_PREFIX + "/")
        if rest and time.monotonic() < self._fail_until and not self._fail_after_create:
            self.faults[str(self._fail_status)] += 1
            return self._json({"message": "Bad Gateway", "code": 0}, status=self._fail_status)
        if rest and self.global_limit is not None:
            now = time.monotonic()
            while self._requests_1s and self._requests_1s[0] <= now - 1.0:
                self._requests_1s.popleft()
            if len(self._requests_1s) >= self.global_limit:
                self.faults["429-global"] += 1
                return self._too_many(self._requests_1s[0] + 1.0 - now, scope="global")
            self._requests_1s.append(now)
        try:
            response = await handler(request)
            if rest and time.monotonic() < self._fail_until and self._fail_after_create:
                self.faults[f"{self._fail_status}-after-success"] += 1  # done, but the answer is lost on the way
                return self._json({"message": "Bad Gateway", "code": 0}, status=self._fail_status)
            return response
        except Reject as exc:
            self._error("rejected", f"{exc.status} {exc.code} {exc.message} {exc.errors or ''}".strip(), request)
            return self._json(exc.body(), status=exc.status)

    @staticmethod
    def _too_many(retry_after: float, scope: str = "user") -> web.Response:
        """Discord's 429: JSON body with ``retry_after``, headers (``Via`` tells discord.py it is not Cloudflare)."""
        retry_after = max(0.001, round(retry_after, 3))
        headers = {
            "Content-Type": "application/json",
            "Retry-After": str(math.ceil(retry_after)),
            "Via": "1.1 google",
            "X-RateLimit-Scope": scope,
        }
        if scope == "global":
            headers["X-RateLimit-Global"] = "true"
        body = {"message": "You are being rate limited.", "retry_after": retry_after, "global": scope == "global"}
        return web.Response(body=json.dumps(body).encode(), status=429, headers=headers)

    @staticmethod
    def _json(data: Any, status: int = 200) -> web.Response:
        # Exactly 'application/json': with '; charset=utf-8' discord.py would hand the caller a str.
        return web.Response(body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json"})

    async def _body(self, request: web.Request) -> dict:
        if request.content_type == "multipart/form-data":
            form = await request.post()
            raw = form.get("payload_json")
            body = json.loads(raw) if isinstance(raw, str) else {}
            if any(k.startswith("files[") for k in form):
                body.setdefault("attachments", [{"id": "0"}])
            return body
        if not request.can_read_body:
            return {}
        if request.content_type != "application/json":
            raise Reject(400, 50109, "The request body contains invalid JSON.")
        return await request.json()

    def _check_auth(self, request: web.Request) -> None:
        if request.headers.get("Authorization") != f"Bot {self.token}":
            raise Reject(401, 0, "401: Unauthorized")

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        """Route one REST call; unknown routes are a 404 and a recorded error."""
        path = request.path
        self.requests.append((request.method, path))
        if not path.startswith(API_PREFIX + "/"):
            return self._unknown(request)
        parts = path[len(API_PREFIX) + 1 :].split("/")
        method = request.method
        match parts:
            case ["users", "@me"] if method == "GET":
                self._check_auth(request)
                return self._json(self.bot_user)
            case ["users", "@me", "channels"] if method == "POST":
                return await self._open_dm(request)
            case ["users", "@me", "guilds", gid] if method == "DELETE":
                return await self._leave_guild(request, gid)
            case ["oauth2", "applications", "@me"] if method == "GET":
                self._check_auth(request)
                return self._json(self._application())
            case ["gateway", "bot"] if method == "GET":
                self._check_auth(request)
                limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
                return self._json({"url": self.gateway_url.rstrip("/"), "shards": self.shards,
                                   "session_start_limit": limit})
            case ["gateway"] if method == "GET":
                return self._json({"url": self.gateway_url.rstrip("/")})
            case ["applications", app, "commands"] if method in ("PUT", "GET"):
                return await self._commands(request, app, None)
            case ["applications", app, "guilds", gid, "commands"] if method in ("PUT", "GET"):
                return await self._commands(request, app, gid)
            case ["channels", cid, "messages"] if method == "POST":
                return await self._create_message(request, cid)
            case ["channels", cid, "messages"] if method == "GET":
                return self._history(request, cid)
            case ["channels", cid, "messages", mid] if method in ("GET", "PATCH", "DELETE"):
                return await self._channel_message(request, cid, mid)
            case ["channels", cid, "messages", mid, "threads"] if method == "POST":
                return await self._start_thread(request, cid, mid)
            case ["channels", cid, "typing"] if method == "POST":
                self._check_auth(request)
                self._channel(cid)
                await self._record(Sent("typing", {}, channel_id=int(cid)))
                return web.Response(status=204)
            case ["interactions", iid, token, "callback"] if method == "POST":
                return await self._callback(request, iid, token)
            case ["webhooks", app, token] if method == "POST":
                return await self._followup(request, app, token)
            case ["webhooks", app, token, "messages", mid] if method in ("GET", "PATCH", "DELETE"):
                return await self._webhook_message(request, app, token, mid)
        return self._unknown(request)

    def _unknown(self, request: web.Request) -> web.Response:
        self._error("unknown_route", "the fake does not know this route", request)
        return self._json({"message": "404: Not Found", "code": 0}, status=404)

    def _application(self) -> dict:
        return {
            "id": str(self.app_id),
            "name": "citebot",
            "description": "",
            "icon": None,
            "bot_public": False,
            "bot_require_code_grant": False,
            "owner": self.owner,
            "verify_key": "0" * 64,
            "flags": (1 << 19) if self.message_content_enabled else 0,  # GATEWAY_MESSAGE_CONTENT_LIMITED
            "bot": self.bot_user,
            "team": None,
        }

    def _channel(self, cid: str) -> dict:
        try:
            if int(cid) in self.dm_channels:
                return self.dm_channels[int(cid)]
            return self.channels[int(cid)] if int(cid) in self.channels else self.threads[int(cid)]
        except (KeyError, ValueError):
            raise Reject(404, 10003, "Unknown Channel") from None

    async def _open_dm(self, request: web.Request) -> web.Response:
        """The DM channel with a user (the same one on every call), as Discord's Create DM."""
        self._check_auth(request)
        body = await self._body(request)
        try:
            user = self.users[int(body.get("recipient_id", 0))]
        except (KeyError, TypeError, ValueError):
            raise _form_error(["recipient_id"], "NUMBER_TYPE_COERCE", "Value is not a known user.") from None
        for channel in self.dm_channels.values():
            if channel["recipients"][0]["id"] == user["id"]:
                return self._json(channel)
        cid = self.snowflake()
        channel = {"id": str(cid), "type": 1, "recipients": [user], "last_message_id": None, "flags": 0}
        self.dm_channels[cid] = channel
        return self._json(channel)

    def dm_channel_of(self, user: dict) -> int | None:
        """The id of the DM channel the bot opened with ``user``, if any."""
        return next((cid for cid, c in self.dm_channels.items() if c["recipients"][0]["id"] == user["id"]), None)

    def _live_message(self, mid: int) -> dict | None:
        """A message as it is now: stored, or ephemeral (seen by one user)."""
        return self.messages.get(mid) or self.ephemeral.get(mid)

    async def _start_thread(self, request: web.Request, cid: str, mid: str) -> web.Response:
        """Start a public thread on a message (its id becomes the thread's), like Discord: the parent must be a
        text channel, the message must be in it and have no thread yet, the name 1-100 characters; THREAD_CREATE
        (``newly_created``) goes to the sessions with the GUILDS intent before the response."""
        self._check_auth(request)
        channel = self._channel(cid)
        body = await self._body(request)
        message = self.messages.get(int(mid)) if mid.isdigit() else None
        if message is None or message["channel_id"] != channel["id"]:
            raise Reject(404, 10008, "Unknown Message")
        if channel.get("type") != 0:
            raise Reject(400, 50024, "Cannot execute action on this channel type")
        if int(mid) in self.threads:
            raise Reject(400, 160004, "A thread has already been created for this message")
        name = body.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            raise _form_error(["name"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
        archive = body.get("auto_archive_duration", 4320)
        if archive not in (60, 1440, 4320, 10080):
            raise _form_error(["auto_archive_duration"], "BASE_TYPE_CHOICES",
                              "Value must be one of (60, 1440, 4320, 10080).")
        thread = {
            "id": mid,
            "type": 11,
            "guild_id": channel["guild_id"],
            "parent_id": channel["id"],
            "owner_id": self.bot_user["id"],
            "name": name,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "message_count": 0,
            "member_count": 1,
            "flags": 0,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": archive,
                "archive_timestamp": datetime.now(UTC).isoformat(),
                "locked": False,
            },
        }
        self.threads[int(mid)] = thread
        message["thread"] = thread
        for session in self._live_sessions(int(channel["guild_id"])):
            if session.intents & INTENT_GUILDS:
                await session.send(OP_DISPATCH, {**thread, "newly_created": True}, "THREAD_CREATE")
        await self._record(Sent("thread", body, channel_id=int(cid), message=thread))
        return self._json(thread, status=201)

    # ----------------------------------------------------------------- commands

    async def _commands(self, request: web.Request, app: str, gid: str | None) -> web.Response:
        self._check_auth(request)
        if app != str(self.app_id):
            raise Reject(403, 50001, "Missing Access")
        if gid is not None and int(gid) not in self.guild_names:
            raise Reject(403, 50001, "Missing Access")
        store = self.global_commands if gid is None else self.guild_commands.setdefault(int(gid), {})
        if request.method == "GET":
            return self._json(list(store.values()))
        body = await self._body(request)
        if not isinstance(body, list) or len(body) > 100:
            raise _form_error([], "BASE_TYPE_BAD_LENGTH", "Must be between 0 and 100 in length.")
        echoed: dict[str, dict] = {}
        for i, command in enumerate(body):
            self._validate_command(command, [str(i)])
            old = store.get(command["name"])
            echoed[command["name"]] = {
                **command,
                "id": old["id"] if old else str(self.snowflake()),
                "application_id": str(self.app_id),
                "version": str(self.snowflake()),
                "type": command.get("type", 1),
                "guild_id": gid,
                "options": command.get("options", []),
                "default_member_permissions": _optional_str(command.get("default_member_permissions")),
            }
        store.clear()
        store.update(echoed)
        self.command_syncs.append((int(gid) if gid else None, list(echoed.values())))
        await self._notify()
        return self._json(list(echoed.values()))

    @staticmethod
    def _validate_command(command: dict, path: list[str]) -> None:
        name = command.get("name", "")
        if not COMMAND_NAME.match(name) or name != name.lower():
            raise _form_error(path + ["name"], "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
        if command.get("type", 1) == 1 and not 1 <= len(command.get("description", "")) <= 100:
            raise _form_error(path + ["description"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
        options = command.get("options", [])
        if len(options) > 25:
            raise _form_error(path + ["options"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
        seen_optional = False
        for j, option in enumerate(options):
            if not COMMAND_NAME.match(option.get("name", "")):
                raise _form_error(path + ["options", str(j), "name"], "APPLICATION_COMMAND_INVALID_NAME", "Invalid")
            if not 1 <= len(option.get("description", "")) <= 100:
                raise _form_error(path + ["options", str(j), "description"], "BASE_TYPE_BAD_LENGTH", "1 to 100")
            if option.get("required"):
                if seen_optional:
                    raise _form_error(
                        path + ["options"],
                        "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                        "Required options first",
                    )
            else:
                seen_optional = True

    # ----------------------------------------------------------------- channel messages

    async def _create_message(self, request: web.Request, cid: str) -> web.Response:
        self._check_auth(request)
        channel = self._channel(cid)
        if self._send_faults:
            status, retry_after = self._send_faults.popleft()
            self.faults[f"{status}-send"] += 1
            if status == 429:
                return self._too_many(retry_after)
            return self._json({"message": "Server Error", "code": 0}, status=status)
        limit_headers: dict[str, str] = {}
        if self.channel_limit is not None:
            count, window = self.channel_limit
            now = time.monotonic()
            sends = self._channel_sends.setdefault(int(cid), deque())
            while sends and sends[0] <= now - window:
                sends.popleft()
            if len(sends) >= count:
                self.faults["429-channel"] += 1
                return self._too_many(sends[0] + window - now)
            sends.append(now)
            limit_headers = {
                "X-RateLimit-Limit": str(count),
                "X-RateLimit-Remaining": str(count - len(sends)),
                "X-RateLimit-Reset-After": f"{sends[0] + window - now:.3f}",
                "X-RateLimit-Reset": f"{time.time() + sends[0] + window - now:.3f}",
                "X-RateLimit-Bucket": "fake-message-create",
            }
        body = await self._body(request)
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce") and (int(cid), str(nonce)) in self._nonces:
            self.faults["nonce-hit"] += 1  # Discord returns the message already created with this nonce
            existing = self._nonces[(int(cid), str(nonce))]
            response = self._json({k: v for k, v in existing.items() if not k.startswith("_")})
            response.headers.update(limit_headers)
            return response
        self._validate_message(body)
        reference = None
        ref = body.get("message_reference")
        if ref:
            reference = self.messages.get(int(ref.get("message_id", 0)))
            if reference is None and ref.get("fail_if_not_exists", True):
                raise _form_error(["message_reference"], "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message")
        message = self._message(
            int(channel["id"]),
            self.bot_user,
            content=body.get("content") or "",
            embeds=body.get("embeds") or [],
            reference=reference,
            member=self._member(self.bot_user, []),
            flags=int(body.get("flags", 0)),
            allowed_mentions=body.get("allowed_mentions"),
            components=body.get("components") or [],
        )
        if nonce is not None:
            message["nonce"] = nonce
            if body.get("enforce_nonce"):
                self._nonces[(int(cid), str(nonce))] = message
        await self._record(Sent("message", body, channel_id=int(cid), message=message))
        await self._dispatch_message("MESSAGE_CREATE", message)
        response = self._json({k: v for k, v in message.items() if not k.startswith("_")})
        response.headers.update(limit_headers)
        return response

    def _history(self, request: web.Request, cid: str) -> web.Response:
        """Get Channel Messages like Discord: ``limit`` 1-100 (default 50), ``before``/``after`` a message id;
        newest first. With ``after``, the ``limit`` messages just after it (still returned newest first)."""
        self._check_auth(request)
        self._channel(cid)
        query = request.query
        if "around" in query:
            self._error("unknown_route", "the fake does not serve history ?around=", request)
        try:
            limit = int(query.get("limit", 50))
            before, after = (int(query[k]) if k in query else None for k in ("before", "after"))
        except ValueError:
            raise _form_error(["limit"], "NUMBER_TYPE_COERCE", "Value is not int.") from None
        if not 1 <= limit <= 100:
            raise _form_error(["limit"], "NUMBER_TYPE_MAX", "int value should be between 1 and 100.")
        found = sorted((mid for mid, m in self.messages.items() if m["channel_id"] == cid), reverse=True)
        self.history_requests.append((int(cid), dict(query)))
        if before is not None:
            found = [mid for mid in found if mid < before][:limit]
        elif after is not None:
            found = sorted(mid for mid in found if mid > after)[:limit][::-1]
        else:
            found = found[:limit]
        return self._json([{k: v for k, v in self.messages[mid].items() if not k.startswith("_")} for mid in found])

    async def _channel_message(self, request: web.Request, cid: str, mid: str) -> web.StreamResponse:
        self._check_auth(request)
        self._channel(cid)
        message = self.messages.get(int(mid)) if mid.isdigit() else None
        if message is None or message["channel_id"] != cid:
            raise Reject(404, 10008, "Unknown Message")
        if request.method == "GET":
            return self._json({k: v for k, v in message.items() if not k.startswith("_")})
        if message["author"]["id"] != self.bot_user["id"]:
            raise Reject(403, 50005, "Cannot edit a message authored by another user")
        if request.method == "DELETE":
            self.messages.pop(int(mid))
            await self._record(Sent("delete", {}, channel_id=int(cid), message=message))
            return web.Response(status=204)
        body = await self._body(request)
        edited = self._apply_edit(message, body)
        await self._record(Sent("edit", body, channel_id=int(cid), message=edited))
        await self._dispatch_message("MESSAGE_UPDATE", edited)
        return self._json({k: v for k, v in edited.items() if not k.startswith("_")})

    def _apply_edit(self, message: dict, body: dict) -> dict:
        merged = {"content": message["content"], "embeds": message["embeds"],
                  "components": message.get("components", [])}
        if "content" in body:
            merged["content"] = body["content"] or ""
        if "embeds" in body:
            merged["embeds"] = body["embeds"] or []
        if "components" in body:
            merged["components"] = body["components"] or []
        self._validate_message({**body, **merged})
        message.update(merged)
        message["content"] = message["content"] or ""
        message["edited_timestamp"] = datetime.now(UTC).isoformat()
        message["flags"] = message["flags"] & ~FLAG_LOADING
        if "allowed_mentions" in body:
            message["_allowed_mentions"] = body["allowed_mentions"]
        message["_pings"] = self._pings(message["content"], body.get("allowed_mentions"), None)
        return message

    # ----------------------------------------------------------------- interactions

    async def _callback(self, request: web.Request, iid: str, token: str) -> web.Response:
        ix = self.interactions.get(int(iid)) if iid.isdigit() else None
        if ix is None or ix.token != token:
            raise Reject(404, 10062, "Unknown interaction")
        if self._ack_faults is not None and ix.response_type is None:
            probability, statuses, retry_after, rng = self._ack_faults
            if rng.random() < probability:
                status = rng.choice(statuses)
                self.faults[f"{status}-ack"] += 1
                if status == 429:
                    return self._too_many(retry_after)
                return self._json({"message": "Internal Server Error", "code": 0}, status=status)
        if ix.response_type is not None:
            raise Reject(400, 40060, "Interaction has already been acknowledged.")
        late = time.monotonic() - ix.created
        if late > self.ack_deadline_s:
            ix.late_reported = True
            raise Reject(404, 10062, f"Unknown interaction (acknowledged after {late:.2f}s > {self.ack_deadline_s}s)")
        body = await self._body(request)
        rtype, data = body.get("type"), body.get("data") or {}
        if ix.payload["type"] == INTERACTION_AUTOCOMPLETE:
            return await self._autocomplete_result(request, ix, body)
        if ix.payload["type"] == INTERACTION_COMPONENT and rtype in (CALLBACK_DEFERRED_UPDATE, CALLBACK_UPDATE_MESSAGE):
            return await self._update_result(request, ix, body)
        if rtype not in (CALLBACK_MESSAGE, CALLBACK_DEFERRED_MESSAGE):
            raise _form_error(["type"], "INTERACTION_RESPONSE_TYPE_INVALID", f"Invalid response type {rtype}")
        if rtype == 4:
            self._validate_message(data)
        flags = int(data.get("flags", 0))
        ix.ephemeral = bool(flags & FLAG_EPHEMERAL)
        ix.response_type, ix.acked_at = rtype, time.monotonic()
        ix.original = self._message(
            ix.channel_id,
            self.bot_user,
            content=(data.get("content") or "") if rtype == 4 else "",
            embeds=(data.get("embeds") or []) if rtype == 4 else [],
            flags=flags | (FLAG_LOADING if rtype == 5 else 0),
            msg_type=20,
            interaction=ix,
            allowed_mentions=data.get("allowed_mentions"),
            store=not ix.ephemeral,
            components=(data.get("components") or []) if rtype == 4 else [],
        )
        await self._record(Sent("callback", body, channel_id=ix.channel_id, message=ix.original, interaction_id=ix.id))
        if not ix.ephemeral:
            await self._dispatch_message("MESSAGE_CREATE", ix.original)
        if request.query.get("with_response") not in ("1", "true", "True"):
            return web.Response(status=204)
        public = {k: v for k, v in ix.original.items() if not k.startswith("_")}
        return self._json(
            {
                "interaction": {
                    "id": str(ix.id),
                    "type": ix.payload["type"],
                    "response_message_id": public["id"],
                    "response_message_loading": rtype == 5,
                    "response_message_ephemeral": ix.ephemeral,
                },
                "resource": {"type": rtype, "message": public},
            }
        )

    async def _update_result(self, request: web.Request, ix: FakeInteraction, body: dict) -> web.Response:
        """A component interaction answered by updating the message its button is on: type 7 edits it now, type 6
        only acknowledges (the edit follows through the webhook's @original, which is that message)."""
        message = ix.component_message
        assert message is not None
        if body["type"] == CALLBACK_UPDATE_MESSAGE:
            self._apply_edit(message, body.get("data") or {})
        ix.response_type, ix.acked_at, ix.original = body["type"], time.monotonic(), message
        await self._record(Sent("callback", body, channel_id=ix.channel_id, message=message, interaction_id=ix.id))
        if body["type"] == CALLBACK_UPDATE_MESSAGE and not message["flags"] & FLAG_EPHEMERAL:
            await self._dispatch_message("MESSAGE_UPDATE", message)
        if request.query.get("with_response") not in ("1", "true", "True"):
            return web.Response(status=204)
        public = {k: v for k, v in message.items() if not k.startswith("_")}
        return self._json({
            "interaction": {"id": str(ix.id), "type": INTERACTION_COMPONENT, "response_message_id": public["id"],
                            "response_message_loading": False,
                            "response_message_ephemeral": bool(message["flags"] & FLAG_EPHEMERAL)},
            "resource": {"type": body["type"], "message": public},
        })

    async def _autocomplete_result(self, request: web.Request, ix: FakeInteraction, body: dict) -> web.Response:
        """Answer to an autocomplete interaction: only type 8, at most 25 choices of the option's type."""
        if body.get("type") != CALLBACK_AUTOCOMPLETE_RESULT:
            raise _form_error(["type"], "INTERACTION_RESPONSE_TYPE_INVALID", "Autocomplete takes only type 8")
        choices = (body.get("data") or {}).get("choices")
        if not isinstance(choices, list) or len(choices) > MAX_CHOICES:
            raise _form_error(["data", "choices"], "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_CHOICES} or fewer in length.")
        option = next(o for o in ix.payload["data"]["options"] if o.get("focused"))
        for i, choice in enumerate(choices):
            where = ["data", "choices", str(i)]
            name, value = choice.get("name"), choice.get("value")
            if not isinstance(name, str) or not 1 <= len(name) <= CHOICE_NAME_LIMIT:
                raise _form_error(where + ["name"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
            if option["type"] == OPTION_TYPES[str]:
                if not isinstance(value, str) or not 1 <= len(value) <= CHOICE_STRING_LIMIT:
                    raise _form_error(where + ["value"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
            elif option["type"] in (OPTION_TYPES[int], OPTION_TYPES[float]):
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise _form_error(where + ["value"], "NUMBER_TYPE_COERCE", "Value is not a valid number.")
        ix.response_type, ix.acked_at, ix.choices = CALLBACK_AUTOCOMPLETE_RESULT, time.monotonic(), choices
        await self._record(Sent("callback", body, channel_id=ix.channel_id, interaction_id=ix.id))
        if request.query.get("with_response") not in ("1", "true", "True"):
            return web.Response(status=204)
        return self._json({"interaction": {"id": str(ix.id), "type": INTERACTION_AUTOCOMPLETE}})

    def _webhook_interaction(self, app: str, token: str) -> FakeInteraction:
        ix = self._by_token.get(token)
        if app != str(self.app_id) or ix is None or time.monotonic() - ix.created > TOKEN_LIFETIME_S:
            raise Reject(404, 10015, "Unknown Webhook")
        if ix.payload["type"] == INTERACTION_AUTOCOMPLETE:
            raise Reject(404, 10015, "Unknown Webhook (an autocomplete interaction has no messages)")
        return ix

    async def _followup(self, request: web.Request, app: str, token: str) -> web.Response:
        ix = self._webhook_interaction(app, token)
        if ix.response_type is None:
            raise Reject(404, 10015, "Unknown Webhook (follow-up before the interaction was acknowledged)")
        body = await self._body(request)
        self._validate_message(body)
        flags = int(body.get("flags", 0))
        message = self._message(
            ix.channel_id,
            self.bot_user,
            content=body.get("content") or "",
            embeds=body.get("embeds") or [],
            flags=flags,
            msg_type=20,
            interaction=ix,
            allowed_mentions=body.get("allowed_mentions"),
            store=not flags & FLAG_EPHEMERAL,
            components=body.get("components") or [],
        )
        ix.followups.append(message)
        await self._record(Sent("followup", body, channel_id=ix.channel_id, message=message, interaction_id=ix.id))
        if not flags & FLAG_EPHEMERAL:
            await self._dispatch_message("MESSAGE_CREATE", message)
        if request.query.get("wait") not in ("1", "true", "True"):
            return web.Response(status=204)
        return self._json({k: v for k, v in message.items() if not k.startswith("_")})

    async def _webhook_message(self, request: web.Request, app: str, token: str, mid: str) -> web.StreamResponse:
        ix = self._webhook_interaction(app, token)
        if mid == "@original":
            message = ix.original
        else:
            message = next((m for m in ix.followups if m["id"] == mid), None)
        if message is None:
            raise Reject(404, 10008, "Unknown Message (edit before the interaction was acknowledged?)")
        if request.method == "GET":
            return self._json({k: v for k, v in message.items() if not k.startswith("_")})
        if request.method == "DELETE":
            if mid == "@original":
                ix.original = None
            await self._record(Sent("delete", {}, channel_id=ix.channel_id, message=message, interaction_id=ix.id))
            return web.Response(status=204)
        body = await self._body(request)
        edited = self._apply_edit(message, body)
        if mid == "@original":
            ix.edits.append(body)
        await self._record(Sent("edit", body, channel_id=ix.channel_id, message=edited, interaction_id=ix.id))
        if not edited["flags"] & FLAG_EPHEMERAL:
            await self._dispatch_message("MESSAGE_UPDATE", edited)
        return self._json({k: v for k, v in edited.items() if not k.startswith("_")})

    # ----------------------------------------------------------------- gateway

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        """Gateway v10, JSON encoding, plain text frames."""
        if not request.headers.get("Upgrade", "").lower() == "websocket":
            return await self._rest(request)
        if request.query.get("v") != "10" or request.query.get("encoding", "json") != "json":
            self._error("gateway", f"unsupported gateway query {dict(request.query)}", request)
        ws = web.WebSocketResponse(autoclose=False, max_msg_size=0)
        await ws.prepare(request)
        session = GatewaySession(ws, self.heartbeat_interval_ms)
        self.sessions.append(session)
        await session.send(OP_HELLO, {"heartbeat_interval": self.heartbeat_interval_ms})
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    await self._gateway_frame(session, json.loads(msg.data))
                elif msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.ERROR):
                    break
        finally:
            if not ws.closed:
                await ws.close()
            self.sessions.remove(session)
            await self._notify()
        return ws

    async def _gateway_frame(self, session: GatewaySession, frame: dict) -> None:
        op, data = frame.get("op"), frame.get("d")
        if op == OP_HEARTBEAT:
            now = time.monotonic()
            if session.ready:
                session.max_gap = max(session.max_gap, now - session.last_heartbeat)
            session.last_heartbeat = now
            session.heartbeats += 1
            session.overdue_reported = False
            await session.send(OP_HEARTBEAT_ACK, None)
        elif op == OP_IDENTIFY and self.hold_ready:  # wait for READY aside: heartbeats are still acknowledged
            session.pending_identify = asyncio.ensure_future(self._identify(session, data))
        elif op == OP_IDENTIFY:
            await self._identify(session, data)
        elif op == OP_RESUME:
            known = self._known_sessions.get(data.get("session_id"))
            if data.get("token") != self.token or known is None:
                await session.send(OP_INVALID_SESSION, False)
            else:
                session.session_id = data["session_id"]
                session.seq, session.intents = known
                session.shard = self._session_shards.get(session.session_id, (0, 1))
                session.backlog = self._backlogs.get(session.session_id, [])
                self._backlogs[session.session_id] = session.backlog
                missed = [f for f in session.backlog if f["s"] > int(data.get("seq") or 0)]
                for frame in missed:  # what the client missed, in order, then RESUMED (as Discord does)
                    await session.ws.send_str(json.dumps(frame))
                self.replayed += len(missed)
                session.ready = True
                await session.send(OP_DISPATCH, {}, "RESUMED")
                self.ready_at.append((time.monotonic(), "RESUMED"))
                await self._notify()
        elif op == OP_PRESENCE:
            self.presences.append(data)
            await self._record(Sent("presence", data))
        else:
            self._error("gateway", f"unexpected gateway opcode {op}: {frame}")

    async def _identify(self, session: GatewaySession, data: dict) -> None:
        self.identify_payloads.append(data)
        while self.hold_ready and not session.ws.closed:  # the bot is away: questions posted now reach nobody
            await asyncio.sleep(0.05)
        if data.get("token") != self.token:
            await session.ws.close(code=4004, message=b"Authentication failed.")
            return
        intents = int(data.get("intents", 0))
        privileged = INTENT_GUILD_MEMBERS | INTENT_GUILD_PRESENCES
        if not self.message_content_enabled:
            privileged |= INTENT_MESSAGE_CONTENT
        enabled = INTENT_MESSAGE_CONTENT if self.message_content_enabled else 0
        if intents & privileged & ~enabled:
            await session.ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        shard = data.get("shard", [0, 1])
        if not (isinstance(shard, list) and len(shard) == 2 and all(isinstance(n, int) for n in shard)
                and 0 <= shard[0] < shard[1]):
            await session.ws.close(code=4010, message=b"Invalid shard.")
            return
        session.intents, session.shard = intents, (shard[0], shard[1])
        self._session_shards[session.session_id] = session.shard
        guilds = [gid for gid in self.guild_names if session.serves(gid)]
        ready = {
            "v": 10,
            "user": self.bot_user,
            "guilds": [{"id": str(gid), "unavailable": True} for gid in guilds],
            "session_id": session.session_id,
            "resume_gateway_url": self.gateway_url,
            "shard": shard,
            "application": {"id": str(self.app_id), "flags": self._application()["flags"]},
            "private_channels": [],
            "relationships": [],
        }
        await session.send(OP_DISPATCH, ready, "READY")
        for gid in guilds:
            await session.send(OP_DISPATCH, self._guild_payload(gid), "GUILD_CREATE")
        session.ready = True
        self._known_sessions[session.session_id] = (session.seq, session.intents)
        self._backlogs[session.session_id] = session.backlog
        self.ready_at.append((time.monotonic(), "READY"))
        await self._notify()

    async def _watch(self) -> None:
        """Record late heartbeats (the client's event loop was blocked) and unacknowledged interactions."""
        while True:
            await asyncio.sleep(0.25)
            now = time.monotonic()
            for session in self.sessions:
                overdue = now - session.last_heartbeat - session.interval_ms / 1000
                if session.ready and overdue > self.heartbeat_grace_s and not session.overdue_reported:
                    session.overdue_reported = True
                    self._error("late_heartbeat", f"no heartbeat for {now - session.last_heartbeat:.1f}s")
            self.check_interactions()
