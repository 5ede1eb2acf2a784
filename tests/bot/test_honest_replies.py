"""Honest replies when nothing answers: an article on the subject is named as such, and an empty period says so
(console, `ask` text and `--json`; Discord in tests/e2e/test_qa.py)."""

from __future__ import annotations

import io
import json
import sys

from bot import cli

# The Amazon sample is about the rainforest, but says nothing of tourists.
ON_SUBJECT = "How many tourists visit the Amazon rainforest each year?"
HONEST = "“Amazon rainforest” is about this, but I found nothing in it that answers your question."
AMAZON_URL = "https://en.wikipedia.org/wiki/Amazon_rainforest"
TROOPS = "How many troops has Russia gathered on Ukraine's border?"


def run_cli(capsys, *args) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_ask_text_says_the_article_is_on_the_subject_but_does_not_answer(capsys, config_file):
    code, out, _ = run_cli(capsys, "--config", str(config_file), "ask", ON_SUBJECT)
    assert code == 0
    assert out.splitlines()[:2] == [HONEST, f"    {AMAZON_URL}"]
    assert "don't cover" not in out and "“" not in out.split(HONEST)[1]  # no quote follows


def test_ask_json_names_the_article_on_the_subject(capsys, config_file):
    code, out, _ = run_cli(capsys, "--config", str(config_file), "ask", ON_SUBJECT, "--json")
    answer = json.loads(out)
    assert code == 0 and answer["found"] is False
    assert answer["on_subject"] == {"article_id": "amazon-rainforest", "title": "Amazon rainforest",
                                    "url": AMAZON_URL, "source": "Wikipedia", "published": None}
    assert answer["quotes"][0]["title"] == "Amazon rainforest"  # the nearest misses stay in the JSON
    _, out, _ = run_cli(capsys, "--config", str(config_file), "ask", "What is a good recipe for banana bread?",
                        "--json")
    assert "on_subject" not in json.loads(out)  # off the subject: plain "not covered"
    _, out, _ = run_cli(capsys, "--config", str(config_file), "ask", TROOPS, "--json")
    assert json.loads(out)["found"] is True and "on_subject" not in json.loads(out)


def test_console_says_the_same(config_file, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"{ON_SUBJECT}\n"))
    code, out, _ = run_cli(capsys, "--config", str(config_file), "chat")
    assert code == 0 and f"{HONEST}\n    {AMAZON_URL}" in out


def test_ask_since_a_period_without_articles_says_so_as_summary_does(capsys, config_file):
    code, out, _ = run_cli(capsys, "--config", str(config_file), "ask", TROOPS, "--since", "7d")
    assert code == 0
    line = out.strip()
    assert line.startswith("No indexed article was published since ") and line.endswith(".")
    code, out, _ = run_cli(capsys, "--config", str(config_file), "ask", TROOPS, "--since", "7d", "--json")
    answer = json.loads(out)
    assert answer["found"] is False and answer["quotes"] == [] and answer["message"] == line
    _, digest, _ = run_cli(capsys, "--config", str(config_file), "summary", "--since", "7d")
    assert digest.strip() == line  # the same words as the digest of an empty period
    code, out, _ = run_cli(capsys, "--config", str(config_file), "ask", TROOPS, "--since", "2022-02-01", "--json")
    assert json.loads(out)["found"] is True and "message" not in json.loads(out)


def test_discord_reply_escapes_the_title_and_links_without_a_preview():
    from bot.embeds import answer_embed
    from retrieval.models import Answer, ArticleMeta

    linked = ArticleMeta("a", "Tour *dates* [2020]", url="https://example.org/tour")
    embed = answer_embed(Answer("How much are tickets?", False, [], on_subject=linked))
    assert embed.description == (r"[Tour \*dates\* \[2020\]](<https://example.org/tour>) is about this, but I found "
                                 "nothing in it that answers your question.")
    unlinked = ArticleMeta("b", "Tour dates", url="javascript:alert(1)")
    embed = answer_embed(Answer("How much are tickets?", False, [], on_subject=unlinked))
    assert embed.description.startswith("Tour dates is about this") and "javascript" not in embed.description


def test_an_article_lacking_a_name_the_question_gives_is_not_called_on_the_subject(capsys, config_file):
    from retrieval.query.subject import question_names

    assert question_names("Which team won the MLS Cup final on Sunday?") == {"mls", "cup"}  # days are no names
    question = "How many tourists visit the Amazon rainforest in Yokohama each year?"
    _, out, _ = run_cli(capsys, "--config", str(config_file), "ask", question, "--json")
    answer = json.loads(out)
    assert answer["found"] is False and "on_subject" not in answer
    _, out, _ = run_cli(capsys, "--config", str(config_file), "ask", question)
    assert out.startswith("The indexed articles don't cover this.")
