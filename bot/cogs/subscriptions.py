"""/subscribe and /unsubscribe (admins): follow a feed from Discord, found from a site's page when needed; the
subscription is stored in the data folder and polled with the configured feeds (bot/cogs/sources.py). In a home
server it feeds the operator's collection; in any other server it is that server's own (its articles, its
announce channel, at most ``[servers] max_sources`` of them)."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.shared import admin_acknowledged
from bot.command_errors import could_not
from bot.discord_app import CitebotBot, in_thread
from bot.embeds import COLOUR, error_embed
from bot.formats import escape, shorten
from bot.servers import tenant_for
from retrieval.errors import CitebotError

log = logging.getLogger("citebot.subscriptions")

NONE = discord.AllowedMentions.none()


def subscribed_embed(done) -> discord.Embed:
    """What /subscribe did: the feed chosen and how it was found, and what its first poll indexed."""
    sub, found, report = done.subscription, done.feed, done.report
    lines = [f"Feed: <{sub.location}>", f"Found: {escape(found.how)} · {found.items} item(s) listed"]
    if len(found.candidates) > 1:
        lines.append(f"The page links to {len(found.candidates)} feeds: the first one that works was chosen.")
    if report is None:
        lines.append("Its items are indexed at the next poll (another write is running).")
    else:
        line = f"{report.added} new article(s) indexed"
        if report.skipped:
            line += f", {len(report.skipped)} item(s) failed (retried on later polls)"
        lines.append(line + ".")
    lines.append(f"Polled every {sub.poll_minutes} min; new articles are announced in the announce channel "
                 "(/settings).")
    return discord.Embed(title=shorten(f"Subscribed to “{sub.name}”", 256), description="\n".join(lines),
                         colour=COLOUR)


class Subscriptions(commands.Cog):
    """/subscribe, /unsubscribe."""

    def __init__(self, bot: CitebotBot) -> None:
        self.bot = bot

    def server(self, interaction: discord.Interaction) -> int | None:
        """Whose subscriptions the command changes: the server's own, None for a home server's (the operator's)."""
        return tenant_for(self.bot.config, interaction.guild_id).server

    @app_commands.command(name="subscribe", description="Follow a news feed, or the feed a site's page links to "
                          "(admins)")
    @app_commands.describe(url="The feed's address, or a site's page that links to its feed",
                           every="Minutes between polls (default 30)")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    async def subscribe(self, interaction: discord.Interaction, url: str,
                        every: app_commands.Range[int, 1, 1440] | None = None) -> None:
        if not await admin_acknowledged(self.bot, interaction):
            return
        from bot.subscribing import subscribe

        library = await self.bot.library_ready()
        try:
            done = await in_thread(subscribe, self.bot.config, library, self.bot.web_client(), url,
                                   str(interaction.user), every, self.server(interaction))
            embed = subscribed_embed(done)
        except Exception as exc:  # noqa: BLE001 - the admin gets the reason, the log any traceback
            embed = could_not("subscribe to", url, exc, log)
        await interaction.edit_original_response(embed=embed, allowed_mentions=NONE)
        await self.bot.announce()

    @app_commands.command(name="unsubscribe", description="Stop following a subscribed feed (admins)")
    @app_commands.describe(source="The subscribed feed (start typing its name)",
                           delete_articles="Also remove its articles from the index (default: keep them)")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    async def unsubscribe(self, interaction: discord.Interaction, source: str, delete_articles: bool = False) -> None:
        if not await admin_acknowledged(self.bot, interaction):
            return
        from bot.subscribing import unsubscribe

        library = await self.bot.library_ready()
        try:
            sub, count = await in_thread(unsubscribe, self.bot.config, library, source, delete_articles,
                                         self.server(interaction))
            what = f"{count} article(s) removed." if delete_articles else (
                f"Its {count} article(s) stay in the index (/remove removes one).")
            embed = discord.Embed(title=shorten(f"Unsubscribed from “{sub.name}”", 256),
                                  description=f"<{sub.location}>\nNo longer polled. {what}", colour=COLOUR)
        except CitebotError as exc:
            embed = error_embed(escape(str(exc)))
        await interaction.edit_original_response(embed=embed, allowed_mentions=NONE)
        await self.bot.announce()

    @unsubscribe.autocomplete("source")
    async def unsubscribe_autocomplete(self, interaction: discord.Interaction,
                                       current: str) -> list[app_commands.Choice[str]]:
        from retrieval.sources.subscriptions import find, of_server

        try:
            server = self.server(interaction)
        except CitebotError:
            return []
        subs = await in_thread(of_server, self.bot.config.data_dir, server)
        matches = find(subs, current) if current.strip() else subs
        return [app_commands.Choice(name=shorten(f"{s.name} — {s.location}", 100), value=s.name[:100])
                for s in matches[:25]]


async def setup(bot: CitebotBot) -> None:
    await bot.add_cog(Subscriptions(bot))
