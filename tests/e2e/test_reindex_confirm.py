"""/reindex that would remove more than half of the index asks first: a Confirm button only the admin who ran it
can press (a MESSAGE_COMPONENT interaction answered with UPDATE_MESSAGE). A bot and a fake of their own: the
articles folder is emptied here."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import BotProcess, bot_folder, running_bot
from tests.e2e.fake_discord import FLAG_EPHEMERAL, PERM_MANAGE_GUILD, FakeDiscord

pytestmark = pytest.mark.e2e

TIMEOUT = 120.0


@pytest.fixture(scope="module")
def lone_bot(tmp_path_factory, sample_data_dir: Path, embedder) -> Iterator[tuple[FakeDiscord, BotProcess]]:
    fake = FakeDiscord(heartbeat_interval_ms=2000, heartbeat_grace_s=4.0).start_in_thread()
    root = bot_folder(tmp_path_factory.mktemp("citebot-confirm"), sample_data_dir, embedder,
                      ["[discord]", f"guild_ids = [{fake.guild_id}]"])
    try:
        with running_bot(fake, root) as bot:
            yield fake, bot
    finally:
        fake.stop_thread()


def buttons(message: dict) -> dict[str, dict]:
    return {b["label"]: b for row in message["components"] for b in row["components"]}


async def articles_indexed(fake: FakeDiscord, user: dict) -> str:
    status = await fake.invoke("status", user=user)
    fields = {f["name"]: f["value"] for f in (await status.wait_answer(timeout=TIMEOUT))["embeds"][0]["fields"]}
    return fields["Articles"]


async def test_removing_most_of_the_index_waits_for_the_admins_confirmation(lone_bot) -> None:
    fake, bot = lone_bot
    admin, other = fake.add_user("admin"), fake.add_user("other-admin")
    for name in ("geology.txt", "construction.json", "amazon-rainforest.md"):
        (bot.articles / name).unlink()

    # The first /reindex asks; Cancel removes nothing.
    job = await fake.invoke("reindex", user=admin, permissions=PERM_MANAGE_GUILD)
    asked = await job.wait_original(lambda m: bool(m["components"]), timeout=TIMEOUT)
    assert "3 of the 4" in asked["content"] and "nothing was removed" in asked["content"]
    assert asked["flags"] & FLAG_EPHEMERAL and set(buttons(asked)) == {"Confirm: remove them", "Cancel"}
    cancel = await fake.click(asked, buttons(asked)["Cancel"]["custom_id"], user=admin)
    ack = await cancel.wait_ack(timeout=10)
    assert ack.payload["type"] == 7 and ack.payload["data"]["components"] == []
    assert job.original["content"].startswith("Cancelled") and job.original["components"] == []
    assert await articles_indexed(fake, admin) == "4"

    # The second asks again: only the admin who ran it sees it and can confirm it.
    job = await fake.invoke("reindex", user=admin, permissions=PERM_MANAGE_GUILD)
    asked = await job.wait_original(lambda m: bool(m["components"]), timeout=TIMEOUT)
    confirm_id = buttons(asked)["Confirm: remove them"]["custom_id"]
    with pytest.raises(AssertionError, match="only the user an ephemeral message was shown to"):
        await fake.click(asked, confirm_id, user=other)  # Discord shows the question to its admin alone
    assert job.original["components"]  # (the cog's own check of the presser: tests/bot/cogs/test_admin.py)
    confirm = await fake.click(asked, confirm_id, user=admin)
    assert (await confirm.wait_ack(timeout=10)).payload["type"] == 7
    final = await job.wait_original(lambda m: bool(m["embeds"]), timeout=TIMEOUT)
    assert "removed 3" in final["embeds"][0]["description"] and final["components"] == []
    assert await articles_indexed(fake, admin) == "1"
    bot.assert_alive()
