"""Daily digests: which channel gets one, at what local time, about what; and the last day each was posted.

Stored in ``digests.sqlite3`` in the data folder (WAL, full fsync): a digest is posted once per day even across
restarts, because the day it was last posted for is written as soon as it is sent.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from retrieval.errors import CitebotError
from retrieval.sqlite_file import SqliteFile

DIGESTS_FILE = "digests.sqlite3"
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")

SCHEMA = """
CREATE TABLE IF NOT EXISTS digests (
    channel_id INTEGER NOT NULL,
    topic TEXT NOT NULL DEFAULT '',      -- '' for the day's main stories
    guild_id INTEGER,
    at TEXT NOT NULL,                    -- HH:MM, local time in tz
    tz TEXT NOT NULL,
    created_by INTEGER,
    created_at REAL NOT NULL,
    last_day TEXT,                       -- YYYY-MM-DD (local) of the last digest posted (or skipped: no news)
    last_articles TEXT NOT NULL DEFAULT '[]',  -- article ids of the last digest posted, not repeated the next day
    PRIMARY KEY (channel_id, topic)
);
"""


def parse_time(text: str) -> str:
    """'8:00', '08:00', '23:59' -> 'HH:MM'; ``CitebotError`` naming the value otherwise."""
    match = _TIME.match((text or "").strip())
    if not match:
        raise CitebotError(f"time “{text}” is not a time of day: use HH:MM on a 24-hour clock, e.g. 08:00 or 18:30")
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def check_timezone(name: str) -> str:
    """``name`` if it is an IANA time zone, else ``CitebotError`` naming it."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CitebotError(f"time zone “{name}” is unknown: use an IANA name such as UTC, Europe/Paris or "
                           "America/New_York") from None
    return name


@dataclass(frozen=True)
class Digest:
    channel_id: int
    topic: str
    guild_id: int | None
    at: str
    tz: str
    last_day: str | None = None
    last_articles: tuple[str, ...] = ()

    def local_now(self, now: datetime) -> datetime:
        return now.astimezone(ZoneInfo(self.tz))

    def due_day(self, now: datetime) -> date | None:
        """The local day a digest is due for at ``now``: today, once today's time has come and today's digest has not
        been posted yet (a digest missed while the bot was down is still due until the day ends); else None."""
        local = self.local_now(now)
        hour, minute = map(int, self.at.split(":"))
        if (local.hour, local.minute) < (hour, minute):
            return None
        today = local.date()
        return today if self.last_day != today.isoformat() else None

    def period(self, day: date) -> tuple[date, date]:
        """The publication days a digest for ``day`` covers: the day before and the day itself (an article of
        yesterday evening is news this morning); articles of the previous digest are left out."""
        return day - timedelta(days=1), day


class DigestStore(SqliteFile):
    """The configured digests. Thread-safe; call from worker threads."""

    FILE = DIGESTS_FILE
    SCHEMA = SCHEMA

    def set(self, channel_id: int, at: str, tz: str, *, topic: str = "", guild_id: int | None = None,
            created_by: int | None = None, now: datetime | None = None) -> Digest:
        """Add or change the digest of ``channel_id`` (and ``topic``). Set after today's time, the first one comes
        tomorrow (today counts as done); the record of what was last posted is kept."""
        at, tz = parse_time(at), check_timezone(tz)
        digest = Digest(channel_id, topic.strip(), guild_id, at, tz)
        started = digest.due_day(now) if now is not None else None
        with self.lock, self.conn:
            self.conn.execute(
                "INSERT INTO digests (channel_id, topic, guild_id, at, tz, created_by, created_at, last_day) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (channel_id, topic) DO UPDATE SET at = excluded.at, "
                "tz = excluded.tz, guild_id = excluded.guild_id, created_by = excluded.created_by, "
                "last_day = COALESCE(excluded.last_day, digests.last_day)",
                (channel_id, digest.topic, guild_id, at, tz, created_by, time.time(),
                 started.isoformat() if started else None),
            )
        return self.get(channel_id, digest.topic) or digest

    def remove(self, channel_id: int, topic: str | None = None) -> int:
        """Stop the digest(s) of a channel (one topic, or all when ``topic`` is None); how many were stopped."""
        with self.lock, self.conn:
            if topic is None:
                return self.conn.execute("DELETE FROM digests WHERE channel_id = ?", (channel_id,)).rowcount
            return self.conn.execute("DELETE FROM digests WHERE channel_id = ? AND topic = ?",
                                     (channel_id, topic.strip())).rowcount

    def get(self, channel_id: int, topic: str = "") -> Digest | None:
        with self.lock:
            row = self.conn.execute("SELECT * FROM digests WHERE channel_id = ? AND topic = ?",
                                    (channel_id, topic.strip())).fetchone()
        return self._digest(row) if row else None

    def all(self, guild_id: int | None = None) -> list[Digest]:
        with self.lock:
            if guild_id is None:
                rows = self.conn.execute("SELECT * FROM digests ORDER BY channel_id, topic").fetchall()
            else:
                rows = self.conn.execute("SELECT * FROM digests WHERE guild_id = ? ORDER BY channel_id, topic",
                                         (guild_id,)).fetchall()
        return [self._digest(r) for r in rows]

    def mark(self, digest: Digest, day: date, articles: list[str] | None = None) -> None:
        """Record that ``day``'s digest is done: posted with ``articles``, or (None) skipped for lack of news."""
        with self.lock, self.conn:
            if articles is None:
                self.conn.execute("UPDATE digests SET last_day = ? WHERE channel_id = ? AND topic = ?",
                                  (day.isoformat(), digest.channel_id, digest.topic))
            else:
                self.conn.execute("UPDATE digests SET last_day = ?, last_articles = ? WHERE channel_id = ? AND "
                                  "topic = ?", (day.isoformat(), json.dumps(articles), digest.channel_id,
                                                digest.topic))

    @staticmethod
    def _digest(row: sqlite3.Row) -> Digest:
        return Digest(row["channel_id"], row["topic"], row["guild_id"], row["at"], row["tz"], row["last_day"],
                      tuple(json.loads(row["last_articles"] or "[]")))
