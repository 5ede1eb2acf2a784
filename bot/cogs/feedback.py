"""Feedback: the answers' buttons (registered here so they work after restarts) and /report (admins): what was
asked over a period, how it was rated, and what the articles could not answer."""

from __future__ import annotations

import functools
import logging
import time
from datetime import UTC, datetime

import discord
from discord import app_commands
from discord.ext import commands

from bot import delivery
from bot.checks import REFUSAL, is_admin
from bot.discord_app import CitebotBot, in_thread
from bot.embeds import COLOUR, error_embed
from bot.feedback_buttons import BUTTONS, store_of
from bot.formats import escape, shorten, shorten_lines
from retrieval.errors import CitebotError
from retrieval.feedback_report import build_report, parse_since

log = logging.getLogger("citebot.feedback")

NONE = discord.AllowedMentions.none()
FIELD_LIMIT = 1024


def percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "—"


def report_embed(report: dict, period: str) -> discord.Embed:
    """/report's answer: the counts as fields, then the not-covered groups and the worst-rated answers."""
    asked, answered, missed = report["questions"], report["answered"], report["not_covered"]
    since = datetime.fromtimestamp(report["since"], UTC).strftime("%Y-%m-%d %H:%M UTC")
    embed = discord.Embed(title=shorten(f"Questions since {since} ({period})", 256), colour=COLOUR)
    embed.add_field(name="Questions asked", value=str(asked))
    embed.add_field(name="Answered", value=f"{answered} ({percent(answered, asked)})")
    embed.add_field(name="Not covered", value=f"{missed} ({percent(missed, asked)})")
    up, down = report["up"], report["down"]
    embed.add_field(name="👍 / 👎", value=f"{up} / {down}" + (f" ({percent(up, up + down)} 👍)" if up + down else ""))
    groups = [f"{n}. “{escape(shorten(g['question'], 150))}” ×{g['count']}"
              + (f" (also: {'; '.join('“' + escape(shorten(e, 60)) + '”' for e in g['examples'])})"
                 if g["examples"] else "")
              for n, g in enumerate(report["not_covered_groups"], 1)]
    embed.add_field(name="Most asked, not covered (what to subscribe to next)",
                    value=shorten_lines("\n".join(groups), FIELD_LIMIT) or "None: every question was answered.",
                    inline=False)
    worst = [f"• “{escape(shorten(w['question'], 120))}” — {w['up']} 👍 / {w['down']} 👎"
             + (f", quoted “{escape(shorten(w['quote'], 100))}”" if w["quote"] else "")
             for w in report["worst_rated"]]
    embed.add_field(name="Worst rated", value=shorten_lines("\n".join(worst), FIELD_LIMIT) or "No 👎 in this period.",
                    inline=False)
    return embed


class Feedback(commands.Cog):
    """The answers' 👍 / 👎 / More sources buttons, and /report."""

    def __init__(self, bot: CitebotBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*BUTTONS)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(*BUTTONS)
        store = getattr(self.bot, "feedback_store", None)
        if store is not None:
            store.close()

    @app_commands.command(name="report", description="Questions asked, answered, rated, and not covered (admins)")
    @app_commands.describe(since="The period: hours, days or weeks back (24h, 7d, 2w) or a day (YYYY-MM-DD); "
                                 "default 7d")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    async def report(self, interaction: discord.Interaction, since: str = "7d") -> None:
        if not is_admin(interaction, self.bot.config.discord):
            await interaction.response.send_message(REFUSAL, ephemeral=True, allowed_mentions=NONE)
            return
        try:
            start = parse_since(since, time.time())
        except CitebotError as exc:
            await interaction.response.send_message(str(exc), ephemeral=True, allowed_mentions=NONE)
            return
        if not await delivery.acknowledge(interaction, stats=self.bot.stats, ephemeral=True):
            return
        try:
            library = await self.bot.library_ready()
            store = store_of(self.bot)
            data = await in_thread(functools.partial(build_report, store, start, library.embedder.encode_query))
            embed = report_embed(data, since.strip())
        except Exception as exc:  # noqa: BLE001 - the admin gets the reason, the log the traceback
            log.exception("/report failed")
            embed = error_embed(f"Could not build the report: {type(exc).__name__}: {exc}")
        await delivery.edit_original(interaction, embed=embed, stats=self.bot.stats, pacer=self.bot.pacer,
                                     deadline_s=self.bot.config.limits.delivery_deadline_s)


async def setup(bot: CitebotBot) -> None:
    await bot.add_cog(Feedback(bot))
