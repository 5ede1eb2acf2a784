"""Admin and information commands: /reindex (admins only, with progress), /sources and /status."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import REFUSAL, is_admin
from bot.discord_app import CitebotBot, in_thread
from bot.embeds import age_text, error_embed, progress_text, report_embed, sources_embed, status_embed
from retrieval.errors import CitebotError, ReindexBusyError

log = logging.getLogger("citebot.admin")

NONE = discord.AllowedMentions.none()
#: Seconds between edits of the /reindex progress message (webhook edits are rate limited).
PROGRESS_EVERY = 1.5


@dataclass
class Reindex:
    """The re-index in progress: who started it, when, and the latest progress from the worker thread."""

    user: str
    started: float
    stage: str = "start"
    done: int = 0
    total: int = 0

    def progress(self, stage: str, done: int, total: int) -> None:
        """(Worker thread.) Record progress; the event loop shows it at its own pace."""
        self.stage, self.done, self.total = stage, done, total

    def text(self) -> str:
        return progress_text(self.stage, self.done, self.total, time.monotonic() - self.started)


class Admin(commands.Cog):
    """/reindex, /sources, /status."""

    def __init__(self, bot: CitebotBot) -> None:
        self.bot = bot
        self.running: Reindex | None = None

    @app_commands.command(name="reindex", description="Re-read the article folders and rebuild the index (admins)")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    async def reindex(self, interaction: discord.Interaction) -> None:
        if not is_admin(interaction, self.bot.config.discord):
            await interaction.response.send_message(REFUSAL, ephemeral=True, allowed_mentions=NONE)
            return
        if self.running is not None or self.bot.library.indexing:
            await interaction.response.send_message(self.busy_text(), ephemeral=True, allowed_mentions=NONE)
            return
        job = self.running = Reindex(user=str(interaction.user), started=time.monotonic())
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
        folders = self.bot.config.article_folders
        log.info("re-index of %s started by %s", ", ".join(map(str, folders)), job.user)
        work = asyncio.ensure_future(in_thread(library.index, folders, job.progress))
        shown = ""
        while not work.done():
            text = job.text()
            if text != shown:
                shown = text
                await self.edit(interaction, content=text)
            await asyncio.wait([work], timeout=PROGRESS_EVERY)
        try:
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

    async def edit(self, interaction: discord.Interaction, **changes) -> None:
        """Edit the deferred reply; a failure (e.g. the 15-minute token expired) is logged, not raised."""
        try:
            await interaction.edit_original_response(allowed_mentions=NONE, **changes)
        except discord.HTTPException as exc:
            log.warning("could not update the /reindex reply: %s", exc)

    @app_commands.command(name="sources", description="List the indexed articles")
    async def sources(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        library = await self.bot.library_ready()
        try:
            embed = sources_embed(await in_thread(library.sources))
        except CitebotError as exc:
            embed = error_embed(str(exc))
        await interaction.edit_original_response(embed=embed, allowed_mentions=NONE)

    @app_commands.command(name="status", description="Index size and age, model, and the last re-index")
    async def status(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        library = await self.bot.library_ready()
        info = await in_thread(library.status)
        extra = [
            ("Up for", age_text(time.time() - self.bot.started_at)),
            ("Questions answered", str(self.bot.answered)),
            ("Gateway latency", f"{self.bot.latency * 1000:.0f} ms" if self.bot.latency < 1e6 else "—"),
        ]
        if self.running is not None:
            extra.append(("Re-index progress", self.running.text()))
        await interaction.edit_original_response(embed=status_embed(info, extra), allowed_mentions=NONE)


async def setup(bot: CitebotBot) -> None:
    await bot.add_cog(Admin(bot))
