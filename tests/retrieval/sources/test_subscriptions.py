"""Subscriptions kept in the data folder (finding the feed behind an address: test_discover.py)."""

from __future__ import annotations

import pytest

from retrieval.errors import CitebotError
from retrieval.sources.subscriptions import FILE, add, load, remove, specs


def test_subscriptions_survive_reopening_and_get_unique_names(tmp_path) -> None:
    first = add(tmp_path, "https://news.example/rss", "Coast News", 15, "mod")
    second = add(tmp_path, "https://other.example/feed", "Coast News", taken={"Coast News (2)"})
    assert (first.name, second.name) == ("Coast News", "Coast News (3)")
    assert [(s.kind, s.location, s.name, s.poll_minutes) for s in specs(tmp_path)] == [
        ("feed", "https://news.example/rss", "Coast News", 15),
        ("feed", "https://other.example/feed", "Coast News (3)", 30)]
    with pytest.raises(CitebotError, match="already subscribed"):
        add(tmp_path, "http://www.news.example/rss/?utm_source=x", "Again")  # the same feed, another spelling
    with pytest.raises(CitebotError, match="several subscriptions"):
        remove(tmp_path, "coast")
    assert remove(tmp_path, "https://news.example/rss").name == "Coast News"
    assert [s.name for s in load(tmp_path)] == ["Coast News (3)"]
    assert not list(tmp_path.glob(".*.tmp"))  # written aside, then renamed


def test_a_damaged_subscriptions_file_is_set_aside(tmp_path) -> None:
    (tmp_path / FILE).write_text("{not json", encoding="utf-8")
    assert load(tmp_path) == []
    assert not (tmp_path / FILE).exists() and list(tmp_path.glob(f"{FILE}*"))
