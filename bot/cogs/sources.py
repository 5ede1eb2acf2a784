"""Sources: /add and /remove (admins), and feeds polled on their schedule in the background with optional
announcements of new articles. All fetching and indexing runs in worker threads, never on the event loop."""

from __future__ import annotations

import asyncio
import logging
import time

import discord
from discord import app_commands
from discord.ext import commands

from bot.background import every
from bot.cogs.shared import admin_acknowledged, article_choices
from bot.command_errors import could_not
from bot.discord_app import CitebotBot, in_thread
from bot.embeds import COLOUR, error_embed
from bot.formats import escape, format_date, shorten
from bot.servers import home_guild_ids, server_view, visible_to, within_limit
from bot.services import configured_sources
from bot.subscribing import comeback_warning, feed_hint
from retrieval.errors import CitebotError
from retrieval.sources.sync import source_name

log = logging.getLogger("citebot.sources")

NONE = discord.AllowedMentions.none()
POLL_CHECK_SECONDS = 20.0  # how often the poller looks for feeds that are due
ANNOUNCE_GAP = 2.0  # seconds between two announcements (rate limit)
ANNOUNCE_MAX = 10  # announcements per poll; the rest are counted in one line


def article_line(meta, paragraphs: int | None = None) -> str:
    """'[Title](<url>) · Publisher · date' (the angle brackets stop Discord's link preview)."""
    title = escape(shorten(meta.title or meta.article_id, 200))
    head = f"[{title}](<{meta.url}>)" if meta.url else title
    parts = [head] + [escape(p) for p in (meta.source, format_date(meta.published)) if p]
    if paragraphs is not None:
        parts.append(f"{paragraphs} ¶")
    return " · ".join(parts)


class Sources(commands.Cog):
    """/add, /remove and the background poller."""

    def __init__(self, bot: CitebotBot) -> None:
        self.bot = bot
        self.poller: asyncio.Task | None = None
        self.polling = False

    async def cog_load(self) -> None:
        self.poller = asyncio.ensure_future(self.poll_forever())

    async def cog_unload(self) -> None:
        if self.poller is not None:
            self.poller.cancel()

    # -- /add ------------------------------------------------------------------------------------------------
    @app_commands.command(name="add", description="Fetch one article by URL and index it (admins)")
    @app_commands.describe(url="The article's web address (http or https)")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    async def add(self, interaction: discord.Interaction, url: str) -> None:
        if not await admin_acknowledged(self.bot, interaction):
            return
        library = await self.bot.library_ready()
        new_article = None
        try:
            view = server_view(self.bot.config, library, interaction.guild_id)
            if view.tenant.server is None:  # a home server: the config collection, as a single-server bot
                meta, paragraphs, status = await in_thread(self._add, library, url.strip())
            else:
                meta, paragraphs, status = await in_thread(self._add_to_server, view, url.strip())
            new_article = meta.article_id if status == "added" else None
            embed = discord.Embed(title=f"Article {status}", description=article_line(meta, paragraphs),
                                  colour=COLOUR)
        except Exception as exc:  # noqa: BLE001 - the admin gets the reason, the log any traceback
            embed = could_not("add", url, exc, log)
        await interaction.edit_original_response(embed=embed, allowed_mentions=NONE)
        if new_article is not None:
            self.bot.dispatch("articles_indexed", [new_article])  # topic alerts (bot/cogs/follow.py)
        await self.bot.announce()

    def fetch(self, url: str):
        """(Worker thread.) Fetch and extract one page; ``CitebotError`` with the reason when it cannot."""
        from retrieval.sources import FetchError, NotAnArticle, fetch_article

        try:
            return fetch_article(self.bot.web_client(), url)
        except (FetchError, NotAnArticle) as exc:
            reason = getattr(exc, "reason", None) or str(exc)
            raise CitebotError(feed_hint(url, reason, f"`/subscribe url:{url}`") or reason) from None

    def _add_to_server(self, view, url: str):
        """(Worker thread.) Add one page to a server's own articles (a page stored already is not fetched again)."""
        key, status = view.add_url(url, self.fetch)
        meta, count = view.library.indexed_articles([key])[key]
        return meta, count, status

    def _add(self, library, url: str):
        """(Worker thread.) Fetch, extract and upsert one page; (meta, paragraph count, 'added'|'updated'|...)."""
        article = self.fetch(url)
        report = library.upsert([article])
        if report.skipped:
            raise CitebotError(report.skipped[0][1])
        key = library.indexer.resolve(article.meta.article_id)
        key = key or (report.titles[0] if report.titles else article.meta.article_id)
        meta, count = library.indexed_articles([key])[key]
        status = "added" if report.added else "updated" if report.updated else "already indexed (unchanged)"
        return meta, count, status

    # -- /remove ---------------------------------------------------------------------------------------------
    @app_commands.command(name="remove", description="Remove an article from the index (admins)")
    @app_commands.describe(article="The article (start typing its title), or its id or URL")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    async def remove(self, interaction: discord.Interaction, article: str) -> None:
        if not await admin_acknowledged(self.bot, interaction):
            return
        library = await self.bot.library_ready()
        def remove() -> tuple[list, str | None]:
            view = server_view(self.bot.config, library, interaction.guild_id)
            if view.tenant.server is not None:  # a server's own membership (the article stays while others hold it)
                return view.remove(article), None
            key, origins = library.name_article(article)
            return view.remove(key), comeback_warning(self.bot.config, origins, discord=True)

        try:
            removed, warning = await in_thread(remove)
            lines = "\n".join([*(article_line(meta) for meta in removed), *([escape(warning)] if warning else [])])
            embed = discord.Embed(title="Removed", description=lines or "Nothing to remove.", colour=COLOUR)
        except CitebotError as exc:
            embed = error_embed(escape(str(exc)))
        await interaction.edit_original_response(embed=embed, allowed_mentions=NONE)
        await self.bot.announce()

    @remove.autocomplete("article")
    async def remove_autocomplete(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice]:
        return article_choices(await self.bot.find_articles(current, guild_id=interaction.guild_id), current)

    # -- polling ---------------------------------------------------------------------------------------------
    async def poll_forever(self) -> None:
        """Poll each feed when its ``poll_minutes`` have passed since its last poll (one feed at a time)."""
        await every(self.bot, POLL_CHECK_SECONDS, self.poll_due, log, "polling")

    async def poll_due(self) -> None:
        library = self.bot.library
        from retrieval.sources.subscriptions import server_specs

        feeds = [(None, s) for s in configured_sources(self.bot.config) if getattr(s, "kind", "folder") == "feed"]
        feeds += await in_thread(server_specs, self.bot.config.data_dir)  # each server's own subscriptions
        if not feeds or library.indexing:
            return
        rows = await in_thread(library.sources_sync.rows)
        now = time.time()
        for server, spec in feeds:
            row = rows.get(source_name(spec), {})
            last = row.get("last_poll")
            if last and now - last < 60 * getattr(spec, "poll_minutes", 30):
                continue
            first_poll = not last
            spec = await in_thread(within_limit, self.bot.config, library.store, server, spec)
            if spec is None:  # the server holds its [servers] max_articles: nothing more is read
                continue
            self.polling = True
            try:
                report = await in_thread(library.sync, [spec], self.bot.web_client(), None, prune=False, refetch=False)
            except CitebotError as exc:
                log.info("poll of %s: %s", source_name(spec), exc)
                continue
            finally:
                self.polling = False
            log.info("polled %s: %s", source_name(spec), report.summary())
            if report.new and not first_poll:  # a new feed's backlog is indexed silently
                self.bot.dispatch("articles_indexed", list(report.new))  # topic alerts (bot/cogs/follow.py)
                await self.announce_new(report.new, server)
            if report.added or report.removed:
                await self.bot.announce()

    def announce_channel(self, server: int | None) -> int:
        """Where new articles of ``server``'s feeds are announced (None: the operator's feeds): the server's
        /settings announce channel; for the operator's, a home server's setting, else ``[discord]
        announce_channel_id``. 0: nowhere."""
        settings = getattr(self.bot, "server_settings", None)
        default = self.bot.config.discord.announce_channel_id
        if server is not None:
            return settings.announce_channel(server, 0) if settings is not None else 0
        homes = sorted(home_guild_ids(self.bot.config))
        return settings.announce_channel(homes[0], default) if settings is not None and homes else default

    async def announce_new(self, keys: list[str], server: int | None = None) -> None:
        """Post each new article of ``server``'s feeds (None: the operator's) in its announce channel: rate
        limited, no mentions, only articles that server sees, only in a channel of that server."""
        channel_id = self.announce_channel(server)
        if not channel_id:
            return
        channel = self.bot.get_channel(channel_id)
        if channel is None:
            try:
                channel = await self.bot.fetch_channel(channel_id)
            except discord.HTTPException as exc:
                log.warning("announce channel %s unavailable: %s", channel_id, exc)
                return
        if server is not None:
            if getattr(channel, "guild", None) is None or channel.guild.id != server:
                log.warning("announce channel %s is not a channel of server %s: not announced", channel_id, server)
                return
            seen = (await in_thread(visible_to, self.bot.config, self.bot.library, {server}))[server]
            keys = [k for k in keys if k in seen]
        indexed = self.bot.library.indexed_articles(keys, loaded_only=True)
        metas = [indexed[k][0] for k in keys if k in indexed]
        for n, meta in enumerate(metas):
            if n == ANNOUNCE_MAX:
                await channel.send(f"…and {len(metas) - n} more new articles (see /sources).", allowed_mentions=NONE)
                break
            try:
                await channel.send(f"New: {article_line(meta)}", allowed_mentions=NONE, suppress_embeds=True)
            except discord.HTTPException as exc:
                log.warning("could not announce %s: %s", meta.article_id, exc)
            await asyncio.sleep(ANNOUNCE_GAP)


async def setup(bot: CitebotBot) -> None:
    await bot.add_cog(Sources(bot))
