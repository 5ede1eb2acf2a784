"""End-to-end fixtures: one fake Discord (in a background thread) and one `citebot run` subprocess per session.

The bot gets a temporary workspace: a copy of the bundled sample articles, a copy of the session's indexed data
directory and embedding cache (so start-up loads instead of indexing), and a config naming the fake guild, an
answer channel and an admin role. After every test the fake must have recorded no error: an unknown route, a
rejected request, a late heartbeat or an unanswered interaction fails the test that caused it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import discord
import pytest
import yarl

from tests.conftest import copy_data_dir

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `tests.e2e.fake_discord` must import the same way from every entry point
    sys.path.insert(0, str(ROOT))

from retrieval.library import CACHE_FILE  # noqa: E402
from tests.e2e.fake_discord import FakeDiscord  # noqa: E402

SAMPLES = ROOT / "samples" / "articles"
START_TIMEOUT = 300.0  # model load on a busy 2-core machine


def citebot_command() -> list[str]:
    """The installed `citebot` entry point next to this Python, else `python -m bot.cli`."""
    script = Path(sys.executable).with_name("citebot")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]


def bot_env(**extra: str) -> dict[str, str]:
    """The environment for a bot subprocess: no inherited token or config, unbuffered output."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISCORD_TOKEN", "CITEBOT_CONFIG")}
    env.update(PYTHONUNBUFFERED="1", **extra)
    return env


@dataclass
class World:
    """The fake guild as the tests see it."""

    fake: FakeDiscord
    general: int  # a channel where only mentions and replies are answered
    answers: int  # a configured answer channel
    alice: dict  # a member without admin rights
    mod: dict  # a member with the configured admin role
    manager: dict  # a member with the Manage Server permission
    other_bot: dict
    admin_role: int


@dataclass
class BotProcess:
    """The running `citebot run` subprocess and its workspace."""

    proc: subprocess.Popen
    log: Path
    articles: Path
    data: Path

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])

    def assert_alive(self) -> None:
        assert self.proc.poll() is None, f"citebot exited with {self.proc.returncode}:\n{self.log_tail()}"


@pytest.fixture(autouse=True)
def _fake_discord_must_stay_clean() -> Iterator[None]:
    """Any error a running fake recorded during the test (and the test did not take) fails it."""
    yield
    for fake in list(FakeDiscord.live):
        fake.assert_clean()


@pytest.fixture(scope="session")
def world() -> Iterator[World]:
    """The fake Discord, on its own thread, with users and roles created before the bot connects."""
    fake = FakeDiscord(heartbeat_interval_ms=2000, heartbeat_grace_s=4.0).start_in_thread()
    admin_role = fake.add_role("Moderator")
    yield World(
        fake=fake,
        general=fake.channel_id("general"),
        answers=fake.channel_id("ask-the-news"),
        alice=fake.add_user("alice"),
        mod=fake.add_user("mod"),
        manager=fake.add_user("manager"),
        other_bot=fake.add_user("otherbot", bot=True),
        admin_role=admin_role,
    )
    fake.stop_thread()


def copy_cache(embedder, target: Path) -> None:
    """A consistent copy of the session's embedding cache (SQLite backup, WAL included)."""
    source = getattr(getattr(embedder, "cache", None), "path", None)
    if source is None or not Path(source).exists():
        return
    with sqlite3.connect(str(source)) as src, sqlite3.connect(str(target)) as dst:
        src.backup(dst)


def bot_folder(root: Path, sample_data_dir: Path, embedder, settings: list[str]) -> Path:
    """``root`` with articles/ (the samples), data/ (indexed samples + the session's embedding cache) and a
    config.toml of [data], [articles] and ``settings`` (further TOML lines)."""
    shutil.copytree(SAMPLES, root / "articles")
    copy_data_dir(sample_data_dir, root / "data")
    copy_cache(embedder, root / "data" / CACHE_FILE)
    lines = ["[data]", f"dir = {json.dumps(str(root / 'data'))}",
             "[articles]", f"folders = [{json.dumps(str(root / 'articles'))}]", *settings, ""]
    (root / "config.toml").write_text("\n".join(lines), encoding="utf-8")
    return root


@contextmanager
def running_bot(fake: FakeDiscord, workspace: Path, **env: str) -> Iterator[BotProcess]:
    """`citebot run` in ``workspace`` against ``fake`` (see start_bot), stopped when the block ends."""
    bot = start_bot(fake, workspace, **env)
    try:
        yield bot
    finally:
        stop(bot.proc)


@pytest.fixture(scope="session")
def workspace(tmp_path_factory: pytest.TempPathFactory, sample_data_dir: Path, embedder, world: World) -> Path:
    """A folder with articles/, data/ (indexed samples + embedding cache) and config.toml for the fake guild."""
    root = tmp_path_factory.mktemp("citebot-e2e")
    fake = world.fake
    bot_folder(root, sample_data_dir, embedder, [
        "[discord]",
        f"guild_ids = [{fake.guild_id}]",
        f"answer_channel_ids = [{world.answers}]",
        f"admin_role_ids = [{world.admin_role}]",
        "[fetch]",
        "allow_private_addresses = true  # /add fetches from a local server in tests/e2e/test_sources.py",
        "[limits]",  # the feature tests ask the same questions often: flood control has its own tests
        "user_questions = 10000",
        "channel_questions = 10000",
        "duplicate_window_s = 0",
    ])
    return root


@pytest.fixture(scope="session")
def citebot_session(world: World, workspace: Path) -> Iterator[BotProcess]:
    """`citebot run` against the fake, started once; ready when its presence shows the article count."""
    fake = world.fake
    bot = start_bot(fake, workspace)
    proc = bot.proc
    try:
        assert sorted(fake.command_names(guild=True)) == ["add", "ask", "digest", "follow", "following", "reindex",
                                                          "remove", "report", "settings", "sources", "status",
                                                          "subscribe", "summary", "unfollow", "unsubscribe"]
        assert fake.command_names(guild=False) == []
        yield bot
    finally:
        stop(proc)
    assert proc.returncode == 0, f"citebot did not shut down cleanly on SIGTERM:\n{bot.log_tail()}"


def start_bot(fake: FakeDiscord, workspace: Path, **env_extra: str) -> BotProcess:
    """`citebot run` with ``workspace/config.toml`` against ``fake``, once it shows itself online (logs in
    ``workspace/citebot.log``, appended to); stopped and the test failed if it exits or is not ready in
    START_TIMEOUT. ``env_extra``: more environment variables (e.g. a test clock)."""
    log = workspace / "citebot.log"
    env = bot_env(DISCORD_TOKEN=fake.token, CITEBOT_DISCORD_API_BASE=fake.base_url, **env_extra)
    with open(log, "ab") as out:
        proc = subprocess.Popen([*citebot_command(), "--config", str(workspace / "config.toml"), "run"], cwd=ROOT,
                                env=env, stdout=out, stderr=subprocess.STDOUT)
    bot = BotProcess(proc, log, workspace / "articles", workspace / "data")
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not any("articles" in json.dumps(p) for p in fake.presences):
            bot.assert_alive()
            assert time.monotonic() < deadline, f"citebot not ready in {START_TIMEOUT}s:\n{bot.log_tail()}"
            time.sleep(0.2)
    except BaseException:
        stop(proc)
        raise
    return bot


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM (a clean shutdown), then SIGKILL if it hangs."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@pytest.fixture
def citebot(citebot_session: BotProcess) -> Iterator[BotProcess]:
    """The session's bot, checked alive before and after each test."""
    citebot_session.assert_alive()
    yield citebot_session
    citebot_session.assert_alive()


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    """An emulator in this process with discord.py redirected to it (for tests of a client of their own)."""
    fake = await FakeDiscord().start()
    monkeypatch.setattr(discord.http.Route, "BASE", fake.api_base)
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(fake.gateway_url))
    yield fake
    fake.assert_clean()
    await fake.close()
