"""`citebot add`, `remove`, `index PATH`, `sources --by-source`: the index changes one article at a time."""

import json

from tests.bot.test_cli import run_cli
from tests.retrieval.sources.test_index_sources import HARBOUR, QUESTION, page, web  # noqa: F401 - fixture


def with_fetch(config_file):
    text = config_file.read_text(encoding="utf-8")
    config_file.write_text(text + "\n[fetch]\nallow_private_addresses = true\n", encoding="utf-8")
    return config_file


def test_add_url_ask_returns_it_then_remove_makes_it_not_found(capsys, config_file, web):  # noqa: F811
    config = str(with_fetch(config_file))
    web.routes["/harbour"] = (200, page("Harbour reopens after storm repairs", HARBOUR), "text/html")
    code, out, err = run_cli(capsys, "--config", config, "add", f"{web.base}/harbour?utm_source=rss",
                             f"{web.base}/nowhere")
    assert code == 1  # one of the two failed, and says why
    assert "added Harbour reopens after storm repairs" in out and "Coast News" in out and "3 ¶" in out
    assert "/nowhere" in err and "404" in err and "Traceback" not in err
    code, out, _ = run_cli(capsys, "--config", config, "ask", QUESTION, "--json")
    answer = json.loads(out)
    assert answer["found"] and answer["quotes"][0]["url"] == f"{web.base}/harbour"

    code, out, _ = run_cli(capsys, "--config", config, "remove", f"{web.base}/harbour")
    assert code == 0 and "removed Harbour reopens after storm repairs" in out
    code, out, _ = run_cli(capsys, "--config", config, "ask", QUESTION, "--json")
    assert json.loads(out)["found"] is False
    code, _, err = run_cli(capsys, "--config", config, "remove", f"{web.base}/harbour")
    assert code == 1 and "no indexed article matches" in err


def test_index_path_adds_and_by_source_reports(capsys, config_file, tmp_path):
    extra = tmp_path / "harbour.txt"
    extra.write_text("Harbour reopens after storm repairs\nSource: Coast News\n\n" + "\n\n".join(HARBOUR),
                     encoding="utf-8")
    code, out, _ = run_cli(capsys, "--config", str(config_file), "sources", "--json")
    before = {row["article_id"] for row in json.loads(out)}
    code, _, err = run_cli(capsys, "--config", str(config_file), "index", str(extra))
    assert code == 0 and "added 1," in err
    code, out, _ = run_cli(capsys, "--config", str(config_file), "sources", "--json")
    assert {row["article_id"] for row in json.loads(out)} == before | {"harbour"}  # nothing replaced
    code, out, _ = run_cli(capsys, "--config", str(config_file), "index")  # the configured folder: harbour stays
    code, out, _ = run_cli(capsys, "--config", str(config_file), "sources", "--by-source", "--json")
    rows = {row["name"]: row for row in json.loads(out)}
    assert rows["added"]["articles"] == 1 and any(r["articles"] == 4 and r["last_poll"] for r in rows.values())
    code, out, _ = run_cli(capsys, "--config", str(config_file), "sources", "--by-source")
    assert "added (added): 1 article(s)" in out
