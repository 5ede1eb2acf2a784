"""/summary: key sentences, word for word, of an article, about a topic, or of the latest article."""

from __future__ import annotations

import functools
import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.shared import article_choices
from bot.discord_app import CitebotBot
from bot.embeds import error_embed, summary_embed
from bot.servers import server_view
from retrieval.errors import CitebotError
from retrieval.query.timefilter import TimeWindow

log = logging.getLogger("citebot.summary")

NONE = discord.AllowedMentions.none()
BOTH = "Give an article or a topic, not both: `/summary article:…` or `/summary topic:…` (or neither for the latest)."
FAILED = "Sorry, something went wrong while summarising; the error has been logged."


class Summaries(commands.Cog):
    """/summary with article autocomplete."""

    def __init__(self, bot: CitebotBot) -> None:
        self.bot = bot

    @app_commands.command(
        name="summary", description="Key sentences, word for word: of an article, about a topic, or the latest article"
    )
    @app_commands.describe(
        article="An indexed article (start typing its title); leave out for the latest article",
        topic="A subject to summarise across the articles",
        sentences="How many key sentences, 1-10 (default: the bot's configured number)",
        since="Only articles published on or after: YYYY-MM-DD or days/weeks back (1d, 2w); alone: a digest",
        until="Only articles published on or before: YYYY-MM-DD or days/weeks back (1d, 2w)",
    )
    async def summary(
        self,
        interaction: discord.Interaction,
        article: str | None = None,
        topic: str | None = None,
        sentences: app_commands.Range[int, 1, 10] | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> None:
        if article is not None and topic is not None:
            await interaction.response.send_message(BOTH, ephemeral=True, allowed_mentions=NONE)
            return
        try:
            window = TimeWindow.parse(since, until, self.bot.config.today()) if since or until else None
        except CitebotError as exc:  # a bad date: say so at once, privately
            await interaction.response.send_message(str(exc), ephemeral=True, allowed_mentions=NONE)
            return
        await interaction.response.defer(thinking=True)  # first: Discord allows 3 s
        count = sentences or self.bot.config.summary.sentences
        embed = await self.embed_for(count, article, topic, window, guild_id=interaction.guild_id)
        try:
            await interaction.edit_original_response(embed=embed, allowed_mentions=NONE)
        except discord.HTTPException as exc:
            log.warning("could not deliver the /summary reply: %s", exc)

    @summary.autocomplete("article")
    async def article_autocomplete(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice]:
        return article_choices(await self.bot.find_articles(current, guild_id=interaction.guild_id), current)

    async def embed_for(self, sentences: int, article: str | None, topic: str | None,
                        window: TimeWindow | None = None, guild_id: int | None = None) -> discord.Embed:
        """The summary embed, or an error embed the user can act on (an unknown article names the closest);
        from the articles the server ``guild_id`` sees (None: a DM)."""
        library = await self.bot.library_ready()
        try:
            view = server_view(self.bot.config, library, guild_id)
            summary = await self.bot.in_slot(functools.partial(view.summary, sentences, article, topic,
                                                               window=window))
        except CitebotError as exc:  # ArticleNotFoundError among them: its message lists the closest titles
            return error_embed(str(exc))
        except Exception:  # noqa: BLE001 - never leave a /summary unanswered
            log.exception("summary (article=%r, topic=%r) failed", article, topic)
            return error_embed(FAILED)
        return summary_embed(summary, latest=article is None and topic is None)


async def setup(bot: CitebotBot) -> None:
    await bot.add_cog(Summaries(bot))
