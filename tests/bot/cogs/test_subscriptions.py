"""The subscriptions cog's own decisions: feeds feed the operator's shared collection, so /subscribe and
/unsubscribe are for admins of a home server (or the operator's own ids), checked at run time; an admin of any
other server the bot was invited to is refused with one line and nothing is stored (a home admin's subscription:
tests/e2e/test_subscriptions.py)."""

from __future__ import annotations

import discord
import pytest

from bot.checks import REFUSAL
from bot.cogs.subscriptions import NOT_HOME, Subscriptions
from retrieval.sources import subscriptions
from tests.bot.cogs.interactions import GUILD, Interaction, Member, member

ELSEWHERE = GUILD + 1  # a server someone invited the bot to: not in guild_ids


@pytest.fixture
def cog(bot):
    return Subscriptions(bot)


async def test_a_member_without_admin_rights_is_refused(cog, bot) -> None:
    interaction = member()
    await cog.subscribe.callback(cog, interaction, "https://news.example/feed.xml")
    assert interaction.only_reply()["content"] == REFUSAL
    assert subscriptions.load(bot.library.data_dir) == []


async def test_an_admin_of_another_server_cannot_subscribe_the_shared_collection(cog, bot) -> None:
    interaction = Interaction(user=Member(1009, name="stranger"), guild_id=ELSEWHERE,
                              permissions=discord.Permissions(manage_guild=True))
    await cog.subscribe.callback(cog, interaction, "https://news.example/feed.xml")
    assert interaction.only_reply()["content"] == NOT_HOME
    interaction = Interaction(user=Member(1009, name="stranger"), guild_id=ELSEWHERE,
                              permissions=discord.Permissions(manage_guild=True))
    await cog.unsubscribe.callback(cog, interaction, "https://news.example/feed.xml")
    assert interaction.only_reply()["content"] == NOT_HOME
    assert subscriptions.load(bot.library.data_dir) == []

