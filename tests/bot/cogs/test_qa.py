"""What the Q&A cog answers in answer channels, how it reads a message that mentions the bot, and what /ask and a
question refuse at once (a bad period, an empty or too long question)."""

from __future__ import annotations

import asyncio
import time

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


async def test_the_busy_wait_learns_an_answers_own_time_not_its_wait_for_the_slot(sample_library, tmp_path) -> None:
    bot = make_bot(sample_library, tmp_path)
    cog = QA(bot)
    try:
        await cog.embed_for("Who is the British ambassador to Ukraine?")  # the model's first load is no answer's time
        bot.flood.answer_seconds = 0.0
        held = asyncio.ensure_future(bot.in_slot(lambda pause: time.sleep(2.0), pausable=True))  # answers' one slot
        await asyncio.sleep(0.1)
        asking = member()
        asking.response.deferred = True  # acknowledged (the emulator tests the real acknowledgement)
        await cog.ask.callback(cog, asking, "Who is the British ambassador to Ukraine?")
        await held
        assert "Melinda Simmons" in asking.edits[0]["embed"].description
        # 0.2 × the answer's own time (well under 1 s); its ~1.9 s in the queue counted would make it >= 0.38
        assert 0 < bot.flood.answer_seconds < 0.2
    finally:
        cog.memory.close()
