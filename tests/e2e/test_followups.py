"""Follow-ups end to end: a reply to an answer is read in its conversation, unless it changes the subject."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.e2e.test_qa import AMBASSADOR, TIMEOUT, mention, only_embed, replies_to

if TYPE_CHECKING:
    from tests.e2e.conftest import BotProcess, World

pytestmark = pytest.mark.e2e

CONTEXT_LINE = f"*Following up on: “{AMBASSADOR}”*"


async def test_pronoun_follow_up_quotes_the_same_article(world: World, citebot: BotProcess) -> None:
    fake, mark = world.fake, world.fake.mark()
    question = await fake.send_message(f"{mention(world)} {AMBASSADOR}", author=world.alice, channel_id=world.general)
    answer = await fake.wait_message(replies_to(question), timeout=TIMEOUT, since=mark)
    first = only_embed(answer)
    assert "Melinda Simmons" in first["description"] and "Following up on" not in first["description"]
    article = first["description"].split("\n— ")[1].split(" · ")[0]

    follow_up = await fake.send_message("What did she say?", author=world.alice, reply_to=answer, reply_ping=False)
    reply = only_embed(await fake.wait_message(replies_to(follow_up), timeout=TIMEOUT, since=mark))
    assert reply["description"].startswith(CONTEXT_LINE)
    quotes = reply["description"].split("\n\n")[1:]
    assert quotes and quotes[0].split("\n— ")[1].startswith(article)  # the same article, from the stored context


async def test_reply_that_changes_the_subject_gets_another_article(world: World, citebot: BotProcess) -> None:
    fake, mark = world.fake, world.fake.mark()
    question = await fake.send_message(f"{mention(world)} {AMBASSADOR}", author=world.alice, channel_id=world.general)
    answer = await fake.wait_message(replies_to(question), timeout=TIMEOUT, since=mark)
    change = await fake.send_message("How much of the Amazon rainforest is in Brazil?", author=world.alice,
                                     reply_to=answer, reply_ping=False)
    reply = only_embed(await fake.wait_message(replies_to(change), timeout=TIMEOUT, since=mark))
    assert "Following up on" not in reply["description"]
    assert "60%" in reply["description"] and "Amazon rainforest" in reply["description"]


async def test_slash_ask_with_a_bad_since_is_refused_privately(world: World, citebot: BotProcess) -> None:
    interaction = await world.fake.invoke("ask", {"question": AMBASSADOR, "since": "last week"}, user=world.alice)
    ack = await interaction.wait_ack(timeout=10)
    assert ack.payload["type"] == 4 and ack.payload["data"]["flags"] & 64
    assert "since “last week” is not a date" in ack.payload["data"]["content"]


async def test_slash_ask_until_before_every_article(world: World, citebot: BotProcess) -> None:
    # the day before every article, whichever tests ran first (test_admin adds an archive edition of 2020-01-01)
    interaction = await world.fake.invoke("ask", {"question": AMBASSADOR, "until": "2019-12-31"}, user=world.alice)
    embed = only_embed(await interaction.wait_answer(timeout=TIMEOUT))
    assert embed["description"].startswith("No indexed article was published until 2019-12-31.")
