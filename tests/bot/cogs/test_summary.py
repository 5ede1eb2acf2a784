"""The summary cog's own decisions: what /summary refuses at once (an article and a topic together, a bad date, a
period that is empty by definition) and what it answers for an article that is not indexed."""

from __future__ import annotations

from bot.cogs.summary import BOTH, FAILED, Summaries
from tests.bot.cogs.interactions import make_bot, member


async def test_an_article_and_a_topic_together_are_refused_before_any_work(bot) -> None:
    cog = Summaries(bot)
    interaction = member()
    await cog.summary.callback(cog, interaction, article="harbour-2024", topic="storms")
    assert interaction.only_reply()["content"] == BOTH
    assert not interaction.response.deferred


async def test_a_bad_date_gets_one_line_naming_it(bot) -> None:
    cog = Summaries(bot)
    interaction = member()
    await cog.summary.callback(cog, interaction, since="last tuesday")
    text = interaction.only_reply()["content"]
    assert "“last tuesday” is not a date" in text and "YYYY-MM-DD" in text and "\n" not in text
    backwards = member()
    await cog.summary.callback(cog, backwards, since="2024-03-05", until="2024-03-01")
    assert "is after until" in backwards.only_reply()["content"]
    assert not interaction.response.deferred and not backwards.response.deferred


async def test_an_unknown_article_gets_an_error_naming_it(sample_library) -> None:
    cog = Summaries(make_bot(sample_library))
    embed = await cog.embed_for(3, "volcanic eruption on the moon", None)
    assert "no indexed article matches “volcanic eruption on the moon”" in embed.description


async def test_no_index_yet_gets_an_error_the_admin_can_act_on(bot) -> None:
    embed = await Summaries(bot).embed_for(3, None, None)
    assert embed.description != FAILED and embed.description.startswith("no articles are indexed in ")
    assert "`citebot index`" in embed.description
