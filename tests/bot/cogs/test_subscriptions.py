"""The subscriptions cog's own decisions: /subscribe and /unsubscribe are for admins, checked at run time; in a
home server they change the operator's shared collection, in any other server that server's own feeds, at most
``[servers] max_sources`` of them (tests/bot/test_subscribing.py; a home admin's subscription:
tests/e2e/test_subscriptions.py; a server's own: tests/e2e/test_server_feeds.py)."""

from __future__ import annotations

import pytest

from bot.checks import REFUSAL
from bot.cogs.subscriptions import Subscriptions
from retrieval.sources import subscriptions
from tests.bot.cogs.interactions import manager, member


@pytest.fixture
def cog(bot):
    return Subscriptions(bot)


async def test_a_member_without_admin_rights_is_refused(cog, bot) -> None:
    interaction = member()
    await cog.subscribe.callback(cog, interaction, "https://news.example/feed.xml")
    assert interaction.only_reply()["content"] == REFUSAL
    assert subscriptions.load(bot.library.data_dir) == []


async def test_an_admin_subscribing_to_a_bad_address_gets_one_line_naming_it(cog, bot) -> None:
    interaction = manager()
    interaction.response.deferred = True  # acknowledged (the emulator tests the real acknowledgement)
    await cog.subscribe.callback(cog, interaction, "ftp://news.test/feed")
    (edit,) = interaction.edits
    assert edit["embed"].description == ("Could not subscribe to ftp://news.test/feed: “ftp://news.test/feed” is "
                                         "not a web address: give the feed's or the site's http(s) URL")
    assert subscriptions.load(bot.library.data_dir) == []
