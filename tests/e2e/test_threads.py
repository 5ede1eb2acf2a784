"""`[discord] answer_in_threads`: a new question is answered in a thread started on it, and every message in that
thread is a follow-up. A bot of its own (the session bot answers in the channel) against a fake of its own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import BotProcess, bot_folder, running_bot
from tests.e2e.fake_discord import FakeDiscord
from tests.e2e.test_qa import AMBASSADOR, TIMEOUT, no_pings, only_embed, replies_to

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def threaded(tmp_path_factory, sample_data_dir: Path, embedder) -> Iterator[tuple[FakeDiscord, BotProcess]]:
    fake = FakeDiscord(heartbeat_interval_ms=2000, heartbeat_grace_s=4.0).start_in_thread()
    root = bot_folder(tmp_path_factory.mktemp("citebot-threads"), sample_data_dir, embedder,
                      ["[discord]", f"guild_ids = [{fake.guild_id}]", "answer_in_threads = true"])
    try:
        with running_bot(fake, root) as bot:
            yield fake, bot
    finally:
        fake.stop_thread()


async def test_question_answered_in_its_thread_and_thread_messages_follow_up(threaded) -> None:
    fake, bot = threaded
    alice, general, mark = fake.add_user("alice"), fake.channel_id("general"), fake.mark()
    question = await fake.send_message(f"<@{fake.app_id}> {AMBASSADOR}", author=alice, channel_id=general)

    started = await fake.wait_for(lambda s: s.kind == "thread", since=mark, timeout=TIMEOUT)
    thread_id = int(started.message["id"])
    assert started.channel_id == general and thread_id == int(question["id"])  # started on the question message
    assert started.message["name"] == AMBASSADOR and started.message["owner_id"] == str(fake.app_id)
    answer = await fake.wait_message(channel_id=thread_id, since=mark, timeout=TIMEOUT)
    first = only_embed(answer)
    assert "Melinda Simmons" in first["description"] and "Following up on" not in first["description"]
    assert no_pings(answer)
    assert not any(s.kind == "message" and s.channel_id == general for s in fake.sent[mark:])  # nothing in #general
    article = first["description"].split("\n— ")[1].split(" · ")[0]

    # A plain message in the thread (no mention, no reply) is a follow-up, answered there with the context line.
    follow_up = await fake.send_message("What did she say?", author=alice, channel_id=thread_id)
    reply = await fake.wait_message(replies_to(follow_up), channel_id=thread_id, since=mark, timeout=TIMEOUT)
    embed = only_embed(reply)
    assert embed["description"].startswith(f"*Following up on: “{AMBASSADOR}”*")
    quotes = embed["description"].split("\n\n")[1:]
    assert quotes and quotes[0].split("\n— ")[1].startswith(article)
    assert no_pings(reply)
    assert sum(s.kind == "thread" for s in fake.sent[mark:]) == 1  # a follow-up starts no second thread
    bot.assert_alive()


async def test_greeting_gets_help_in_the_channel_without_a_thread(threaded) -> None:
    fake, bot = threaded
    bob, general, mark = fake.add_user("bob"), fake.channel_id("general"), fake.mark()
    hello = await fake.send_message(f"<@{fake.app_id}> hello", author=bob, channel_id=general)
    await fake.wait_message(replies_to(hello), channel_id=general, since=mark, timeout=TIMEOUT)
    assert not any(s.kind == "thread" for s in fake.sent[mark:])
    bot.assert_alive()
