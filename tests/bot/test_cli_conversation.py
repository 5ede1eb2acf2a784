"""The command line and console mode: follow-ups (--history, /new), since/until, and the period digest."""

import json

from bot import cli
from bot.config import load_config
from bot.services import open_library

AMBASSADOR = "Who is the British ambassador to Ukraine?"


def run_cli(capsys, *args) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_ask_with_history_follows_up(capsys, config_file):
    code, out, _ = run_cli(capsys, "--config", str(config_file), "ask", "--history", AMBASSADOR,
                           "What did she say?", "--json")
    answer = json.loads(out)
    assert code == 0 and answer["follows_up"] == AMBASSADOR
    assert answer["quotes"][0]["title"].startswith("Russia-Ukraine crisis")


def test_ask_with_a_bad_since_is_one_clear_line(capsys, config_file):
    code, out, err = run_cli(capsys, "--config", str(config_file), "ask", AMBASSADOR, "--since", "2022-02-30")
    assert code == 1 and out == ""
    assert err.strip().count("\n") == 0 and "since “2022-02-30” is not a date" in err


def test_ask_until_before_every_dated_article_finds_nothing(capsys, config_file):
    code, out, _ = run_cli(capsys, "--config", str(config_file), "ask", AMBASSADOR, "--until", "2022-02-10",
                           "--json")
    assert code == 0 and json.loads(out)["quotes"] == []


def test_console_follows_up_until_new(config_file):
    config = load_config(config_file)

    handle = cli.console_handler(open_library(config), config)
    assert "Following up on" not in handle(AMBASSADOR)
    assert handle("What did she say?").startswith(f"Following up on: “{AMBASSADOR}”")
    assert handle("/new").startswith("New conversation")
    assert "Following up on" not in handle("What did she say?")


def test_console_greeting_starts_no_conversation(config_file):
    config = load_config(config_file)
    handle = cli.console_handler(open_library(config), config)
    assert "Ask a question" in handle("hello")
    assert "Following up on" not in handle("How do I bake banana bread?")


def test_summary_since_alone_is_a_digest_of_the_period(capsys, config_file):
    code, out, _ = run_cli(capsys, "--config", str(config_file), "summary", "--since", "2022-02-01",
                           "--until", "2022-02-28", "--json")
    summary = json.loads(out)
    assert code == 0 and summary["period"] == "from 2022-02-01 to 2022-02-28"
    assert len(summary["sentences"]) == 1 and summary["sentences"][0]["published"] == "2022-02-11"
    code, _, err = run_cli(capsys, "--config", str(config_file), "summary", "--article", "Geology", "--since", "1d")
    assert code == 1 and "not to one named article" in err
