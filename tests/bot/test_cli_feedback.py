"""``citebot report`` and ``citebot feedback export``: what people asked in Discord and what they thought of it."""

from __future__ import annotations

import json
import time

import pytest

from bot import cli
from bot.cli_feedback import render_report
from retrieval.feedback import DOWN, UP, FeedbackStore
from tests.conftest import SAMPLES
from tests.retrieval.test_feedback import answer


@pytest.fixture
def config(tmp_path) -> str:
    path = tmp_path / "config.toml"
    path.write_text(f'[data]\ndir = {json.dumps(str(tmp_path / "data"))}\n\n[articles]\nfolders = '
                    f'[{json.dumps(str(SAMPLES))}]\n\n[model]\nquery_runtime = "torch"\n', encoding="utf-8")
    return str(path)


@pytest.fixture
def recorded(tmp_path) -> None:
    """Three questions asked an hour ago, one voted down; one asked 30 days ago."""
    store = FeedbackStore.in_folder(tmp_path / "data")
    now = time.time()
    store.record("old", answer("When did the harbour close?"), asker_id=1, at=now - 30 * 86400)
    store.record("q1", answer("When did the harbour reopen?"), asker_id=1, at=now - 3600)
    store.record("q2", answer("Will it rain in Paris tomorrow?", found=False), asker_id=2, at=now - 3500)
    store.record("q3", answer("What is the weather forecast for Paris tomorrow?", found=False), asker_id=3,
                 at=now - 3400)
    store.vote("q1", 5, DOWN)
    store.vote("q1", 6, UP)
    store.close()


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_without_recorded_feedback_both_commands_say_so_in_one_line(capsys, config):
    for command in (["report"], ["feedback", "export"]):
        code, out, err = run(capsys, "--config", config, *command)
        assert code == 1 and out == ""
        assert "no feedback recorded yet" in err and "feedback.sqlite3 does not exist" in err
        assert len(err.strip().splitlines()) == 1


def test_export_writes_one_json_line_per_question_since_a_period(capsys, config, recorded, tmp_path):
    code, out, _ = run(capsys, "--config", config, "feedback", "export", "--since", "7d")
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["question"] for r in rows] == ["When did the harbour reopen?", "Will it rain in Paris tomorrow?",
                                             "What is the weather forecast for Paris tomorrow?"]
    target = tmp_path / "feedback.jsonl"
    code, out, err = run(capsys, "--config", config, "feedback", "export", "-o", str(target))
    assert code == 0 and out == "" and err.strip() == f"wrote 4 question(s) to {target}"
    assert len(target.read_text(encoding="utf-8").splitlines()) == 4


def test_report_counts_groups_and_names_the_worst_rated(capsys, config, recorded):
    code, out, err = run(capsys, "--config", config, "report", "--since", "2d")
    assert code == 0, err
    assert "(2d): 3\n  answered: 1 (33%)\n  not covered: 2 (67%)\n  votes: 1 👍 / 1 👎 (50% 👍)" in out
    assert "  1. “Will it rain in Paris tomorrow?” ×2" in out  # the same question in other words: one group
    assert "  • “When did the harbour reopen?”: 1 👍 / 1 👎" in out
    code, out, _ = run(capsys, "--config", config, "report", "--since", "2d", "--json")
    report = json.loads(out)
    assert (report["questions"], report["up_rate"]) == (3, 0.5)


def test_a_bad_period_is_one_line(capsys, config, recorded):
    code, _, err = run(capsys, "--config", config, "report", "--since", "last week")
    assert code == 1 and "since “last week” is not a period" in err


def test_an_empty_period_says_none():
    report = {"since": 0.0, "questions": 0, "answered": 0, "not_covered": 0, "up": 0, "down": 0,
              "not_covered_groups": [], "worst_rated": []}
    text = render_report(report, "24h")
    assert text.startswith("Questions since 1970-01-01 00:00 UTC (24h): 0\n  answered: 0\n")
    assert text.count("  none") == 2 and "%" not in text
