"""Answers' buttons and /report end to end: 👍/👎 stored per person and counted in /report, "More sources" paging
quotes 4–10 for the asker only, the link button, and the not-covered questions of a scripted day grouped."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import BotProcess, bot_folder, start_bot, stop
from tests.e2e.fake_discord import FLAG_EPHEMERAL, FakeDiscord
from tests.local_http import serve
from tests.retrieval.sources.test_index_sources import HARBOUR, QUESTION, page

pytestmark = pytest.mark.e2e

TIMEOUT = 120.0
TROOPS = "How many troops has Russia gathered on Ukraine's border?"
NOT_COVERED = [  # a scripted day of questions the articles do not cover
    "What is the weather forecast for Paris tomorrow?",
    "Will it rain in Paris tomorrow?",
    "What will the weather be like in Paris tomorrow?",
    "Who won the football match last night?",
    "What was the score of yesterday's football game?",
    "How much does a kilo of bananas cost?",
]


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    body = page("Harbour reopens after storm repairs", HARBOUR)
    with serve(lambda path: (200, body, "text/html; charset=utf-8") if path == "/harbour" else
               (404, b"not found", "text/plain")) as base:
        yield base


@pytest.fixture(scope="module")
def newsroom(tmp_path_factory: pytest.TempPathFactory, sample_data_dir: Path, embedder
             ) -> Iterator[tuple[FakeDiscord, BotProcess, dict]]:
    """Its own fake Discord and bot (the counts in /report are this module's questions only)."""
    fake = FakeDiscord(heartbeat_interval_ms=2000, heartbeat_grace_s=4.0).start_in_thread()
    people = {"alice": fake.add_user("alice"), "bob": fake.add_user("bob"), "mod": fake.add_user("mod"),
              "admin_role": fake.add_role("Moderator")}
    root = bot_folder(tmp_path_factory.mktemp("feedback"), sample_data_dir, embedder, [
        "[discord]", f"guild_ids = [{fake.guild_id}]", f"admin_role_ids = [{people['admin_role']}]",
        "[fetch]", "allow_private_addresses = true",
        "[limits]", "user_questions = 10000", "channel_questions = 10000", "duplicate_window_s = 0",
    ])
    try:
        bot = start_bot(fake, root)
        try:
            yield fake, bot, people
        finally:
            stop(bot.proc)
    finally:
        fake.stop_thread()


def buttons(message: dict) -> list[dict]:
    return [b for row in message["components"] for b in row["components"]]


def custom_id(message: dict, prefix: str) -> str:
    return next(b["custom_id"] for b in buttons(message) if b.get("custom_id", "").startswith(prefix))


async def ask(fake: FakeDiscord, question: str, user: dict) -> dict:
    interaction = await fake.invoke("ask", {"question": question}, user=user)
    return await interaction.wait_answer(timeout=TIMEOUT)


async def test_votes_more_sources_and_link(newsroom, site: str) -> None:
    fake, bot, people = newsroom
    alice, bob, mod, role = people["alice"], people["bob"], people["mod"], people["admin_role"]
    added = await fake.invoke("add", {"url": f"{site}/harbour"}, user=mod, roles=[role])
    assert (await added.wait_answer(timeout=TIMEOUT))["embeds"][0]["title"] == "Article added"

    answer = await ask(fake, QUESTION, alice)
    assert "Saint Brendan" in answer["embeds"][0]["description"]
    labels = [(b.get("emoji") or {}).get("name") or b.get("label") for b in buttons(answer)]
    assert labels == ["👍", "👎", "More sources", "Read: Harbour reopens after storm repairs"], labels
    link = buttons(answer)[-1]
    assert link["style"] == 5 and link["url"] == f"{site}/harbour" and "custom_id" not in link

    # 👍 / 👎: acknowledged privately, one vote per person, changeable.
    up, down = custom_id(answer, "citebot:vote:up:"), custom_id(answer, "citebot:vote:down:")
    for user, button in ((alice, up), (bob, up), (alice, down)):
        click = await fake.click(answer, button, user=user)
        ack = (await click.wait_ack(timeout=10)).payload
        assert ack["type"] == 4 and ack["data"]["flags"] == FLAG_EPHEMERAL
    assert "1 👍 and 1 👎" in ack["data"]["content"]

    # "More sources": only for the asker; pages quotes 4–6, 7–9, 10 in a private message.
    more = custom_id(answer, "citebot:more:")
    refused = await fake.click(answer, more, user=bob)
    refusal = (await refused.wait_ack(timeout=10)).payload
    assert refusal["data"]["flags"] == FLAG_EPHEMERAL and "Only the person who asked" in refusal["data"]["content"]
    mine = await fake.click(answer, more, user=alice)
    ack = (await mine.wait_ack(timeout=10)).payload
    assert ack["type"] == 4 and ack["data"]["flags"] == FLAG_EPHEMERAL
    page1 = mine.original
    assert page1 is not None and page1["embeds"][0]["title"] == "More sources: quotes 4–6 of 10"
    assert page1["embeds"][0]["description"].count("\n— ") == 3
    assert [b["label"] for b in buttons(page1)] == ["Next ▶"]
    shown = answer["embeds"][0]["description"]
    assert all(block.split("\n— ")[0] not in shown for block in page1["embeds"][0]["description"].split("\n\n"))
    for expected, labels in (("7–9", ["◀ Previous", "Next ▶"]), ("10 of 10", ["◀ Previous"])):
        turn = await fake.click(page1, custom_id(page1, "citebot:more:"), user=alice) if "Next ▶" not in [
            b["label"] for b in buttons(page1)] else await fake.click(
            page1, next(b["custom_id"] for b in buttons(page1) if b["label"] == "Next ▶"), user=alice)
        assert (await turn.wait_ack(timeout=10)).payload["type"] == 7  # the private page turns in place
        page1 = fake.ephemeral[int(page1["id"])]
        assert expected in page1["embeds"][0]["title"], page1["embeds"][0]["title"]
        assert [b["label"] for b in buttons(page1)] == labels

    # A "not covered" answer carries only the votes.
    missed = await ask(fake, NOT_COVERED[0], alice)
    assert [(b.get("emoji") or {}).get("name") for b in buttons(missed)] == ["👍", "👎"]
    removed = await fake.invoke("remove", {"article": "Harbour reopens after storm repairs"}, user=mod, roles=[role])
    await removed.wait_answer(timeout=TIMEOUT)
    bot.assert_alive()


async def test_report_counts_votes_and_groups_what_was_not_covered(newsroom) -> None:
    fake, bot, people = newsroom
    alice, mod, role = people["alice"], people["mod"], people["admin_role"]
    first = await ask(fake, TROOPS, alice)
    click = await fake.click(first, custom_id(first, "citebot:vote:down:"), user=mod)
    await click.wait_ack(timeout=10)
    for question in NOT_COVERED[1:]:
        await ask(fake, question, alice)

    refused = await fake.invoke("report", user=alice)
    assert "Only admins" in (await refused.wait_ack(timeout=10)).payload["data"]["content"]
    report = await fake.invoke("report", {"since": "1d"}, user=mod, roles=[role])
    reply = await report.wait_answer(timeout=TIMEOUT)
    assert reply["flags"] & FLAG_EPHEMERAL
    fields = {f["name"]: f["value"] for f in reply["embeds"][0]["fields"]}
    # This module's questions: the harbour, troops (answered); six not covered (one asked in the first test).
    assert fields["Questions asked"] == "8" and fields["Answered"] == "2 (25%)"
    assert fields["Not covered"] == "6 (75%)"
    assert fields["👍 / 👎"] == "1 / 2 (33% 👍)"
    groups = fields["Most asked, not covered (what to subscribe to next)"].splitlines()
    assert len(groups) == 3 and groups[0].startswith("1. “") and groups[0].count("Paris") == 3, groups
    assert "×3" in groups[0] and "football" in groups[1] and "×2" in groups[1] and "bananas" in groups[2]
    worst = fields["Worst rated"]
    assert worst.startswith("• “") and TROOPS.split("'")[0][:30] in worst and "0 👍 / 1 👎" in worst, worst

    bad = await fake.invoke("report", {"since": "last week"}, user=mod, roles=[role])
    assert "is not a period" in (await bad.wait_ack(timeout=10)).payload["data"]["content"]
    bot.assert_alive()


async def test_report_and_export_on_the_command_line(newsroom) -> None:
    """The same numbers from `citebot report --json`, and the answers as evaluation rows."""
    import subprocess

    from tests.e2e.conftest import bot_env, citebot_command

    fake, bot, _ = newsroom
    config = str(bot.data.parent / "config.toml")
    run = subprocess.run([*citebot_command(), "--config", config, "report", "--since", "1d", "--json"],
                         capture_output=True, text=True, env=bot_env(), timeout=300)
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert (report["questions"], report["answered"], report["not_covered"]) == (8, 2, 6)
    assert [g["count"] for g in report["not_covered_groups"]] == [3, 2, 1]
    text = subprocess.run([*citebot_command(), "--config", config, "report"], capture_output=True, text=True,
                          env=bot_env(), timeout=300)
    assert text.returncode == 0 and "not covered: 6 (75%)" in text.stdout, text.stdout + text.stderr
    out = bot.data.parent / "feedback.jsonl"
    export = subprocess.run([*citebot_command(), "--config", config, "feedback", "export", "-o", str(out)],
                            capture_output=True, text=True, env=bot_env(), timeout=120)
    assert export.returncode == 0, export.stderr
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 8 and {r["question"] for r in rows} >= set(NOT_COVERED)
    troops = next(r for r in rows if r["question"] == TROOPS)
    assert troops["vote"] == -1 and troops["wrong_pid"] == troops["quote_pid"] and troops["quote"]
