"""The admin cog's own decisions: who may run /reindex (checked at run time), one re-index at a time, who may
confirm a large removal, and how a source's line and the removal question read."""

from __future__ import annotations

import time

from bot.checks import REFUSAL
from bot.cogs.admin import Admin, ConfirmRemoval, Reindex, latency_text, removal_question, source_line
from retrieval.errors import LargeRemovalError
from tests.bot.cogs.interactions import OPERATOR, Interaction, Member, manager, member, moderator


async def test_a_member_without_admin_rights_is_refused_and_nothing_starts(bot) -> None:
    cog = Admin(bot)
    interaction = member()
    await cog.reindex.callback(cog, interaction)
    assert interaction.only_reply()["content"] == REFUSAL
    assert cog.running is None and not interaction.response.deferred


async def test_admins_get_past_the_check_but_only_one_reindex_runs_at_a_time(bot) -> None:
    cog = Admin(bot)
    cog.running = Reindex("manager#1")
    for interaction in (manager(), moderator(), Interaction(user=Member(OPERATOR, name="operator"))):
        await cog.reindex.callback(cog, interaction)
        text = interaction.only_reply()["content"]
        assert text != REFUSAL and "already running (started by manager#1" in text
        assert not interaction.response.deferred


async def test_only_the_admin_who_ran_it_can_confirm_a_large_removal() -> None:
    view = ConfirmRemoval(owner_id=1002, timeout=5)
    stranger = Interaction(user=Member(1003))
    assert await view.interaction_check(stranger) is False
    assert stranger.only_reply()["content"] == "Only the admin who ran this /reindex can confirm it."
    owner = Interaction(user=Member(1002))
    assert await view.interaction_check(owner) is True and owner.replies == []
    assert not view.confirmed


def test_the_removal_question_names_the_counts_the_sources_and_the_time_to_confirm() -> None:
    exc = LargeRemovalError(removing=30, total=40, sources=["Coast *News*"])
    text = removal_question(exc, timeout=120)
    assert "**30 of the 40**" in text and "Coast \\*News\\*" in text and "nothing was removed" in text
    assert "2 min" in text


def test_a_sources_line_counts_articles_polls_and_the_last_error() -> None:
    assert source_line({"articles": 1, "kind": "added"}) == "1 article"
    assert source_line({"articles": 3, "kind": "feed"}) == "3 articles · not polled yet"
    line = source_line({"articles": 0, "kind": "feed", "last_poll": time.time() - 300, "last_error": "HTTP 503 *x*"})
    assert line.startswith("0 articles · polled 5 min") and line.endswith("last error: HTTP 503 \\*x\\*")


def test_status_shows_the_gateway_latency_of_each_shard() -> None:
    assert latency_text([(0, 0.0421)]) == "42 ms"  # one shard: as a single connection
    assert latency_text([(0, 0.0421), (1, float("inf"))]) == "shard 0: 42 ms · shard 1: —"  # 1 is reconnecting
    assert latency_text([]) == "—"
