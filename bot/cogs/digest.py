"""Daily digests: /digest (admins) sets a channel, a time and optionally a topic; every day at that time the bot
posts the main stories of the day (one attributed key sentence each, with its link), once per day even across
restarts, never pinging, nothing when there is no news. A digest missed while the bot was down is posted when it
starts, if it is still the same day."""

from __future__ import annotations

import asyncio
import functools
import logging
import zlib
from datetime import date

import discord
from discord import app_commands
from discord.ext import commands

from bot.background import every
from bot.checks import REFUSAL, is_admin
from bot.clock import clock_from_env
from bot.digest_store import Digest, DigestStore
from bot.discord_app import CitebotBot, in_thread
from bot.embeds import summary_embed
from bot.follow_store import clean_topic
from bot.formats import escape, shorten
from bot.servers import server_view
from retrieval.errors import CitebotError
from retrieval.models import Summary
from retrieval.query.timefilter import TimeWindow

log = logging.getLogger("citebot.digest")

NONE = discord.AllowedMentions.none()
OFF = ("off", "stop", "none")


def digest_summary(library, digest: Digest, day: date, stories: int) -> Summary:
    """(Worker thread.) The digest for ``day``: the main stories published the day before and that day (about the
    digest's topic, if any), without the articles of the previous digest."""
    since, until = digest.period(day)
    window = TimeWindow(since=since, until=until)
    wanted = stories + len(digest.last_articles)
    summary = library.summary(wanted, topic=digest.topic or None, window=window)
    fresh = [s for s in summary.sentences if s.article.article_id not in digest.last_articles]
    if digest.topic:  # a topic summary may quote one article twice: one sentence per story
        seen: set[str] = set()
        fresh = [s for s in fresh if not (s.article.article_id in seen or seen.add(s.article.article_id))]
    return Summary(article=None, topic=summary.topic, sentences=fresh[:stories], period=summary.period)


def digest_embed(summary: Summary, digest: Digest, day: date) -> discord.Embed:
    """The posted digest: the summary embed under a 'Daily digest' title."""
    embed = summary_embed(summary)
    about = f" on “{shorten(digest.topic, 100)}”" if digest.topic else ""
    embed.title = f"Daily digest{about} · {day.strftime('%a')} {day.day} {day.strftime('%b %Y')}"
    return embed


class Digests(commands.Cog):
    """/digest and the daily schedule."""

    def __init__(self, bot: CitebotBot) -> None:
        self.bot = bot
        self.clock = getattr(bot, "clock", None) or clock_from_env()
        self.store = DigestStore.in_folder(bot.config.data_dir)
        self.task: asyncio.Task | None = None
        self.woken: asyncio.Future | None = None
        self.checking = asyncio.Lock()  # one check at a time: the schedule's and one woken by /digest

    async def cog_load(self) -> None:
        self.task = asyncio.ensure_future(self.run())

    async def cog_unload(self) -> None:
        if self.task is not None:
            self.task.cancel()
        self.store.close()

    @property
    def timezone(self) -> str:
        return self.bot.config.digest.timezone or self.bot.config.discord.timezone

    # -- /digest ---------------------------------------------------------------------------------------------
    @app_commands.command(name="digest", description="Post the day's main stories in a channel every day (admins)")
    @app_commands.describe(
        channel="Where the digest is posted",
        time="When, as HH:MM in the server's time zone (e.g. 08:00); 'off' stops this channel's digest",
        topic="Only stories about this subject (default: all the main stories)",
        timezone="An IANA time zone for the time, e.g. Europe/Paris (default: the bot's)",
    )
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    async def digest(self, interaction: discord.Interaction, channel: discord.TextChannel, time: str,
                     topic: str | None = None, timezone: str | None = None) -> None:
        if not is_admin(interaction, self.bot.config.discord):
            await interaction.response.send_message(REFUSAL, ephemeral=True, allowed_mentions=NONE)
            return
        try:
            topic = clean_topic(topic) if topic and topic.strip() else ""
        except CitebotError as exc:
            await interaction.response.send_message(str(exc), ephemeral=True, allowed_mentions=NONE)
            return
        if time.strip().lower() in OFF:
            stopped = await in_thread(self.store.remove, channel.id, topic)
            text = (f"Stopped the daily digest{self.about(topic)} in {channel.mention}." if stopped else
                    f"There was no daily digest{self.about(topic)} in {channel.mention}.")
            await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NONE)
            return
        try:
            saved = await in_thread(functools.partial(
                self.store.set, channel.id, time, (timezone or "").strip() or self.timezone, topic=topic,
                guild_id=interaction.guild_id, created_by=interaction.user.id, now=self.clock.now()))
        except CitebotError as exc:
            await interaction.response.send_message(str(exc), ephemeral=True, allowed_mentions=NONE)
            return
        today = saved.local_now(self.clock.now()).date().isoformat()
        first = "tomorrow" if saved.last_day == today else "today"
        await interaction.response.send_message(
            f"Daily digest{self.about(topic)} set: {channel.mention} at {saved.at} ({saved.tz}), the first one "
            f"{first}. Days without news get no digest; `/digest channel:#{channel.name} time:off` stops it.",
            ephemeral=True, allowed_mentions=NONE)
        self.wake()

    @staticmethod
    def about(topic: str) -> str:
        return f" on “{escape(shorten(topic, 100))}”" if topic else ""

    # -- the schedule ----------------------------------------------------------------------------------------
    def wake(self) -> None:
        """Look for due digests now (a digest just set for a time already past today)."""
        self.woken = asyncio.ensure_future(self.post_due())  # kept: a task nobody holds may be collected

    async def run(self) -> None:
        """Every ``digest.check_seconds``: post the digests that are due (start-up included)."""
        await every(self.bot, self.bot.config.digest.check_seconds, self.post_due, log, "digest check")

    async def post_due(self) -> None:
        async with self.checking:
            now = self.clock.now()
            for digest in await in_thread(self.store.all):
                day = digest.due_day(now)
                if day is not None:
                    await self.post(digest, day)

    async def post(self, digest: Digest, day: date) -> None:
        """Post ``day``'s digest (or note that there was no news), then record the day as done."""
        current = await in_thread(self.store.get, digest.channel_id, digest.topic)
        if current is None or current.last_day == day.isoformat():  # stopped, or posted meanwhile
            return
        library = await self.bot.library_ready()
        try:
            view = server_view(self.bot.config, library, current.guild_id)  # that server's articles only
            summary = await self.bot.in_slot(digest_summary, view, current, day, self.bot.config.digest.stories)
        except CitebotError as exc:
            log.info("no digest for channel %s on %s: %s", digest.channel_id, day, exc)
            await in_thread(self.store.mark, current, day)
            return
        if not summary.sentences:
            log.info("no news for the digest of channel %s on %s", digest.channel_id, day)
            await in_thread(self.store.mark, current, day)
            return
        channel = self.bot.get_channel(digest.channel_id)
        try:
            if channel is None:
                channel = await self.bot.fetch_channel(digest.channel_id)
            # the same nonce on a retry: Discord returns the message already made instead of a second one
            nonce = f"dg{day:%y%m%d}{(digest.channel_id ^ zlib.crc32(digest.topic.encode())) % 10**14}"
            await channel.send(embed=digest_embed(summary, current, day), allowed_mentions=NONE,  # type: ignore
                               nonce=nonce)
        except (discord.Forbidden, discord.NotFound) as exc:  # a channel gone or closed to the bot: skip the day
            log.error("cannot post the digest in channel %s: %s", digest.channel_id, exc)
            await in_thread(self.store.mark, current, day)
            return
        except (discord.HTTPException, OSError) as exc:  # Discord down: tried again at the next check
            log.warning("posting the digest in channel %s failed (%s); trying again", digest.channel_id, exc)
            return
        articles = list(dict.fromkeys(s.article.article_id for s in summary.sentences))
        await in_thread(self.store.mark, current, day, articles)
        log.info("posted the digest of %s in channel %s: %d stories", day, digest.channel_id, len(articles))


async def setup(bot: CitebotBot) -> None:
    await bot.add_cog(Digests(bot))
