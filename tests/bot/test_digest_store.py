"""When a daily digest is due, and its state across reopening (a restart)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.clock import FileClock
from bot.digest_store import DigestStore, parse_time
from retrieval.errors import CitebotError


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_due_once_a_day_from_its_time_until_the_day_ends(tmp_path) -> None:
    store = DigestStore.in_folder(tmp_path)
    digest = store.set(1, "8:00", "Europe/Paris", guild_id=9, now=at("2024-03-01T05:00"))  # 06:00 in Paris
    assert digest.at == "08:00" and digest.last_day is None
    assert digest.due_day(at("2024-03-01T06:59")) is None  # 07:59 in Paris
    assert digest.due_day(at("2024-03-01T07:00")) == date(2024, 3, 1)
    store.mark(digest, date(2024, 3, 1), ["a1", "a2"])
    store.close()

    again = DigestStore.in_folder(tmp_path)  # a restart
    (digest,) = again.all()
    assert digest.last_articles == ("a1", "a2")
    assert digest.due_day(at("2024-03-01T22:00")) is None  # done today
    assert digest.due_day(at("2024-03-02T06:30")) is None  # tomorrow, before the time
    assert digest.due_day(at("2024-03-02T22:59")) == date(2024, 3, 2)  # missed while down: due until midnight
    assert digest.due_day(at("2024-03-02T23:00")) is None  # midnight in Paris: the missed one is gone
    assert digest.period(date(2024, 3, 2)) == (date(2024, 3, 1), date(2024, 3, 2))


def test_set_after_its_time_starts_tomorrow_and_topics_are_separate(tmp_path) -> None:
    store = DigestStore.in_folder(tmp_path)
    late = store.set(1, "08:00", "UTC", now=at("2024-03-01T09:00"))
    assert late.last_day == "2024-03-01" and late.due_day(at("2024-03-01T23:00")) is None
    store.set(1, "18:00", "UTC", topic="  climate  ", now=at("2024-03-01T09:00"))
    assert [(d.topic, d.at) for d in store.all()] == [("", "08:00"), ("climate", "18:00")]
    assert store.remove(1, "climate") == 1 and store.remove(1, "climate") == 0
    assert store.remove(1) == 1 and store.all() == []


@pytest.mark.parametrize("bad", ["24:00", "8", "08:60", "8am", ""])
def test_bad_times_and_zones_are_named(tmp_path, bad: str) -> None:
    with pytest.raises(CitebotError, match="is not a time of day"):
        parse_time(bad)
    with pytest.raises(CitebotError, match="time zone “Mars/Olympus” is unknown"):
        DigestStore.in_folder(tmp_path).set(1, "08:00", "Mars/Olympus")


def test_file_clock(tmp_path) -> None:
    path = tmp_path / "now"
    path.write_text("2022-02-11T08:00:30", encoding="utf-8")
    assert FileClock(path).now() == at("2022-02-11T08:00:30")
    path.write_text("2022-02-11T09:00:00+01:00", encoding="utf-8")
    assert FileClock(path).now() == at("2022-02-11T08:00:00")
