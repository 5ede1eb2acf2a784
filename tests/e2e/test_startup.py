"""`citebot run` start-up failures: each exits non-zero with one line that says what to do."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import ROOT, bot_env, citebot_command
from tests.e2e.fake_discord import FakeDiscord

pytestmark = pytest.mark.e2e


def run_citebot(tmp_path: Path, timeout: float = 120, **env: str) -> tuple[int, str]:
    config = tmp_path / "config.toml"
    config.write_text(f'[data]\ndir = "{tmp_path / "data"}"\n', encoding="utf-8")
    done = subprocess.run(
        [*citebot_command(), "--config", str(config), "run"],
        cwd=ROOT,
        env=bot_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return done.returncode, done.stderr


def last_line(stderr: str) -> str:
    return stderr.strip().splitlines()[-1]


def test_no_token_says_how_to_set_it(tmp_path: Path) -> None:
    code, stderr = run_citebot(tmp_path)
    assert code != 0
    assert last_line(stderr).startswith("citebot: error: no Discord token") and "DISCORD_TOKEN" in last_line(stderr)


def test_rejected_token(tmp_path: Path) -> None:
    fake = FakeDiscord().start_in_thread()
    try:
        code, stderr = run_citebot(tmp_path, DISCORD_TOKEN="not-the-token", CITEBOT_DISCORD_API_BASE=fake.base_url)
        assert code == 1 and "Discord rejected the token" in last_line(stderr), stderr
        assert [(e.kind, e.path) for e in fake.take_errors()] == [("rejected", "/api/v10/users/@me")]
    finally:
        fake.stop_thread()


def test_message_content_intent_not_enabled(tmp_path: Path) -> None:
    fake = FakeDiscord(message_content_enabled=False).start_in_thread()
    try:
        started = time.monotonic()
        code, stderr = run_citebot(tmp_path, DISCORD_TOKEN=fake.token, CITEBOT_DISCORD_API_BASE=fake.base_url)
        assert code == 1 and "Message Content" in last_line(stderr) and "developers" in last_line(stderr), stderr
        assert time.monotonic() - started < 60  # told at once, not after loading the model
        assert fake.identify_payloads and fake.identify_payloads[0]["intents"] & (1 << 15)
    finally:
        fake.stop_thread()
