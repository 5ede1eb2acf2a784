"""The injectable clock: the system's, or (tests only) the time written in a file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from bot.clock import CLOCK_ENV, FileClock, SystemClock, clock_from_env


def test_the_file_clock_reads_the_written_time_utc_when_it_names_no_offset(tmp_path):
    path = tmp_path / "now.txt"
    path.write_text("2024-03-04T08:30:00\n", encoding="utf-8")
    clock = FileClock(path)
    assert clock.now() == datetime(2024, 3, 4, 8, 30, tzinfo=UTC)
    path.write_text("2024-03-05T08:30:00+02:00", encoding="utf-8")  # moved on by the test: read each time
    assert clock.now() == datetime(2024, 3, 5, 8, 30, tzinfo=timezone(timedelta(hours=2)))


def test_a_missing_or_unreadable_file_falls_back_to_the_system_time(tmp_path):
    path = tmp_path / "now.txt"
    for content in (None, "next tuesday"):
        if content is not None:
            path.write_text(content, encoding="utf-8")
        now = FileClock(path).now()
        assert now.tzinfo is not None and now.year >= 2025


def test_the_environment_picks_the_clock(tmp_path, monkeypatch):
    monkeypatch.delenv(CLOCK_ENV, raising=False)
    assert isinstance(clock_from_env(), SystemClock)
    path = tmp_path / "now.txt"
    path.write_text("2030-01-01T00:00:00Z", encoding="utf-8")
    monkeypatch.setenv(CLOCK_ENV, str(path))
    assert clock_from_env().now() == datetime(2030, 1, 1, tzinfo=UTC)
