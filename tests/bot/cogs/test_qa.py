"""What the Q&A cog answers in answer channels, how it reads a message that mentions the bot, and what /ask and a
question refuse at once (a bad period, an empty or too long question)."""

from __future__ import annotations

from bot.cogs.qa import QA, looks_like_question, strip_mentions
from tests.bot.cogs.interactions import make_bot, member


def test_only_questions_are_answered_in_answer_channels():
    assert looks_like_question("Who is the British ambassador to Ukraine?")
    assert looks_like_question("  What happened?  ")
    assert not looks_like_question("thanks everyone")  # chatter is left alone
    assert not looks_like_question("?")  # a lone mark is not a question
    assert not looks_like_question("Why?")  # one word


def test_mentions_of_the_bot_and_its_role_are_removed():
    text = "<@123> <@!123> who won the vote <@&77>? <@999>"
    assert strip_mentions(text, {123, 77}) == "who won the vote ? <@999>"
    assert strip_mentions("no mentions here", {123}) == "no mentions here"


async def test_ask_names_a_bad_period_privately_before_acknowledging(bot) -> None:
    cog = QA(bot)
    try:
        interaction = member()
        await cog.ask.callback(cog, interaction, "Who won the vote?", since="2024-03-05", until="2024-03-01")
        assert "since (2024-03-05) is after until (2024-03-01)" in interaction.only_reply()["content"]
        bad = member()
        await cog.ask.callback(cog, bad, "Who won the vote?", until="soon")
        assert "until “soon” is not a date" in bad.only_reply()["content"]
        assert not interaction.response.deferred and not bad.response.deferred
    finally:
        cog.memory.close()


async def test_an_empty_or_too_long_question_gets_an_error_naming_the_problem(sample_library, tmp_path) -> None:
    cog = QA(make_bot(sample_library, tmp_path))  # the conversations file goes to tmp_path, not the shared samples
    try:
        empty, *_ = await cog.embed_for("   ")
        assert "the question is empty" in empty.description
        long, answer, _, _ = await cog.embed_for("why " * 200)
        assert "the question is 799 characters long; the limit is 500" in long.description and answer is None
    finally:
        cog.memory.close()
