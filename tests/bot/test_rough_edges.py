"""The rough edges a new user hits: fetching progress and failures by cause, `remove` by short id / part of a
title with "did you mean", the come-back warning for a configured URL source, the one-time ONNX export done at
index time, a copied example config holding only your sources, and 'quit' ending piped console input."""

from __future__ import annotations

import io
import json
import shutil
import tomllib
from pathlib import Path

import pytest

from bot.console import chat
from retrieval.index.naming import short_id
from tests.bot.test_cli import run_cli
from tests.conftest import SAMPLES
from tests.newsweb import HTML, RSS, news_site, rss
from tests.retrieval.sources.test_index_sources import HARBOUR, QUESTION, page

ROOT = SAMPLES.parents[1]


@pytest.fixture
def site():
    with news_site() as s:
        s.routes["/harbour"] = (200, page("Harbour reopens after storm repairs", HARBOUR), HTML)
        yield s


def with_sources(config_file: Path, *tables: str) -> str:
    text = config_file.read_text(encoding="utf-8")
    config_file.write_text(text + "\n[fetch]\nallow_private_addresses = true\nretries = 0\n" + "".join(tables),
                           encoding="utf-8")
    return str(config_file)


def test_index_shows_fetch_progress_and_failures_by_cause(capsys, config_file, site) -> None:
    items = [("/harbour", "Harbour", "")] + [(f"/gone{n}", f"Gone {n}", "") for n in range(6)]
    site.routes["/feed.xml"] = (200, rss("Coast News", site.base, items), RSS)
    config = with_sources(config_file, f'\n[[sources]]\nkind = "feed"\nlocation = "{site.base}/feed.xml"\n'
                                       'name = "Coast News"\n')
    code, _, err = run_cli(capsys, "--config", config, "index")
    assert code == 0, err
    assert "Coast News: fetched 1/7 page(s), 6 failed" in err, err
    assert "failed: 6 × not found\n" in err and "…and 3 more" in err, err
    assert err.count("/gone") == 3  # three examples, not one line per failure
    code, out, _ = run_cli(capsys, "--config", config, "sources", "--by-source")
    line = next(line for line in out.splitlines() if line.startswith("Coast News"))
    assert line.startswith("Coast News (feed, config): 1 article(s), last poll ")
    assert line.endswith("last error: 6 item(s) failing: not found (6)"), line


def test_reindex_progress_names_the_pages_fetched() -> None:
    from bot.formats import progress_text
    from retrieval.sources.sync import fetch_stage

    text = progress_text(fetch_stage("Coast News", 1), 3, 5, 2.0)
    assert text.startswith("Re-indexing… fetching Coast News (1 failed): 3/5 page(s) (2 s)."), text


def test_remove_by_short_id_part_of_title_and_did_you_mean(capsys, config_file, tmp_path) -> None:
    config = str(config_file)
    code, out, _ = run_cli(capsys, "--config", config, "sources", "--json")
    rows = json.loads(out)
    geology = next(r for r in rows if r["title"] == "Geology")
    assert geology["short_id"] == short_id(geology["article_id"]) and len(geology["short_id"]) == 7
    code, out, _ = run_cli(capsys, "--config", config, "sources")
    assert f"id {geology['short_id']}" in out

    code, _, err = run_cli(capsys, "--config", config, "remove", "geolgy")
    assert code == 1 and "Did you mean “Geology”" in err, err
    code, _, err = run_cli(capsys, "--config", config, "remove", "a")  # in several titles
    assert code == 1 and "did you mean" in err and "matches" in err, err
    code, out, err = run_cli(capsys, "--config", config, "remove", geology["short_id"])
    assert code == 0 and "removed Geology" in out, err

    amazon = next(r for r in rows if "amazon" in r["title"].lower())
    part = amazon["title"].split()[1].upper()  # one word of the title, in other case
    code, out, err = run_cli(capsys, "--config", config, "remove", part)
    assert code == 0 and f"removed {amazon['title']}" in out, err


def test_removing_an_article_of_a_configured_url_says_it_comes_back(capsys, config_file, site) -> None:
    config = with_sources(config_file, f'\n[[sources]]\nkind = "url"\nlocation = "{site.base}/harbour"\n'
                                       'name = "Harbour page"\n')
    code, _, err = run_cli(capsys, "--config", config, "index")
    assert code == 0, err
    code, out, err = run_cli(capsys, "--config", config, "remove", "harbour reopens")
    assert code == 0 and "removed Harbour reopens after storm repairs" in out
    assert "comes back at the next `citebot index`" in err and "url source “Harbour page”" in err, err
    assert "remove it from config.toml" in err


def test_first_question_preparation_is_done_at_index_time_and_announced_by_ask(capsys, config_file,
                                                                               tmp_path) -> None:
    onnx = config_file.parent / "data" / "onnx"
    shutil.rmtree(onnx)
    extra = tmp_path / "harbour.txt"
    extra.write_text("Harbour reopens\nSource: Coast News\n\n" + "\n\n".join(HARBOUR), encoding="utf-8")
    code, _, err = run_cli(capsys, "--config", str(config_file), "index", str(extra))
    assert code == 0 and list(onnx.glob("*/model.onnx")), err  # made by `index` (said only at a terminal)
    code, out, err = run_cli(capsys, "--config", str(config_file), "ask", QUESTION, "--json")
    assert json.loads(out)["found"] and "preparing" not in err

    shutil.rmtree(onnx)  # e.g. a data folder indexed by an older citebot: the first question says why it waits
    code, out, err = run_cli(capsys, "--config", str(config_file), "ask", QUESTION, "--json")
    assert json.loads(out)["found"] and "preparing the question model (a one-time ONNX export" in err, err


def test_copied_example_config_gives_only_your_sources(tmp_path) -> None:
    from bot.config import load_config

    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    assert tomllib.loads(text)["articles"] == {}  # the samples line is commented out
    mine = tmp_path / "config.toml"
    mine.write_text(text + '\n[[sources]]\nkind = "feed"\nlocation = "https://news.example/rss"\n', encoding="utf-8")
    assert [(s.kind, s.location) for s in load_config(mine).sources] == [("feed", "https://news.example/rss")]
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    assert "config.toml" in ignored and "data/" in ignored


def test_quit_and_exit_end_piped_console_input() -> None:
    for word in ("quit", "EXIT"):
        asked: list[str] = []
        out = io.StringIO()
        chat(lambda line, asked=asked: asked.append(line) or "ok", stdin=io.StringIO(f"first\n{word}\nsecond\n"),
             stdout=out)
        assert asked == ["first"], asked
