"""The follow cog's own decisions: anyone follows for themselves, only admins for a channel (checked at run time);
an empty or too long topic is named; /unfollow removes only what this user may (their own, and as an admin the
server's channels'), and an alert links only web addresses."""

from __future__ import annotations

import pytest

from bot.checks import REFUSAL
from bot.cogs.follow import Follows, alert_text
from retrieval.models import ArticleMeta, Quote
from tests.bot.cogs.interactions import Channel, manager, member


@pytest.fixture
async def cog(bot):
    cog = Follows(bot)
    yield cog
    cog.store.close()


async def test_a_member_follows_for_themselves_but_not_for_a_channel(cog) -> None:
    refused = member()
    await cog.follow.callback(cog, refused, "harbour repairs", channel=Channel())
    assert refused.only_reply()["content"] == REFUSAL
    assert cog.store.all() == []
    first, again = member(), member()
    await cog.follow.callback(cog, first, "  Harbour   repairs ")
    await cog.follow.callback(cog, again, "harbour repairs")
    assert first.only_reply()["content"].startswith("Following “Harbour repairs”: new articles about it will be "
                                                    "announced to you by DM.")
    assert again.only_reply()["content"] == "Already following “Harbour repairs” to you by DM."
    assert len(cog.store.all()) == 1


@pytest.mark.parametrize(("topic", "expected"), [
    ("   ", "the topic is empty: name a subject"),
    ("storm " * 30, "the topic is 179 characters long; the limit is 100"),
])
async def test_an_empty_or_too_long_topic_is_named_and_nothing_saved(cog, topic, expected) -> None:
    interaction = member()
    await cog.follow.callback(cog, interaction, topic)
    assert expected in interaction.only_reply()["content"]
    assert cog.store.all() == []


async def test_only_an_admin_can_unfollow_a_channels_topic(cog) -> None:
    await cog.follow.callback(cog, manager(), "harbour", channel=Channel(555))
    await cog.follow.callback(cog, member(), "elections")
    attempt = member()
    await cog.unfollow.callback(cog, attempt, "Harbour")
    assert attempt.only_reply()["content"] == "You follow no topic “Harbour”. Followed: “elections” (by DM)."
    admin = manager()
    await cog.unfollow.callback(cog, admin, "HARBOUR")
    assert admin.only_reply()["content"] == "Stopped following “harbour” (in <#555>)."
    assert [f.topic for f in cog.store.all()] == ["elections"]


def test_an_alert_quotes_the_sentence_and_links_only_web_addresses() -> None:
    meta = ArticleMeta("h", "Harbour reopens", source="Coast News", published="2024-03-02", url="file:///tmp/h")
    quote = Quote(text="The harbour reopened.  Boats left.", highlight="The harbour\nreopened.", highlight_start=0,
                  article=meta, paragraph=1, score=0.9, pid="h-p1")
    assert alert_text("harbour", quote) == ("New on “harbour”: Harbour reopens · Coast News · 2 Mar 2024\n"
                                            "> The harbour reopened.")
