"""Questions end to end: the real `citebot run` (real model, real index) against the fake Discord."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.e2e.fake_discord import FLAG_EPHEMERAL

if TYPE_CHECKING:
    from tests.e2e.conftest import BotProcess, World

pytestmark = pytest.mark.e2e

TROOPS = "How many troops has Russia gathered on Ukraine's border?"
AMBASSADOR = "Who is the British ambassador to Ukraine?"
BANANA = "What is a good recipe for banana bread?"
TIMEOUT = 60.0


def only_embed(message: dict) -> dict:
    """The single embed of an answer (answers have no text content)."""
    assert message["content"] == "" and len(message["embeds"]) == 1, message
    return message["embeds"][0]


def no_pings(message: dict) -> bool:
    """Sent with allowed_mentions that ping nobody (not even the asker), and nobody was pinged."""
    allowed = message["_allowed_mentions"]
    return allowed["parse"] == [] and not allowed.get("replied_user") and message["_pings"] == []


def mention(world: World) -> str:
    return f"<@{world.fake.app_id}>"


def replies_to(message: dict):
    return lambda m: (m.get("message_reference") or {}).get("message_id") == message["id"]


async def test_mention_is_answered_with_a_verbatim_attributed_quote(world: World, citebot: BotProcess) -> None:
    fake, mark = world.fake, world.fake.mark()
    question = await fake.send_message(f"{mention(world)} {TROOPS}", author=world.alice, channel_id=world.general)
    answer = await fake.wait_message(replies_to(question), channel_id=world.general, timeout=TIMEOUT, since=mark)
    embed = only_embed(answer)
    first_quote, credit = embed["description"].split("\n\n")[0].split("\n— ")
    assert first_quote.startswith("> ") and "**" in first_quote
    assert "130,000 troops on Ukraine’s border" in first_quote  # verbatim, typographic apostrophe and all
    assert "NationalWorld" in credit and "11 Feb 2022" in credit and "¶" in credit
    assert credit.startswith("Russia-Ukraine crisis")  # no URL in the sample: the title is not a link
    assert embed["title"] == TROOPS
    assert no_pings(answer)
    # One indicator at most for one question (none when the answer is sent before the indicator's turn comes).
    assert sum(s.kind == "typing" and s.channel_id == world.general for s in fake.sent[mark:]) <= 1


async def test_reply_to_an_answer_is_answered(world: World, citebot: BotProcess) -> None:
    fake, mark = world.fake, world.fake.mark()
    first = await fake.send_message(f"{mention(world)} {TROOPS}", author=world.alice, channel_id=world.general)
    answer = await fake.wait_message(replies_to(first), timeout=TIMEOUT, since=mark)
    # A reply without the ping: the bot is not mentioned, it answers because it is a reply to its answer.
    follow_up = await fake.send_message(AMBASSADOR, author=world.alice, reply_to=answer, reply_ping=False)
    assert follow_up["mentions"] == []
    second = await fake.wait_message(replies_to(follow_up), timeout=TIMEOUT, since=mark)
    assert "Melinda Simmons" in only_embed(second)["description"]


async def test_slash_ask_quotes_the_ambassador(world: World, citebot: BotProcess) -> None:
    interaction = await world.fake.invoke("ask", {"question": AMBASSADOR}, user=world.alice)
    ack = await interaction.wait_ack(timeout=10)
    assert ack.payload["type"] == 5  # deferred first, then the answer is an edit
    answer = await interaction.wait_answer(timeout=TIMEOUT)
    embed = only_embed(answer)
    assert "**British ambassador to Ukraine Melinda Simmons" in embed["description"]
    assert not answer["flags"] & FLAG_EPHEMERAL
    assert interaction.edits[-1]["allowed_mentions"] == {"parse": []}


async def test_private_ask_is_ephemeral(world: World, citebot: BotProcess) -> None:
    interaction = await world.fake.invoke("ask", {"question": AMBASSADOR, "private": True}, user=world.alice)
    ack = await interaction.wait_ack(timeout=10)
    assert ack.payload["data"]["flags"] == FLAG_EPHEMERAL
    answer = await interaction.wait_answer(timeout=TIMEOUT)
    assert answer["flags"] & FLAG_EPHEMERAL and "Melinda Simmons" in only_embed(answer)["description"]


async def test_question_the_articles_do_not_cover(world: World, citebot: BotProcess) -> None:
    interaction = await world.fake.invoke("ask", {"question": BANANA}, user=world.alice)
    embed = only_embed(await interaction.wait_answer(timeout=TIMEOUT))
    assert embed["description"].startswith("The indexed articles don't cover this. The nearest article is ")
    assert "> " not in embed["description"]  # no quotes for a miss


async def test_an_article_on_the_subject_that_does_not_answer_is_named_honestly(world: World,
                                                                                citebot: BotProcess) -> None:
    question = "How many tourists visit the Amazon rainforest each year?"  # the sample never mentions tourists
    interaction = await world.fake.invoke("ask", {"question": question}, user=world.alice)
    embed = only_embed(await interaction.wait_answer(timeout=TIMEOUT))
    assert embed["description"] == ("[Amazon rainforest](<https://en.wikipedia.org/wiki/Amazon_rainforest>) is about "
                                    "this, but I found nothing in it that answers your question.")


async def test_ask_since_a_period_without_articles_says_so(world: World, citebot: BotProcess) -> None:
    interaction = await world.fake.invoke("ask", {"question": TROOPS, "since": "7d"}, user=world.alice)
    embed = only_embed(await interaction.wait_answer(timeout=TIMEOUT))
    assert embed["description"].startswith("No indexed article was published since ")
    assert "> " not in embed["description"]


async def test_own_and_other_bots_messages_are_ignored(world: World, citebot: BotProcess) -> None:
    fake, mark = world.fake, world.fake.mark()
    ignored = [
        await fake.send_message(f"{mention(world)} {AMBASSADOR}", author=fake.bot_user, channel_id=world.general),
        await fake.send_message(f"{mention(world)} {AMBASSADOR}", author=world.other_bot, channel_id=world.general),
        await fake.send_message(AMBASSADOR, author=world.other_bot, channel_id=world.answers),
    ]
    # A person's question sent after them: once it is answered, the bot has long been through the others.
    question = await fake.send_message(f"{mention(world)} {TROOPS}", author=world.alice, channel_id=world.general)
    await fake.wait_message(replies_to(question), timeout=TIMEOUT, since=mark)
    ignored_ids = {m["id"] for m in ignored}
    for sent in fake.sent[mark:]:
        assert sent.kind in ("typing", "message", "presence")
        assert (sent.message or {}).get("message_reference", {}).get("message_id") not in ignored_ids
    assert len(fake.bot_messages(mark)) == 1


async def test_everyone_in_a_question_pings_nobody(world: World, citebot: BotProcess) -> None:
    fake, mark = world.fake, world.fake.mark()
    question = await fake.send_message(
        f"@everyone {mention(world)} {AMBASSADOR}", author=world.alice, channel_id=world.general
    )
    answer = await fake.wait_message(replies_to(question), timeout=TIMEOUT, since=mark)
    assert no_pings(answer)
    assert "Melinda Simmons" in only_embed(answer)["description"]


async def test_answer_channel_answers_questions_and_leaves_chatter(world: World, citebot: BotProcess) -> None:
    fake, mark = world.fake, world.fake.mark()
    chatter = [
        await fake.send_message("morning all, busy news day", author=world.alice, channel_id=world.answers),
        await fake.send_message(f"<@{world.mod['id']}> seen this?", author=world.alice, channel_id=world.answers),
        await fake.send_message(AMBASSADOR, author=world.alice, channel_id=world.general),  # not an answer channel
    ]
    question = await fake.send_message(AMBASSADOR, author=world.alice, channel_id=world.answers)
    answer = await fake.wait_message(replies_to(question), channel_id=world.answers, timeout=TIMEOUT, since=mark)
    assert "Melinda Simmons" in only_embed(answer)["description"]
    referenced = {(m.get("message_reference") or {}).get("message_id") for m in fake.bot_messages(mark)}
    assert referenced.isdisjoint(m["id"] for m in chatter)


async def test_bare_mention_gets_help(world: World, citebot: BotProcess) -> None:
    fake, mark = world.fake, world.fake.mark()
    question = await fake.send_message(mention(world), author=world.alice, channel_id=world.general)
    answer = await fake.wait_message(replies_to(question), timeout=TIMEOUT, since=mark)
    assert "/ask" in only_embed(answer)["description"]


@pytest.mark.parametrize("text", ["help", "/help", "hello there!", "thanks 🙏"])
async def test_greetings_and_help_get_the_help_text(world: World, citebot: BotProcess, text: str) -> None:
    fake, mark = world.fake, world.fake.mark()
    question = await fake.send_message(f"{mention(world)} {text}", author=world.alice, channel_id=world.general)
    answer = await fake.wait_message(replies_to(question), timeout=TIMEOUT, since=mark)
    description = only_embed(answer)["description"]
    assert "/ask" in description and "> " not in description  # the help text, no quotes
    interaction = await fake.invoke("ask", {"question": text}, user=world.alice)
    assert (await interaction.wait_ack(timeout=10)).payload["type"] == 5
    assert "/ask" in only_embed(await interaction.wait_answer(timeout=TIMEOUT))["description"]
