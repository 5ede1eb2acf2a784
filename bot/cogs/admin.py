"""Admin and information commands: /reindex (admins only, with progress), /sources and /status."""

from __future__ import annotations

import asyncio
import functools
import logging
import time

import discord
from discord import app_commands
from discord.ext import commands

from bot import delivery
from bot.checks import REFUSAL, is_admin
from bot.discord_app import CitebotBot, in_thread
from bot.embeds import (
    FIELD_NAME_LIMIT,
    FIELD_VALUE_LIMIT,
    error_embed,
    report_embed,
    sources_embed,
    status_embed,
)
from bot.formats import age_text, escape, progress_text, shorten
from bot.servers import server_view
from bot.services import configured_sources
from bot.subscribing import failing_text, source_origin
from retrieval.errors import CitebotError, LargeRemovalError, ReindexBusyError

SOURCES_PAGE = 60  # newest articles read for /sources: more than its embed shows; the rest are counted
log = logging.getLogger("citebot.admin")

NONE = discord.AllowedMentions.none()
#: Seconds between edits of the /reindex progress message (webhook edits are rate limited); a new stage is
#: shown sooner, but never within MIN_EDIT_GAP of the previous edit.
PROGRESS_EVERY = 1.5
MIN_EDIT_GAP = 0.5
#: Seconds the admin has to confirm a /reindex that would remove more than half of the index.
CONFIRM_TIMEOUT = 120.0


def source_line(row: dict) -> str:
    """'12 articles · polled 5 min ago · last error: …' for one source of ``Library.source_status()``."""
    parts = [f"{row['articles']} article{'s' if row['articles'] != 1 else ''}"]
    if row.get("kind") and row["kind"] != "added":
        polled = row.get("last_poll")
        parts.append(f"polled {age_text(time.time() - polled)} ago" if polled else "not polled yet")
    if row.get("last_error"):
        parts.append(f"last error: {escape(str(row['last_error']))}")
    if failing_text(row) and "item(s) failing" not in str(row.get("last_error")):
        parts.append(escape(failing_text(row)))
    return shorten(" · ".join(parts), FIELD_VALUE_LIMIT)


def fetch_page(client, url: str):
    """(Worker thread.) One page fetched and extracted (a server's /reindex re-reads its own pages)."""
    from retrieval.sources import fetch_article

    return fetch_article(client, url)


class Reindex:
    """The re-index in progress: who started it, when, and the latest progress from the worker thread."""

    def __init__(self, user: str) -> None:
        self.user = user
        self.started = time.monotonic()
        self.state: tuple[str, int, int] = ("start", 0, 0)  # (stage, done, total), replaced whole: thread-safe
        self.loop = asyncio.get_running_loop()
        self.stage_changed = asyncio.Event()

    def progress(self, stage: str, done: int, total: int) -> None:
        """(Worker thread.) Record progress; wake the event loop when a new stage begins."""
        new_stage = stage != self.stage
        self.state = (stage, done, total)
        if new_stage:
            self.loop.call_soon_threadsafe(self.stage_changed.set)

    @property
    def stage(self) -> str:
        return self.state[0]

    def text(self) -> str:
        return progress_text(*self.state, time.monotonic() - self.started)


class ConfirmRemoval(discord.ui.View):
    """Confirm and Cancel under a /reindex that would remove more than half of the index: only the admin who ran it
    can press them, and they lapse after ``CONFIRM_TIMEOUT`` (nothing removed)."""

    def __init__(self, owner_id: int, timeout: float = CONFIRM_TIMEOUT) -> None:
        super().__init__(timeout=timeout)
        self.owner_id = owner_id
        self.confirmed = False

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        await interaction.response.send_message("Only the admin who ran this /reindex can confirm it.",
                                                ephemeral=True, allowed_mentions=NONE)
        return False

    @discord.ui.button(label="Confirm: remove them", style=discord.ButtonStyle.danger, custom_id="reindex:confirm")
    async def confirm(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self.confirmed = True
        await interaction.response.edit_message(content="Confirmed: re-indexing and removing…", view=None,
                                                allowed_mentions=NONE)
        self.stop()

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary, custom_id="reindex:cancel")
    async def cancel(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.edit_message(content="Cancelled: nothing was removed.", view=None,
                                                allowed_mentions=NONE)
        self.stop()


def removal_question(exc: LargeRemovalError, timeout: float = CONFIRM_TIMEOUT) -> str:
    """The text above the Confirm button."""
    where = f" (from {escape(shorten(', '.join(exc.sources), 300))})" if exc.sources else ""
    return (f"This re-index would remove **{exc.removing} of the {exc.total}** indexed articles{where}: more than "
            f"half of the index, so nothing was removed. Anything new was added. Press Confirm within "
            f"{age_text(timeout)} to remove them, or Cancel.")


class Admin(commands.Cog):
    """/reindex, /sources, /status."""

    def __init__(self, bot: CitebotBot) -> None:
        self.bot = bot
        self.running: Reindex | None = None

    @app_commands.command(name="reindex", description="Re-read every source once and update the index (admins)")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    async def reindex(self, interaction: discord.Interaction) -> None:
        if not is_admin(interaction, self.bot.config.discord):
            await interaction.response.send_message(REFUSAL, ephemeral=True, allowed_mentions=NONE)
            return
        if self.running is not None or self.bot.library.indexing:
            await interaction.response.send_message(self.busy_text(), ephemeral=True, allowed_mentions=NONE)
            return
        job = self.running = Reindex(str(interaction.user))
        try:
            await interaction.response.defer(ephemeral=True, thinking=True)
            await self.run_reindex(interaction, job)
        finally:
            self.running = None

    def busy_text(self) -> str:
        job = self.running
        if job is None:
            return "A re-index is already running; try again when it has finished."
        started = age_text(time.monotonic() - job.started)
        return f"A re-index is already running (started by {job.user}, {started} ago); try again when it is done."

    async def run_reindex(self, interaction: discord.Interaction, job: Reindex) -> None:
        """Build the new index in a worker thread, editing the deferred reply with progress, then the report."""
        library = await self.bot.library_ready()
        view = server_view(self.bot.config, library, interaction.guild_id)
        sources = configured_sources(self.bot.config)
        client = self.bot.web_client()
        if view.tenant.server is None:  # a home server: the config collection's sources, as a single-server bot
            log.info("re-index of %s started by %s", ", ".join(str(s.location) for s in sources), job.user)
            work = asyncio.ensure_future(in_thread(library.sync, sources, client, job.progress))
        else:  # another server: only the pages it added itself are read again
            log.info("re-read of server %s's pages started by %s", view.tenant.server, job.user)
            work = asyncio.ensure_future(in_thread(view.refetch, functools.partial(fetch_page, client), job.progress))
        await self.show_progress(interaction, job, work)
        try:
            try:
                report = work.result()
            except LargeRemovalError as exc:
                view = ConfirmRemoval(interaction.user.id)
                await self.edit(interaction, content=removal_question(exc), embed=None, view=view)
                if await view.wait():  # True: timed out
                    await self.edit(interaction, content=f"Not confirmed within {age_text(CONFIRM_TIMEOUT)}: "
                                    "nothing was removed.", view=None)
                    return
                if not view.confirmed:  # cancelled (the button said so)
                    return
                log.info("re-index removing %d of %d articles confirmed by %s", exc.removing, exc.total, job.user)
                job.started = time.monotonic()
                work = asyncio.ensure_future(in_thread(functools.partial(
                    library.sync, sources, client, job.progress, confirmed=True)))
                await self.show_progress(interaction, job, work)
                report = work.result()
        except ReindexBusyError as exc:
            await self.edit(interaction, content=str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - report any failure to the admin; the old index stays
            log.exception("re-index failed")
            message = str(exc) if isinstance(exc, CitebotError) else f"{type(exc).__name__}: {exc}"
            embed = error_embed(f"Re-index failed: {message}\nThe previous index is still answering.")
            await self.edit(interaction, content="", embed=embed)
            return
        log.info("%s", report.summary())
        await self.edit(interaction, content="", embed=report_embed(report.to_json()))
        await self.bot.announce()

    async def show_progress(self, interaction: discord.Interaction, job: Reindex, work: asyncio.Future) -> None:
        """Edit the reply with progress until ``work`` is done: each new stage promptly, counts periodically."""
        shown_stage, last_edit = "", -PROGRESS_EVERY
        while not work.done():
            job.stage_changed.clear()
            since = time.monotonic() - last_edit
            if since >= PROGRESS_EVERY or (job.stage != shown_stage and since >= MIN_EDIT_GAP):
                shown_stage, last_edit = job.stage, time.monotonic()
                await self.edit(interaction, content=job.text())
                continue
            wake = asyncio.ensure_future(job.stage_changed.wait())
            delay = (PROGRESS_EVERY if job.stage == shown_stage else MIN_EDIT_GAP) - since
            await asyncio.wait([work, wake], timeout=max(0.05, delay), return_when=asyncio.FIRST_COMPLETED)
            wake.cancel()

    async def edit(self, interaction: discord.Interaction, **changes) -> None:
        """Edit the deferred reply; a failure (e.g. the 15-minute token expired) is logged, not raised."""
        try:
            await interaction.edit_original_response(allowed_mentions=NONE, **changes)
        except discord.HTTPException as exc:
            log.warning("could not update the /reindex reply: %s", exc)

    @app_commands.command(name="sources", description="List the indexed articles")
    async def sources(self, interaction: discord.Interaction) -> None:
        if not await delivery.acknowledge(interaction, stats=self.bot.stats, ephemeral=True):
            return  # could not reach Discord within 3 s: logged and counted
        library = await self.bot.library_ready()
        try:
            view = server_view(self.bot.config, library, interaction.guild_id)
            rows, total, status = await in_thread(
                lambda: (*view.article_page(SOURCES_PAGE),
                         view.source_status(configured_sources(self.bot.config))))
            origins = await in_thread(lambda: [source_origin(self.bot.config, row["name"]) for row in status])
            embed = sources_embed(rows, total)
            for row, origin in list(zip(status, origins, strict=True))[:25]:  # Discord allows 25 fields
                name = row["name"] + (" (config)" if origin == "config" else "")
                embed.add_field(name=shorten(name, FIELD_NAME_LIMIT), value=source_line(row), inline=False)
        except CitebotError as exc:
            embed = error_embed(str(exc))
        await interaction.edit_original_response(embed=embed, allowed_mentions=NONE)

    @app_commands.command(name="status", description="Index size and age, model, and the last re-index")
    async def status(self, interaction: discord.Interaction) -> None:
        if not await delivery.acknowledge(interaction, stats=self.bot.stats, ephemeral=True):
            return  # could not reach Discord within 3 s: logged and counted
        library = await self.bot.library_ready()
        try:
            info = await in_thread(server_view(self.bot.config, library, interaction.guild_id).status)
        except CitebotError as exc:
            info = {"data_dir": str(library.data_dir), "model": library.embedder.name, "error": str(exc)}
        extra = [
            ("Up for", age_text(time.time() - self.bot.started_at)),
            ("Questions answered", str(self.bot.answered)),
            ("Gateway latency", latency_text(self.bot.latencies)),
        ]
        extra += self.bot.stats.status_rows(self.bot.flood.pending, self.bot.flood.queue_size)
        if self.running is not None:
            extra.append(("Re-index progress", self.running.text()))
        await interaction.edit_original_response(embed=status_embed(info, extra), allowed_mentions=NONE)


def latency_text(latencies: list[tuple[int, float]]) -> str:
    """Heartbeat latency: "42 ms" on one shard, "shard 0: 42 ms · shard 1: —" on several ("—": reconnecting)."""
    def ms(seconds: float) -> str:
        return f"{seconds * 1000:.0f} ms" if seconds < 1e6 else "—"  # inf (no heartbeat yet), nan: none
    if len(latencies) == 1:
        return ms(latencies[0][1])
    return " · ".join(f"shard {shard}: {ms(seconds)}" for shard, seconds in latencies) or "—"


async def setup(bot: CitebotBot) -> None:
    await bot.add_cog(Admin(bot))
