"""`citebot summary` and `/summary` in console mode: verbatim, attributed key sentences."""

import io
import json
import sys

from bot import cli
from tests.conftest import SAMPLES


def run_json(capsys, config_file, *args) -> dict:
    code = cli.main(["--config", str(config_file), "summary", *args, "--json"])
    out, _ = capsys.readouterr()
    assert code == 0
    return json.loads(out)


def sample_text(name: str) -> str:
    return (SAMPLES / name).read_text(encoding="utf-8")


def test_default_summary_is_the_latest_article(capsys, config_file):
    summary = run_json(capsys, config_file)
    assert summary["article"].startswith("Russia-Ukraine crisis") and summary["topic"] is None
    assert len(summary["sentences"]) == 3
    text = sample_text("russia-ukraine-2022-02-11.txt")
    paragraphs = [s["paragraph"] for s in summary["sentences"]]
    assert paragraphs == sorted(paragraphs)
    for s in summary["sentences"]:
        assert s["text"] in text
        assert "(Photo:" not in s["text"] and "message from the editor" not in s["text"]
        assert s["source"] == "NationalWorld" and s["published"] == "2022-02-11"


def test_article_summary_by_title_with_sentence_count(capsys, config_file):
    summary = run_json(capsys, config_file, "--article", "Amazon rainforest", "--sentences", "4")
    assert summary["article"] == "Amazon rainforest" and len(summary["sentences"]) == 4
    text = sample_text("amazon-rainforest.md")
    for s in summary["sentences"]:
        assert s["text"] in text and s["url"] == "https://en.wikipedia.org/wiki/Amazon_rainforest"


def test_topic_summary_is_attributed_to_relevant_articles(capsys, config_file):
    summary = run_json(capsys, config_file, "--topic", "British troops leaving Ukraine")
    assert summary["topic"] == "British troops leaving Ukraine" and summary["sentences"]
    assert {s["source"] for s in summary["sentences"]} == {"NationalWorld"}
    assert any("troops" in s["text"] for s in summary["sentences"])


def test_topic_with_nothing_relevant_says_so(capsys, config_file):
    summary = run_json(capsys, config_file, "--topic", "banana bread recipes")
    assert summary["sentences"] == [] and "don't cover" in summary["message"]


def test_unknown_article_names_the_closest_titles(capsys, config_file):
    code = cli.main(["--config", str(config_file), "summary", "--article", "amazon forests"])
    _, err = capsys.readouterr()
    assert code == 1 and "Closest titles: Amazon rainforest" in err


def test_console_summary_command(capsys, config_file, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("/summary article:geology\n/summary topic:igneous rock\n"))
    assert cli.main(["--config", str(config_file), "chat"]) == 0
    out, _ = capsys.readouterr()
    assert "Summary of “Geology”" in out and "What the articles say about “igneous rock”" in out
    assert "— Geology · Wikipedia" in out
