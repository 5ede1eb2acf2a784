"""Catching up after a new gateway session: which questions to read back, which the bot already answered."""

from __future__ import annotations

import time
from types import SimpleNamespace

import discord

from bot.catchup import WINDOW_S, Handled, replied_to, since_id

ME = 99


def message(mid: int, author: int, reply_to: int | None = None, thread_owner: int | None = None,
            links: tuple[int, ...] = ()):
    """A ``discord.Message`` as ``replied_to`` reads it: id, author, the message it replies to, its thread, and its
    embeds (one per id in ``links``, its author line linking to that question, as replies sent together have)."""
    embeds = [discord.Embed().set_author(name="↩ asker", url=f"https://discord.com/channels/1/2/{q}") for q in links]
    return SimpleNamespace(
        id=mid, author=SimpleNamespace(id=author), embeds=embeds,
        reference=discord.MessageReference(message_id=reply_to, channel_id=1) if reply_to else None,
        thread=SimpleNamespace(owner_id=thread_owner) if thread_owner else None)


def test_questions_are_claimed_once_and_read_back_at_most_15_minutes() -> None:
    handled = Handled(size=2)
    assert handled.claim(1) and not handled.claim(1)
    assert handled.claim(2) and handled.claim(3) and handled.claim(1)  # 1 forgotten (oldest) once 3 came
    now = time.time()
    oldest = since_id(None, now)
    assert since_id(oldest - 1, now) == oldest  # an old last-seen message: the window bounds it
    assert since_id(oldest + 5, now) == oldest + 5
    assert abs(discord.utils.snowflake_time(oldest).timestamp() - (now - WINDOW_S)) < 1


def test_a_question_the_bot_replied_to_or_opened_a_thread_on_is_done() -> None:
    messages = [
        message(1, author=5),  # a question nobody answered
        message(2, author=5),  # answered by the reply below
        message(3, author=ME, reply_to=2),
        message(4, author=5, thread_owner=ME),  # the bot started a thread on it
        message(5, author=5, thread_owner=6),  # someone else's thread: not an answer
        message(6, author=7, reply_to=1),  # another user's reply: not an answer
    ]
    assert replied_to(messages, ME) == {2, 4}


def test_questions_answered_together_in_one_message_are_done() -> None:
    messages = [message(1, author=5), message(2, author=6), message(3, author=7),
                message(4, author=ME, reply_to=1, links=(1, 2)),  # one message carrying the answers to 1 and 2
                message(5, author=8, links=(3,))]  # someone else's embed linking to 3: not an answer
    assert replied_to(messages, ME) == {1, 2}
