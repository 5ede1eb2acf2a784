"""Helpers several cogs use (cogs never import each other): autocomplete choices for articles, the admin gate."""

from __future__ import annotations

from collections.abc import Iterable

import discord
from discord import app_commands

from bot import delivery
from bot.checks import REFUSAL, is_admin
from bot.formats import shorten
from retrieval.models import ArticleMeta

MAX_CHOICES = 25  # Discord's limit for autocomplete choices
CHOICE_LIMIT = 100  # Discord's limit for a choice's name and (string) value
NO_PINGS = discord.AllowedMentions.none()


def article_choices(articles: Iterable[ArticleMeta], typed: str, limit: int = MAX_CHOICES) -> list[app_commands.Choice]:
    """Autocomplete choices for what the user has typed so far (value: the article id).

    Every typed word must occur in the title (or the id), ignoring case; titles starting with the text come first,
    then titles containing it as typed, then the rest, each newest first. Nothing typed: the newest articles.
    """
    wanted = " ".join(typed.split()).casefold()
    words = wanted.split()
    ranked: list[tuple[int, int, ArticleMeta]] = []
    for order, meta in enumerate(articles):
        title = (meta.title or meta.article_id).casefold()
        haystack = f"{title} {meta.article_id.casefold()}"
        if not all(word in haystack for word in words):
            continue
        rank = 0 if title.startswith(wanted) else 1 if wanted in title else 2
        ranked.append((rank, order, meta))
    ranked.sort(key=lambda item: item[:2])
    choices = []
    for _, _, meta in ranked[:limit]:
        name = shorten(meta.title or meta.article_id, CHOICE_LIMIT) or meta.article_id[:CHOICE_LIMIT]
        value = meta.article_id
        if len(value) > CHOICE_LIMIT:  # too long for a choice value: the title's start also finds the article
            value = (meta.title or meta.article_id)[:CHOICE_LIMIT]
        choices.append(app_commands.Choice(name=name, value=value))
    return choices


async def admin_acknowledged(bot, interaction: discord.Interaction) -> bool:
    """Refuse a non-admin privately (checked at run time), else acknowledge within Discord's 3 s (privately);
    True to go on."""
    if not is_admin(interaction, bot.config.discord):
        await interaction.response.send_message(REFUSAL, ephemeral=True, allowed_mentions=NO_PINGS)
        return False
    return await delivery.acknowledge(interaction, stats=bot.stats, ephemeral=True)
