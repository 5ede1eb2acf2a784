"""One bot in three servers (global commands, no home server): each server is answered from its own articles plus
the operator's shared config articles; one server's admins change only their server; a page added in two servers
is fetched once. A bot and a fake of their own (three guilds)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import CLOCK_ENV
from tests.e2e.conftest import BotProcess, bot_folder, running_bot
from tests.e2e.fake_discord import PERM_MANAGE_GUILD, FakeDiscord
from tests.local_http import serve
from tests.retrieval.sources.test_index_sources import HARBOUR, QUESTION, page

pytestmark = pytest.mark.e2e

TIMEOUT = 120.0
TITLE = "Harbour reopens after storm repairs"


@pytest.fixture(scope="module")
def site() -> Iterator[tuple[str, list[str]]]:
    body, hits = page(TITLE, HARBOUR), []

    def respond(path: str) -> tuple[int, bytes, str]:
        hits.append(path)
        return (200, body, "text/html; charset=utf-8") if path == "/harbour" else (404, b"no", "text/html")

    with serve(respond) as base:
        yield base, hits


@pytest.fixture(scope="module")
def servers(tmp_path_factory, sample_data_dir: Path, embedder) -> Iterator[tuple[FakeDiscord, BotProcess, dict]]:
    fake = FakeDiscord(heartbeat_interval_ms=2000, heartbeat_grace_s=4.0)
    b = fake.add_guild("Server B", ("b-news",))
    c = fake.add_guild("Server C", ("c-news",))
    b_role = fake.add_role("B editors", guild_id=b)
    fake.start_in_thread()
    channels = {"a": fake.channel_id("general"), "b": fake.channel_id("b-news"), "c": fake.channel_id("c-news"),
                "b_role": b_role}
    assert fake.guild_of(channels["b"]) == b and fake.guild_of(channels["c"]) == c
    root = bot_folder(tmp_path_factory.mktemp("citebot-servers"), sample_data_dir, embedder, [
        "[fetch]", "allow_private_addresses = true",
        "[limits]", "user_questions = 10000", "channel_questions = 10000", "duplicate_window_s = 0",
    ])
    channels["clock"] = root / "clock"  # missing: the system clock; written: the bot's "now" (bot/clock.py)
    try:
        with running_bot(fake, root, **{CLOCK_ENV: str(root / "clock")}) as bot:
            yield fake, bot, channels
    finally:
        fake.stop_thread()


async def run(fake: FakeDiscord, channel: int, command: str, options: dict | None = None, *, user: dict,
              admin: bool = False, roles: list[int] | None = None) -> str:
    """The reply (as JSON text) to ``command`` run in ``channel`` by ``user`` (with Manage Server there)."""
    interaction = await fake.invoke(command, options, user=user, channel_id=channel, roles=roles,
                                    **({"permissions": PERM_MANAGE_GUILD} if admin else {}))
    return json.dumps(await interaction.wait_answer(timeout=TIMEOUT), ensure_ascii=False)


async def test_each_server_is_answered_and_changed_on_its_own(servers, site) -> None:
    fake, bot, ch = servers
    base, hits = site
    a_admin, b_admin, c_admin, alice = (fake.add_user(n) for n in ("a-admin", "b-admin", "c-admin", "alice"))
    url = f"{base}/harbour"

    # added in A: quoted in A, never in B nor C
    assert "Article added" in await run(fake, ch["a"], "add", {"url": url}, user=a_admin, admin=True)
    assert "Saint Brendan" in await run(fake, ch["a"], "ask", {"question": QUESTION}, user=alice)
    for other in ("b", "c"):
        assert "Saint Brendan" not in await run(fake, ch[other], "ask", {"question": QUESTION}, user=alice)
        assert TITLE not in await run(fake, ch[other], "sources", user=alice)
    # the same page added in B: stored once, not fetched again
    assert "added from the shared store" in await run(fake, ch["b"], "add", {"url": url}, user=b_admin, admin=True)
    assert hits.count("/harbour") == 1
    assert "Saint Brendan" in await run(fake, ch["b"], "ask", {"question": QUESTION}, user=alice)

    # C's admin (Manage Server in C only): sees the shared articles, cannot reach A's or B's, nor act in A
    status = json.loads(await run(fake, ch["c"], "status", user=c_admin))
    assert {f["name"]: f["value"] for f in status["embeds"][0]["fields"]}["Articles"] == "4"
    assert "no indexed article matches" in await run(fake, ch["c"], "remove", {"article": TITLE}, user=c_admin,
                                                     admin=True)
    refused = await fake.invoke("remove", {"article": TITLE}, user=c_admin, channel_id=ch["a"])
    assert "Only admins" in (await refused.wait_ack(timeout=10)).payload["data"]["content"]
    assert "operator" in await run(fake, ch["c"], "remove", {"article": "geology"}, user=c_admin, admin=True)

    # A's /reindex re-reads A's page only; A's /remove leaves B's copy
    job = await fake.invoke("reindex", user=a_admin, channel_id=ch["a"], permissions=PERM_MANAGE_GUILD)
    final = await job.wait_original(lambda m: bool(m["embeds"]), timeout=TIMEOUT)
    assert final["embeds"][0]["title"] == "Re-index finished"
    assert hits.count("/harbour") == 2
    choices = await (await fake.autocomplete("remove", "article", "Harbour", user=b_admin,
                                             channel_id=ch["b"])).wait_choices()
    assert [c["name"] for c in choices] == [TITLE]
    assert "Removed" in await run(fake, ch["a"], "remove", {"article": TITLE}, user=a_admin, admin=True)
    assert "Saint Brendan" not in await run(fake, ch["a"], "ask", {"question": QUESTION}, user=alice)
    assert "Saint Brendan" in await run(fake, ch["b"], "ask", {"question": QUESTION}, user=alice)
    choices = await (await fake.autocomplete("remove", "article", "Harbour", user=a_admin,
                                             channel_id=ch["a"])).wait_choices()
    assert choices == []
    bot.assert_alive()


async def test_settings_are_each_servers_own(servers) -> None:
    fake, bot, ch = servers
    b_admin, helper, alice = (fake.add_user(n) for n in ("b-owner", "b-helper", "b-reader"))
    b_role = ch["b_role"]
    refused = await fake.invoke("settings", user=helper, roles=[b_role], channel_id=ch["b"])
    assert "Only admins" in (await refused.wait_ack(timeout=10)).payload["data"]["content"]

    # a channel of another server is refused by name; nothing changes
    bad = await fake.invoke("settings", {"answer_channels": f"<#{ch['a']}>"}, user=b_admin, channel_id=ch["b"],
                            permissions=PERM_MANAGE_GUILD)
    assert "is not a channel of this server" in json.dumps((await bad.wait_ack(timeout=10)).payload)
    shown = await run(fake, ch["b"], "settings", {"answer_channels": f"<#{ch['b']}>", "admin_roles": f"<@&{b_role}>"},
                      user=b_admin, admin=True)
    assert f"<#{ch['b']}>" in shown and f"<@&{b_role}>" in shown

    # B's admin role acts in B (checked at run time), not in A
    assert "Settings of this server" in await run(fake, ch["b"], "settings", user=helper, roles=[b_role])
    elsewhere = await fake.invoke("settings", user=helper, roles=[b_role], channel_id=ch["a"])
    assert "Only admins" in (await elsewhere.wait_ack(timeout=10)).payload["data"]["content"]

    # B's answer channel answers without a mention; A (no answer channel in config) leaves a plain question alone
    mark = fake.mark()
    await fake.send_message("How many passengers did the ferry Saint Brendan carry?", author=alice,
                            channel_id=ch["a"])
    await fake.send_message("How many passengers did the ferry Saint Brendan carry?", author=alice,
                            channel_id=ch["b"])
    reply = await fake.wait_message(channel_id=ch["b"], since=mark, timeout=TIMEOUT)
    assert reply["embeds"], reply
    assert not [m for m in fake.bot_messages(mark) if m["channel_id"] == str(ch["a"])]
    bot.assert_alive()


def held_by(data: Path, guild_id: int) -> int:
    """How many memberships the server has in the store (read-only, beside the running bot)."""
    with sqlite3.connect(f"file:{data / 'citebot.sqlite'}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT COUNT(*) FROM origins WHERE origin LIKE ?", (f"server:{guild_id}/%",)).fetchone()[0]


async def until(condition, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.5)


async def test_a_removed_servers_collection_goes_after_keep_days(servers) -> None:
    fake, bot, ch = servers
    b = fake.guild_of(ch["b"])
    assert held_by(bot.data, b) == 1  # the harbour page B added in the first test (A removed its own)
    await fake.remove_guild(b)
    departures = bot.data / "servers.sqlite3"
    await until(lambda: sqlite3.connect(departures).execute("SELECT COUNT(*) FROM departures").fetchone()[0] == 1)
    await asyncio.sleep(2 * 15.0)  # two purge checks at the real time: kept
    assert held_by(bot.data, b) == 1
    later = datetime.now(UTC) + timedelta(days=31)
    ch["clock"].write_text(later.isoformat(), encoding="utf-8")
    await until(lambda: held_by(bot.data, b) == 0)
    with sqlite3.connect(f"file:{bot.data / 'citebot.sqlite'}?mode=ro", uri=True) as conn:
        assert conn.execute("SELECT COUNT(*) FROM articles WHERE title = ?", (TITLE,)).fetchone()[0] == 0
    bot.assert_alive()
