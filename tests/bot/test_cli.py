"""The citebot command line: JSON contract, console mode, eval, and clear errors with exit codes."""

import io
import json
import sqlite3
import subprocess
import sys

import pytest

from bot import cli
from bot.config import load_config
from retrieval.errors import CitebotError
from tests.conftest import SAMPLES, squad_slice


def run_cli(capsys, *args) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_ask_json_contract(capsys, config_file):
    code, out, _ = run_cli(capsys, "--config", str(config_file), "ask",
                           "How many troops has Russia gathered on Ukraine's border?", "--json")
    assert code == 0
    answer = json.loads(out)
    assert set(answer) >= {"question", "found", "quotes"} and answer["found"] is True
    first = answer["quotes"][0]
    keys = {"article_id", "text", "highlight", "title", "source", "url", "published", "paragraph", "score"}
    assert set(first) >= keys
    assert "130,000" in first["text"] and first["highlight"] in first["text"]
    assert first["title"].startswith("Russia-Ukraine crisis") and first["source"] == "NationalWorld"
    assert first["published"] == "2022-02-11" and first["url"] is None
    assert isinstance(first["paragraph"], int) and isinstance(first["score"], float)
    assert len(answer["quotes"]) == load_config(config_file).retrieval.top_k


def test_ask_not_found_json_exits_zero(capsys, config_file):
    code, out, _ = run_cli(capsys, "--config", str(config_file), "ask", "What is a good recipe for banana bread?",
                           "--json", "--k", "2")
    assert code == 0
    answer = json.loads(out)
    assert answer["found"] is False and len(answer["quotes"]) == 2


def test_ask_text_shows_quote_and_attribution(capsys, config_file):
    code, out, _ = run_cli(capsys, "--config", str(config_file), "ask", "Who is the British ambassador to Ukraine?")
    assert code == 0
    assert "**British ambassador to Ukraine Melinda Simmons" in out
    assert "NationalWorld · 11 Feb 2022 · ¶14" in out


def test_sources_lists_the_samples(capsys, config_file):
    code, out, _ = run_cli(capsys, "--config", str(config_file), "sources", "--json")
    rows = json.loads(out)
    assert code == 0 and len(rows) == 4
    assert rows[0]["source"] == "NationalWorld" and rows[0]["paragraphs"] > 20


@pytest.mark.parametrize(("question", "message"), [("", "question is empty"), ("x" * 2000, "limit is 500")])
def test_bad_question_exit_code_and_message(capsys, config_file, question, message):
    code, out, err = run_cli(capsys, "--config", str(config_file), "ask", question)
    assert code == 1 and out == ""
    assert message in err and err.count("\n") == 1


def test_missing_index_says_run_index(capsys, tmp_path):
    config = tmp_path / "c.toml"
    config.write_text(f'[data]\ndir = "{tmp_path / "nothing"}"\n')
    code, _, err = run_cli(capsys, "--config", str(config), "ask", "Who?")
    assert code == 1 and "run `citebot index`" in err


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ("[retrieval]\ntop_k = 'three'\n", "retrieval.top_k"),
        ("[retrieval]\nbm25_weight = 3.0\n", "retrieval.bm25_weight"),
        ("[retrieval]\ntopk = 3\n", "retrieval.topk"),
        ("[discord]\nguild_ids = 5\n", "discord.guild_ids"),
        ("[nonsense]\na = 1\n", "[nonsense]"),
        ("[retrieval\n", "not valid TOML"),
    ],
)
def test_malformed_config_names_the_key(capsys, tmp_path, toml, key):
    config = tmp_path / "c.toml"
    config.write_text(toml)
    with pytest.raises(CitebotError, match=key.replace("[", r"\[").replace(".", r"\.")):
        load_config(config)
    code, _, err = run_cli(capsys, "--config", str(config), "sources")
    assert code == 1 and key in err


def test_chat_answers_each_line_of_piped_input(config_file, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO("Who is the British ambassador to Ukraine?\n\n/sources\n"))
    code, out, _ = run_cli(capsys, "--config", str(config_file), "chat")
    assert code == 0
    assert "> Who is the British ambassador to Ukraine?" in out and "Melinda Simmons" in out
    assert "Amazon rainforest\n    Wikipedia · undated" in out


def test_chat_indexes_on_first_run(tmp_path, monkeypatch, capsys, embedder):
    (tmp_path / "data").mkdir()
    with sqlite3.connect(embedder.cache.path) as src, sqlite3.connect(tmp_path / "data" / "embeddings.sqlite") as dst:
        src.backup(dst)  # warm cache: this test is about first-run indexing, not model speed
    config = tmp_path / "c.toml"
    config.write_text(f'[data]\ndir = "{tmp_path / "data"}"\n[articles]\nfolders = ["{SAMPLES}"]\n')
    monkeypatch.setattr(sys, "stdin", io.StringIO("How much of the Amazon rainforest is in Brazil?\n"))
    code, out, err = run_cli(capsys, "--config", str(config), "chat")
    assert code == 0 and "No index yet" in err and "60%" in out


def test_index_reports_skipped_files(capsys, tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "ok.txt").write_text("A title\n\nA paragraph that says something useful.\n")
    (folder / "bad.json").write_text("[1, 2")
    config = tmp_path / "c.toml"
    config.write_text(f'[data]\ndir = "{tmp_path / "data"}"\n')
    code, _, err = run_cli(capsys, "--config", str(config), "index", str(folder))
    assert code == 0
    assert "indexed 1 article(s)" in err and "bad.json" in err


def test_eval_retrieval_on_a_squad_slice(capsys, tmp_path, config_file):
    paragraphs, questions = squad_slice(tmp_path, docs=2, questions_per_doc=15)
    code, out, _ = run_cli(capsys, "--config", str(config_file), "eval", "retrieval",
                           "--paragraphs", str(paragraphs), "--questions", str(questions), "--json")
    assert code == 0
    result = json.loads(out)
    assert result["questions"] == 30
    assert result["recall@1"] >= 0.7 and result["recall@5"] >= result["recall@1"]
    assert 0 < result["mrr@10"] <= 1 and result["abstain_rate"] is None
    assert {"answered_rate", "highlight_hit", "p50_ms", "p95_ms", "seconds"} <= set(result)


def test_console_script_runs_without_a_token(config_file):
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "--config", str(config_file), "run"],
        capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"}, timeout=120,
    )
    assert result.returncode != 0
    assert "DISCORD_TOKEN" in result.stderr


def test_eval_with_a_broken_file_names_file_and_line(capsys, tmp_path, config_file):
    paragraphs, _ = squad_slice(tmp_path, docs=1, questions_per_doc=1)
    questions = tmp_path / "broken.jsonl"
    questions.write_text('{"qid": "1", "question": "Who?", "gold_pid": null}\n{"qid": "2"\n')
    code, out, err = run_cli(capsys, "--config", str(config_file), "eval", "retrieval",
                             "--paragraphs", str(paragraphs), "--questions", str(questions))
    assert code == 1 and out == ""
    assert f"{questions}:2: not valid JSON" in err
