"""/reindex, /sources and /status end to end, including a question answered while a re-index runs."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from tests.e2e.fake_discord import FLAG_EPHEMERAL, FLAG_LOADING, PERM_MANAGE_GUILD, Sent

if TYPE_CHECKING:
    from tests.e2e.conftest import BotProcess, World

pytestmark = pytest.mark.e2e

TIMEOUT = 60.0
REINDEX_TIMEOUT = 300.0


def write_new_article(citebot: BotProcess) -> None:
    """A fifth article whose every paragraph and sentence is new text, so the re-index has real embedding to do.

    (An upper-case edition of a bundled sample: different bytes, hence no embedding-cache hits.)
    """
    source = (citebot.articles / "geology.txt").read_text(encoding="utf-8")
    body = source.split("\n\n", 1)[1]
    text = "Geology: an archive edition\nSource: The Archive\nPublished: 2020-01-01\n\n" + body.upper()
    (citebot.articles / "geology-archive.txt").write_text(text, encoding="utf-8")


async def test_reindex_is_refused_to_members_without_rights(world: World, citebot: BotProcess) -> None:
    interaction = await world.fake.invoke("reindex", user=world.alice)
    ack = await interaction.wait_ack(timeout=10)
    assert ack.payload["type"] == 4 and ack.payload["data"]["flags"] == FLAG_EPHEMERAL
    assert "Manage Server" in ack.payload["data"]["content"]
    synced = world.fake.guild_commands[world.fake.guild_id]["reindex"]
    assert synced["default_member_permissions"] == str(PERM_MANAGE_GUILD)


async def test_reindex_with_progress_while_questions_are_answered(world: World, citebot: BotProcess) -> None:
    fake = world.fake
    write_new_article(citebot)
    mark = fake.mark()
    job = await fake.invoke("reindex", user=world.mod, roles=[world.admin_role])  # admin by configured role
    ack = await job.wait_ack(timeout=10)
    assert ack.payload == {"type": 5, "data": {"flags": FLAG_EPHEMERAL}}
    await job.wait_original(lambda m: m["content"].startswith("Re-indexing…"), timeout=TIMEOUT)

    # While it runs: a question is answered, and a second /reindex (by a Manage Server member) is refused.
    question = await fake.send_message(
        f"<@{fake.app_id}> Who is the British ambassador to Ukraine?", author=world.alice, channel_id=world.general
    )
    second = await fake.invoke("reindex", user=world.manager, permissions=PERM_MANAGE_GUILD)
    refusal = await second.wait_ack(timeout=10)
    assert "already running" in refusal.payload["data"]["content"]
    answered = await fake.wait_for(lambda s: is_reply(s, question), timeout=TIMEOUT, since=mark)
    assert "Melinda Simmons" in answered.message["embeds"][0]["description"]

    final = await job.wait_original(lambda m: bool(m["embeds"]), timeout=REINDEX_TIMEOUT)
    finished = next(s for s in fake.sent[mark:] if is_final_edit(s, job.id))
    assert answered.at < finished.at, "the question waited for the re-index"
    progress = [e["content"] for e in job.edits if e.get("content", "").startswith("Re-indexing…")]
    assert any(re.search(r"embedding (paragraphs|sentences): \d+/\d+", p) for p in progress), progress
    report = final["embeds"][0]
    assert report["title"] == "Re-index finished" and "Indexed 5 articles" in report["description"]
    assert final["flags"] & FLAG_EPHEMERAL and not final["flags"] & FLAG_LOADING and final["content"] == ""

    # The new generation answers, and /status and /sources describe it.
    status = await fake.invoke("status", user=world.alice)
    fields = {f["name"]: f["value"] for f in (await status.wait_answer(timeout=TIMEOUT))["embeds"][0]["fields"]}
    assert fields["Articles"] == "5" and fields["Re-index running"] == "no"
    assert fields["Last re-index"].startswith("Indexed 5 articles") and fields["Model"] == "all-MiniLM-L6-v2"
    sources = await fake.invoke("sources", user=world.alice)
    listing = (await sources.wait_answer(timeout=TIMEOUT))["embeds"][0]
    assert listing["title"] == "Indexed articles (5)" and "Geology: an archive edition" in listing["description"]
    assert "NationalWorld · 11 Feb 2022" in listing["description"]


def is_reply(sent: Sent, question: dict) -> bool:
    return (
        sent.kind == "message" and (sent.message or {}).get("message_reference", {}).get("message_id") == question["id"]
    )


def is_final_edit(sent: Sent, interaction_id: int) -> bool:
    return sent.kind == "edit" and sent.interaction_id == interaction_id and bool((sent.message or {}).get("embeds"))
