"""The digest cog's own decisions: /digest is for admins (checked at run time), and a bad time, time zone or topic
gets one line naming it with nothing saved; stopping a digest that does not exist says so."""

from __future__ import annotations

import pytest

from bot.checks import REFUSAL
from bot.cogs.digest import Digests
from tests.bot.cogs.interactions import Channel, manager, member, moderator


@pytest.fixture
async def cog(bot):
    cog = Digests(bot)
    yield cog
    cog.store.close()


async def test_a_member_without_admin_rights_is_refused(cog) -> None:
    interaction = member()
    await cog.digest.callback(cog, interaction, Channel(), "08:00")
    assert interaction.only_reply()["content"] == REFUSAL
    assert cog.store.all() == []


@pytest.mark.parametrize(("time", "topic", "timezone", "expected"), [
    ("8am", None, None, "time “8am” is not a time of day: use HH:MM on a 24-hour clock"),
    ("25:00", None, None, "time “25:00” is not a time of day"),
    ("08:00", None, "Mars/Olympus", "time zone “Mars/Olympus” is unknown"),
    ("08:00", "harbour " * 20, None, "the topic is 159 characters long; the limit is 100"),
])
async def test_bad_options_get_one_line_naming_them_and_nothing_is_saved(cog, time, topic, timezone,
                                                                        expected) -> None:
    interaction = manager()
    await cog.digest.callback(cog, interaction, Channel(), time, topic=topic, timezone=timezone)
    text = interaction.only_reply()["content"]
    assert expected in text and "\n" not in text
    assert cog.store.all() == []


async def test_stopping_a_digest_that_does_not_exist_says_so(cog) -> None:
    interaction = manager()
    await cog.digest.callback(cog, interaction, Channel(555), "off", topic="harbour")
    assert interaction.only_reply()["content"] == "There was no daily digest on “harbour” in <#555>."


async def test_an_admin_role_sets_a_digest_and_off_stops_it(cog) -> None:
    setting = moderator()
    await cog.digest.callback(cog, setting, Channel(555, "news"), " 08:00 ", timezone="Europe/Paris")
    text = setting.only_reply()["content"]
    assert text.startswith("Daily digest set: <#555> at 08:00 (Europe/Paris), the first one ")
    assert "`/digest channel:#news time:off` stops it" in text
    await cog.woken  # the check it started (nothing is due: no digest was due before this one)
    stopping = moderator()
    await cog.digest.callback(cog, stopping, Channel(555, "news"), "OFF")
    assert stopping.only_reply()["content"] == "Stopped the daily digest in <#555>."
    assert cog.store.all() == []
