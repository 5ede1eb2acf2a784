"""`citebot subscribe` / `unsubscribe`: a site's home page leads to its feed, whose items are indexed and answered;
the subscription is kept in the data folder and shown by `sources --by-source`; unsubscribing removes it."""

from __future__ import annotations

import json

import pytest

from bot import cli
from tests.conftest import SAMPLES
from tests.newsweb import HTML, RSS, home_page, news_site, rss
from tests.retrieval.sources.test_index_sources import HARBOUR, QUESTION, page


@pytest.fixture
def site():
    with news_site() as s:
        s.routes["/"] = (200, home_page("Coast News", "news/feed.xml"), HTML)
        s.routes["/news/feed.xml"] = (200, rss("Coast News", s.base, [("/harbour", "Harbour", "")]), RSS)
        s.routes["/harbour"] = (200, page("Harbour reopens after storm repairs", HARBOUR), HTML)
        s.routes["/about"] = (200, b"<html><head><title>About</title></head><body><p>Hi</p></body></html>", HTML)
        yield s


@pytest.fixture
def config(config_file):
    text = config_file.read_text(encoding="utf-8")
    config_file.write_text(text + "\n[fetch]\nallow_private_addresses = true\nretries = 0\n",
                           encoding="utf-8")
    return str(config_file)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_subscribe_home_page_then_unsubscribe(capsys, config, config_file, site) -> None:
    code, out, err = run(capsys, "--config", config, "subscribe", f"{site.base}/")
    assert code == 0, err
    assert f"subscribed to “Coast News”: {site.base}/news/feed.xml" in out
    assert f"linked from {site.base}/" in out and "1 new article(s) indexed" in out
    stored = json.loads((config_file.parent / "data" / "subscriptions.json").read_text(encoding="utf-8"))
    assert [s["location"] for s in stored["subscriptions"]] == [f"{site.base}/news/feed.xml"]

    code, out, _ = run(capsys, "--config", config, "ask", QUESTION, "--json")
    answer = json.loads(out)
    assert answer["found"] and "Saint Brendan" in answer["quotes"][0]["text"]

    code, out, _ = run(capsys, "--config", config, "sources", "--by-source")
    lines = out.splitlines()
    assert any(line.startswith("Coast News (feed, subscribed): 1 article(s)") for line in lines), out
    assert any("(folder, config)" in line for line in lines), out

    code, _, err = run(capsys, "--config", config, "subscribe", f"{site.base}/news/feed.xml")
    assert code == 1 and "already subscribed" in err and err.count("\n") == 1

    code, out, err = run(capsys, "--config", config, "unsubscribe", "coast news", "--delete-articles")
    assert code == 0 and "unsubscribed from “Coast News”" in out and "1 article(s) deleted" in out, err
    code, out, _ = run(capsys, "--config", config, "ask", QUESTION, "--json")
    assert not json.loads(out)["found"]
    code, out, _ = run(capsys, "--config", config, "sources", "--by-source")
    assert "Coast News" not in out

    code, _, err = run(capsys, "--config", config, "unsubscribe", "Coast News")
    assert code == 1 and "names no subscription" in err


def test_subscribe_refusals_are_one_line(capsys, config, site) -> None:
    code, _, err = run(capsys, "--config", config, "subscribe", f"{site.base}/about")
    assert code == 1 and "links to no RSS or Atom feed" in err and err.count("\n") == 1
    code, _, err = run(capsys, "--config", config, "subscribe", "samples/articles")
    assert code == 1 and "not a web address" in err
    code, _, err = run(capsys, "--config", config, "unsubscribe", str(SAMPLES))
    assert code == 1 and "configuration file" in err
