"""The Discord client: start-up, one cog per feature, blocking work in worker threads, and ``run_bot(config)``.

Features live in extension modules listed in :data:`EXTENSIONS` (each has ``async def setup(bot)``); adding a
feature is adding a module to that tuple. Cogs reach the shared objects through the bot: ``bot.config``,
``bot.library`` and ``await bot.answer(question)``.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import aiohttp
import discord
import yarl
from discord import app_commands
from discord.ext import commands

from bot.config import Config, LoggingSettings
from bot.delivery import Pacer
from bot.fair_slots import FairSlots
from bot.flood import ChannelTyping, FloodGate
from bot.observability import Stats
from bot.servers import server_view
from bot.services import configured_sources, http_client, open_library
from bot.watchdog import GatewayWatch
from retrieval.errors import CitebotError, ModelChangedError
from retrieval.library import Library
from retrieval.models import Answer, ArticleMeta

log = logging.getLogger("citebot.discord")

T = TypeVar("T")

#: Feature modules loaded at start-up, in order.
EXTENSIONS: tuple[str, ...] = ("bot.cogs.qa", "bot.cogs.admin", "bot.cogs.summary", "bot.cogs.sources",
                               "bot.cogs.feedback", "bot.cogs.digest", "bot.cogs.follow", "bot.cogs.settings",
                               "bot.cogs.subscriptions")

#: Test-only hook. When set (e.g. ``http://127.0.0.1:PORT``), the client talks to a local Discord emulator
#: instead of discord.com: REST goes to ``$BASE/api/v10`` and the gateway to ``ws://HOST:PORT/``. The
#: end-to-end tests in tests/e2e set it for the ``citebot run`` subprocess; never set it in production.
API_BASE_ENV = "CITEBOT_DISCORD_API_BASE"

#: discord.py's own zombie check (seconds of silence); the watch in bot/watchdog.py applies heartbeat_timeout_s.
BACKSTOP_TIMEOUT_S = 60.0

#: CPU-bound jobs other than answers (summaries, digests, topic matches) run at the same time, each in its own
#: worker thread.
ANSWER_SLOTS = 4

#: Questions answered at the same time. One: answering is mostly Python under one interpreter lock and reads the
#: collection under its lock, so a second answer alongside mostly slows the first; one at a time, a quiet server's
#: question waits only for the stage a flooder's answer is in (docs/benchmarks.md, "Flood isolation (round 7)").
#: Also the answering rate the flood gate's "try again in N s" assumes.
ANSWERS_AT_ONCE = 1

#: Seconds the current task's last :meth:`CitebotBot.in_slot` call waited for a free slot (its queue wait).
QUEUE_WAIT: contextvars.ContextVar[float] = contextvars.ContextVar("queue_wait", default=0.0)

MISSING_TOKEN = (
    "no Discord token: set the DISCORD_TOKEN environment variable (or discord.token in config.toml) to the "
    "token from https://discord.com/developers/applications → your app → Bot → Reset Token "
    "(without a token, `citebot chat` is console mode)"
)
BAD_TOKEN = (
    "Discord rejected the token (improper or reset): copy a fresh one from https://discord.com/developers/"
    "applications → your app → Bot → Reset Token, and set DISCORD_TOKEN to it"
)
NO_INTENT = (
    "the Message Content intent is not enabled for this bot: enable it at https://discord.com/developers/"
    "applications → your app → Bot → Privileged Gateway Intents → Message Content Intent, then start again"
)


def use_api_base(base: str | None = None) -> str | None:
    """Point discord.py at ``base`` (default: $CITEBOT_DISCORD_API_BASE); a no-op when unset.

    Must run before login. ``Route.BASE`` is process-wide, which is why the tests run the bot in a subprocess.
    """
    base = (base if base is not None else os.environ.get(API_BASE_ENV, "")).strip().rstrip("/")
    if not base:
        return None
    url = yarl.URL(base)
    discord.http.Route.BASE = f"{base}/api/v10"
    gateway = url.with_scheme("wss" if url.scheme == "https" else "ws").with_path("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway
    log.warning("using a local Discord emulator at %s (%s is set)", base, API_BASE_ENV)
    return base


async def in_thread(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Run blocking ``fn`` in a daemon worker thread and await its result without blocking the event loop.

    A daemon thread (unlike ``asyncio.to_thread``) never delays shutdown: a re-index cut short leaves the old
    index in place, because new generations are swapped in atomically.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(ok: bool, value: Any) -> None:
        if not future.done():
            future.set_result(value) if ok else future.set_exception(value)

    def work() -> None:
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting coroutine
            outcome: tuple[bool, Any] = (False, exc)
        else:
            outcome = (True, result)
        try:
            loop.call_soon_threadsafe(settle, *outcome)
        except RuntimeError:  # the loop has closed: nobody is waiting any more
            pass

    threading.Thread(target=work, name=f"citebot-{getattr(fn, '__name__', 'work')}", daemon=True).start()
    return await future


class CitebotBot(commands.AutoShardedBot):
    """The citebot client. Prefix commands are off: messages are handled by the Q&A cog, the rest by slash
    commands.

    Always auto-sharded: discord.py asks Discord (GET /gateway/bot) how many shards the bot needs (1 below 2,500
    servers or so) and opens one gateway connection per shard, each server's events on shard
    ``(guild_id >> 22) % shard_count``, DMs on shard 0. Everything that looks at "the" connection does so per shard:
    the zombie watch (bot/watchdog.py) probes each shard's socket and restarts a silent one alone while the others
    keep answering; the presence (``announce``) is set on every shard, again on one that identified anew; the
    catch-up after a new session (the Q&A cog) reads the channels of the shard that had it; ``is_ready()`` is all
    shards ready.
    """

    def __init__(self, config: Config, library: Library, extensions: tuple[str, ...] = EXTENSIONS) -> None:
        intents = discord.Intents.default()
        intents.message_content = True  # privileged: questions in answer channels are read from the text
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=intents,
            allowed_mentions=discord.AllowedMentions.none(),
            activity=discord.CustomActivity(name="Starting up…"),
            # discord.py's own check (silence since the last frame) cannot go below the heartbeat interval without
            # false alarms: a backstop; the watch below keeps heartbeat_timeout_s with probe heartbeats.
            heartbeat_timeout=max(config.discord.heartbeat_timeout_s, BACKSTOP_TIMEOUT_S),
        )
        self.config = config
        self.library = library
        self.extension_names = extensions
        self.started_at = time.time()
        self.answered = 0
        self._warm: asyncio.Future[int] | None = None
        self._web_client = None  # made on first use: answering needs no HTTP client
        self._web_lock = threading.Lock()
        self._slots = FairSlots(ANSWER_SLOTS)
        self._answer_slots = FairSlots(ANSWERS_AT_ONCE)
        self.stats = Stats()
        self.flood = FloodGate(config.limits, ANSWERS_AT_ONCE)
        self.pacer = Pacer()  # replies and edits: at most 36 writes/s
        self.typing_indicators = ChannelTyping(pacer=Pacer(per_second=8))  # its own share of Discord's 50/s
        self.tree.on_error = self.on_app_command_error  # type: ignore[method-assign]
        self.gateway_watch = GatewayWatch(config.discord.heartbeat_timeout_s)

    # -- start-up ---------------------------------------------------------------------------------------------

    async def setup_hook(self) -> None:
        """After login, before the gateway: start loading the model and index, load the cogs, sync commands."""
        self._warm = asyncio.ensure_future(in_thread(self._warm_up))
        self._watching = asyncio.ensure_future(self.gateway_watch.run(self))
        self._warm.add_done_callback(self._warmed_up)
        for name in self.extension_names:
            await self.load_extension(name)
        await self.sync_commands()

    def _warm_up(self) -> int:
        """(Worker thread.) Load the model once, index the configured folders on first run, load the index."""
        started = time.monotonic()
        if not self.library.has_index():
            sources = configured_sources(self.config)
            log.info("no index yet: indexing %s (first run)", ", ".join(str(s.location) for s in sources))
            log.info("%s", self.library.sync(sources, self.web_client()).summary())
        else:
            try:
                self.library.collection()
            except ModelChangedError as exc:
                log.info("%s: re-embedding the articles with %r", exc.change, exc.configured)
                self.library.allow_model_change = True
        self.library.answerer().warm_up()  # loads the question model and the answer tower
        articles = len(self.library.collection().articles)
        log.info("model and index ready in %.1f s: %d articles", time.monotonic() - started, articles)
        return articles

    def _warmed_up(self, future: asyncio.Future[int]) -> None:
        if not future.cancelled() and future.exception() is not None:
            log.error("start-up loading failed: %s", future.exception())
        asyncio.ensure_future(self.announce())

    def web_client(self):
        """The bot's one HTTP client for feeds and pages (start-up sync, /add, /subscribe, /reindex, polling), made on
        first use from any thread."""
        with self._web_lock:
            if self._web_client is None:
                self._web_client = http_client(self.config)
            return self._web_client

    async def library_ready(self) -> Library:
        """The library, once start-up loading has finished (successfully or not: errors surface on use)."""
        if self._warm is not None:
            try:
                await asyncio.shield(self._warm)
            except Exception:  # noqa: BLE001 - logged in _warmed_up(); asking raises a clear error
                pass
        return self.library

    async def sync_commands(self) -> None:
        """Register slash commands: in each configured guild (instant), else globally."""
        guild_ids = self.config.discord.guild_ids
        if not guild_ids:
            synced = await self.tree.sync()
            log.info("registered %d global slash command(s)", len(synced))
            return
        for guild_id in guild_ids:
            guild = discord.Object(id=guild_id)
            self.tree.copy_global_to(guild=guild)
            try:
                synced = await self.tree.sync(guild=guild)
                log.info("registered %d slash command(s) in guild %s", len(synced), guild_id)
            except discord.Forbidden:
                log.error(
                    "cannot register slash commands in guild %s: is the bot in it, invited with the "
                    "applications.commands scope?",
                    guild_id,
                )
        self.tree.clear_commands(guild=None)
        await self.tree.sync()  # drop old global copies, so commands do not show twice

    async def on_ready(self) -> None:
        """Every shard is ready (start-up)."""
        log.info("connected as %s (id %s) to %d guild(s) on %d shard(s)", self.user, self.user and self.user.id,
                 len(self.guilds), self.shard_count or 1)
        await self.announce()

    async def on_shard_ready(self, shard_id: int, /) -> None:
        """A shard has a new session: after start-up (a shard that identified anew), show the presence on it."""
        if self.is_ready():
            await self.announce(shard_id)

    def gateway_sockets(self) -> Mapping[int, Any]:
        """Each shard's gateway socket by shard id (for the zombie watch). discord.py lists the shards publicly
        (``self.shards``) but keeps their sockets to its client: ``_get_websocket`` is that client's own way to
        a shard's socket (it sends each guild's gateway requests on its shard through it)."""
        return {shard_id: self._get_websocket(shard_id=shard_id) for shard_id in self.shards}

    async def announce(self, shard_id: int | None = None) -> None:
        """Show in the presence (on every shard, or on ``shard_id``) whether the bot can answer yet, and over how
        many articles."""
        if not self.is_warm or not self.is_ready():
            return
        try:
            articles = await in_thread(lambda: len(self.library.collection().articles))
            activity = discord.Activity(type=discord.ActivityType.watching, name=f"{articles} articles · /ask")
        except Exception:  # noqa: BLE001 - no index yet: say so
            activity = discord.CustomActivity(name="No index: an admin can run /reindex")
        for shard in [shard_id] if shard_id is not None else list(self.shards):
            try:  # one shard at a time: one reconnecting does not keep the presence off the others
                await self.change_presence(activity=activity, shard_id=shard)
            except (ConnectionError, discord.ConnectionClosed, RuntimeError, KeyError) as exc:
                log.debug("presence not updated on shard %s: %s", shard, exc)

    # -- shared services for cogs ---------------------------------------------------------------------------

    async def find_articles(self, typed: str, limit: int = 25, guild_id: Any = ...) -> list[ArticleMeta]:
        """Articles for autocomplete: what the user typed matched against titles in the store (an indexed look-up
        in a worker thread, newest first; see ``Store.match_titles``); [] while start-up is still loading.
        ``guild_id`` (None: a DM): only the articles that server sees (bot/servers.py)."""
        if not self.is_warm:
            return []
        if guild_id is not ...:
            try:
                view = server_view(self.config, self.library, guild_id)
            except CitebotError:
                return []
            return await in_thread(view.match_titles, typed, limit)
        return await in_thread(self.library.match_titles, typed, limit)  # never opens the store

    @property
    def is_warm(self) -> bool:
        """Whether start-up loading (model and index) has finished."""
        return self._warm is not None and self._warm.done()

    async def in_slot(self, func, *args, server: Any = None, pausable: bool = False):
        """Run CPU-bound ``func(*args)`` in a worker thread, at most ANSWER_SLOTS at a time, shared fairly between
        servers (bot/fair_slots.py; ``server`` is the guild id asking). ``pausable`` (answers): ``func`` also takes
        ``pause=``, the slot's checkpoint, calls it between its stages (a server with a smaller backlog goes
        first), and runs in the answers' own slots (ANSWERS_AT_ONCE). The wait for a slot is left in
        :data:`QUEUE_WAIT`."""
        queued = time.monotonic()
        async with (self._answer_slots if pausable else self._slots).taken(server) as pause:
            QUEUE_WAIT.set(time.monotonic() - queued)
            return await in_thread(func, *args, **({"pause": pause} if pausable else {}))

    async def answer(self, question: str, k: int | None = None, guild_id: Any = ..., **options: Any) -> Answer:
        """Answer ``question`` in a worker thread (embedding and search are CPU-bound); ``options`` go to
        ``Library.ask`` (history, window, today). ``guild_id`` (None: a DM) answers from that server's articles
        (bot/servers.py); left out, from the config collection's."""
        library = await self.library_ready()
        ask = library.ask if guild_id is ... else server_view(self.config, library, guild_id).ask
        answer = await self.in_slot(functools.partial(ask, question, k, **options),
                                    server=None if guild_id is ... else guild_id, pausable=True)
        self.answered += 1
        return answer

    async def on_message(self, message: discord.Message, /) -> None:
        """No prefix commands: the Q&A cog's listener handles messages."""

    async def on_app_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError, /
    ) -> None:
        """Log unexpected slash command errors and tell the user something went wrong."""
        log.error("/%s failed", interaction.command and interaction.command.name, exc_info=error)
        text = "Sorry, something went wrong; the error has been logged."
        try:
            if interaction.response.is_done():
                await interaction.edit_original_response(content=text, allowed_mentions=discord.AllowedMentions.none())
            else:
                await interaction.response.send_message(
                    text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
                )
        except discord.HTTPException:
            pass


def setup_logging(levels: LoggingSettings | None = None) -> None:
    """Logs on stderr at the configured levels ([logging]): coloured at a terminal, plain lines otherwise."""
    levels = levels or LoggingSettings()
    plain = logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    discord.utils.setup_logging(level=logging.DEBUG, formatter=None if sys.stderr.isatty() else plain)
    logging.getLogger().setLevel(levels.discord_level.upper())
    logging.getLogger("discord").setLevel(levels.discord_level.upper())
    logging.getLogger("citebot").setLevel(levels.level.upper())
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False  # citebot never joins voice


async def _serve(bot: CitebotBot, token: str) -> None:
    """Run until the connection ends or SIGINT/SIGTERM asks for a clean shutdown."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, lambda: asyncio.ensure_future(bot.close()))
        except (NotImplementedError, RuntimeError):  # not on this platform
            pass
    async with bot:
        await bot.start(token)


def run_bot(config: Config) -> int:
    """``citebot run``: connect to Discord and answer until stopped. Start-up problems raise ``CitebotError``
    with a one-line explanation (the CLI prints it and exits 1)."""
    token = config.discord.token.strip()
    if not token:
        raise CitebotError(MISSING_TOKEN)
    setup_logging(config.logging)
    use_api_base()
    bot = CitebotBot(config, open_library(config))
    try:
        asyncio.run(_serve(bot, token))
    except discord.LoginFailure:
        raise CitebotError(BAD_TOKEN) from None
    except discord.PrivilegedIntentsRequired:
        raise CitebotError(NO_INTENT) from None
    except discord.ConnectionClosed as exc:
        raise CitebotError(
            f"Discord closed the connection (code {exc.code}): {exc.reason or 'no reason given'}"
        ) from None
    except (aiohttp.ClientConnectorError, discord.GatewayNotFound) as exc:
        raise CitebotError(f"cannot reach Discord: {exc}") from None
    except discord.HTTPException as exc:
        raise CitebotError(f"Discord refused a start-up request: {exc.status} {exc.text}") from None
    return 0
