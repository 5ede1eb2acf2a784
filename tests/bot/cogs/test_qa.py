"""What the Q&A cog answers in answer channels, and how it reads a message that mentions the bot."""

from __future__ import annotations

from bot.cogs.qa import looks_like_question, strip_mentions


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
