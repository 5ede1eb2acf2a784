"""Topic alerts: /follow a topic (a member for themselves, by DM; an admin for a channel), /unfollow, /following.
When a newly indexed article matches a followed topic (the answers' relevance, over that article's paragraphs),
the follower gets `New on “topic”: [Title](<link>) · Publisher · date` with the matching sentence quoted: at most
one alert per article per follower, at most ``digest.alerts_per_hour`` an hour, never pinging.

New articles arrive as the ``articles_indexed`` event (``bot.dispatch("articles_indexed", article_ids)``), sent by
whatever indexes them (the feed poller, /add)."""

from __future__ import annotations

import asyncio
import functools
import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import REFUSAL, is_admin
from bot.discord_app import CitebotBot, in_thread
from bot.follow_store import CHANNEL, USER, Follow, FollowStore
from bot.formats import escape, format_date, shorten, shorten_lines
from bot.servers import visible_to
from retrieval.errors import CitebotError
from retrieval.models import Quote
from retrieval.query.alerts import topic_matches

log = logging.getLogger("citebot.follow")

NONE = discord.AllowedMentions.none()
MAX_CHOICES = 25


def alert_text(topic: str, quote: Quote) -> str:
    """'New on “topic”: [Title](<url>) · Publisher · 11 Feb 2022' and the matching sentence quoted."""
    meta = quote.article
    title = escape(shorten(meta.title or meta.article_id, 200))
    head = f"[{title}](<{meta.url}>)" if meta.url and meta.url.startswith(("http://", "https://")) else title
    parts = [head] + [escape(p) for p in (meta.source, format_date(meta.published)) if p]
    sentence = escape(shorten(" ".join(quote.highlight.split()), 1200))
    return f"New on “{escape(shorten(topic, 100))}”: {' · '.join(parts)}\n> {sentence}"


def describe(follow: Follow) -> str:
    where = "by DM" if follow.kind == USER else f"in <#{follow.target}>"
    return f"“{escape(follow.topic)}” ({where})"


class Follows(commands.Cog):
    """/follow, /unfollow, /following and the alerts."""

    def __init__(self, bot: CitebotBot) -> None:
        self.bot = bot
        self.store = FollowStore.in_folder(bot.config.data_dir)
        self.tasks: set[asyncio.Task] = set()

    async def cog_unload(self) -> None:
        for task in self.tasks:
            task.cancel()
        self.store.close()

    # -- commands --------------------------------------------------------------------------------------------
    @app_commands.command(name="follow", description="Get an alert when a new article is about a topic")
    @app_commands.describe(topic="The subject, e.g. “harbour repairs”",
                           channel="Alert a channel instead of you by DM (admins)")
    async def follow(self, interaction: discord.Interaction, topic: str,
                     channel: discord.TextChannel | None = None) -> None:
        if channel is not None and not is_admin(interaction, self.bot.config.discord):
            await interaction.response.send_message(REFUSAL, ephemeral=True, allowed_mentions=NONE)
            return
        kind, target = (CHANNEL, channel.id) if channel is not None else (USER, interaction.user.id)
        try:
            followed, new = await in_thread(functools.partial(
                self.store.follow, kind, target, topic, guild_id=interaction.guild_id, created_by=interaction.user.id))
        except CitebotError as exc:
            await interaction.response.send_message(str(exc), ephemeral=True, allowed_mentions=NONE)
            return
        where = f"in {channel.mention}" if channel is not None else "to you by DM"
        text = (f"Following “{escape(followed.topic)}”: new articles about it will be announced {where}. "
                "`/unfollow` stops it." if new else f"Already following “{escape(followed.topic)}” {where}.")
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NONE)

    @app_commands.command(name="unfollow", description="Stop alerts about a topic")
    @app_commands.describe(topic="A followed topic (start typing)")
    async def unfollow(self, interaction: discord.Interaction, topic: str) -> None:
        follows = await in_thread(self.visible, interaction)
        wanted = " ".join(topic.split()).casefold()
        chosen = next((f for f in follows if str(f.id) == topic.strip()), None) or next(
            (f for f in follows if f.topic.casefold() == wanted), None)
        if chosen is None:
            listed = ", ".join(describe(f) for f in follows[:10]) or "none"
            await interaction.response.send_message(
                f"You follow no topic “{escape(shorten(topic, 100))}”. Followed: {listed}.", ephemeral=True,
                allowed_mentions=NONE)
            return
        await in_thread(self.store.unfollow, chosen.id)
        await interaction.response.send_message(f"Stopped following {describe(chosen)}.", ephemeral=True,
                                                allowed_mentions=NONE)

    @unfollow.autocomplete("topic")
    async def unfollow_autocomplete(self, interaction: discord.Interaction, current: str,
                                    ) -> list[app_commands.Choice[str]]:
        typed = current.casefold().strip()
        follows = await in_thread(self.visible, interaction)
        choices = []
        for f in follows:
            if typed in f.topic.casefold():
                where = "by DM" if f.kind == USER else f"in #{getattr(self.bot.get_channel(f.target), 'name', '?')}"
                choices.append(app_commands.Choice(name=shorten(f"{f.topic} ({where})", 100), value=str(f.id)))
        return choices[:MAX_CHOICES]

    @app_commands.command(name="following", description="The topics you (and this server's channels) follow")
    async def following(self, interaction: discord.Interaction) -> None:
        follows = await in_thread(self.store.of, interaction.user.id, None, interaction.guild_id)
        lines = [f"• {describe(f)}" for f in follows]
        text = ("Followed topics:\n" + "\n".join(lines)) if lines else (
            "No topics followed. `/follow topic:` sends you new articles about a subject by DM.")
        await interaction.response.send_message(shorten_lines(text, 2000), ephemeral=True, allowed_mentions=NONE)

    def visible(self, interaction: discord.Interaction) -> list[Follow]:
        """(Worker thread.) The follows this user may remove: their own, and as an admin the server's channels'."""
        admin = interaction.guild_id is not None and is_admin(interaction, self.bot.config.discord)
        return self.store.of(interaction.user.id, None, interaction.guild_id if admin else None)

    # -- alerts ----------------------------------------------------------------------------------------------
    @commands.Cog.listener()
    async def on_articles_indexed(self, article_ids: list[str]) -> None:
        task = asyncio.ensure_future(self.alert(list(article_ids)))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def alert(self, article_ids: list[str]) -> None:
        """Alert every follower whose topic a new article matches (once per article and follower)."""
        try:
            follows = await in_thread(self.store.all)
            if not follows or not article_ids:
                return
            library = await self.bot.library_ready()
            topics = sorted({f.topic for f in follows})
            matches = await self.bot.in_slot(lambda: topic_matches(library.answerer(), topics, article_ids))
            visible = await in_thread(visible_to, self.bot.config, library, {f.guild_id for f in follows})
            sent = 0
            for article_id in article_ids:
                for follow in follows:
                    quote = matches.get((follow.topic, article_id))
                    if quote is not None and article_id in visible.get(follow.guild_id, ()):
                        sent += await self.send(follow, article_id, quote)
            log.info("topic alerts for %d new article(s): %d sent", len(article_ids), sent)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - alerts never break indexing
            log.exception("topic alerts for %s failed", article_ids)

    async def send(self, follow: Follow, article_id: str, quote: Quote) -> bool:
        """Alert one follower about one article unless already alerted or over the hour's limit; True if sent."""
        claim = await in_thread(self.store.claim, follow, article_id, self.bot.config.digest.alerts_per_hour)
        if claim != "send":
            if claim == "limited":
                log.info("alert on %r for %s %s dropped: %d an hour already", follow.topic, follow.kind,
                         follow.target, self.bot.config.digest.alerts_per_hour)
            return False
        try:
            if follow.kind == USER:
                channel = await self.bot.create_dm(discord.Object(follow.target))
            else:
                channel = self.bot.get_channel(follow.target) or await self.bot.fetch_channel(follow.target)
            async with self.bot.pacer.slot(channel.id):
                await channel.send(alert_text(follow.topic, quote), allowed_mentions=NONE,  # type: ignore[union-attr]
                                   suppress_embeds=True)
            log.info("alerted %s %s about %s (“%s”)", follow.kind, follow.target, article_id, follow.topic)
            return True
        except (discord.Forbidden, discord.NotFound) as exc:  # DMs closed, channel gone: not retried
            log.warning("cannot alert %s %s: %s", follow.kind, follow.target, exc)
        except (discord.HTTPException, OSError) as exc:
            log.warning("alert to %s %s failed (%s); a later match may try again", follow.kind, follow.target, exc)
            await in_thread(self.store.release, follow, article_id)
        return False


async def setup(bot: CitebotBot) -> None:
    await bot.add_cog(Follows(bot))
