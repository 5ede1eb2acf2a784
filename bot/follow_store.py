"""Topic follows: who follows what (a person, alerted by DM, or a channel), and which articles each follower was
already alerted about (at most one alert per article per follower, a rate limit per hour).

Stored in ``follows.sqlite3`` in the data folder (WAL, full fsync)."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass

from retrieval.errors import CitebotError
from retrieval.sqlite_file import SqliteFile

FOLLOWS_FILE = "follows.sqlite3"
USER, CHANNEL = "user", "channel"
MAX_TOPIC_CHARS = 100
MAX_FOLLOWS = 25  # per follower (Discord's autocomplete shows 25)

SCHEMA = """
CREATE TABLE IF NOT EXISTS follows (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('user', 'channel')),
    target INTEGER NOT NULL,             -- the user (DM) or the channel alerted
    guild_id INTEGER,
    topic TEXT NOT NULL,
    created_by INTEGER,
    created_at REAL NOT NULL,
    UNIQUE (kind, target, topic)
);
CREATE TABLE IF NOT EXISTS alerted (
    kind TEXT NOT NULL,
    target INTEGER NOT NULL,
    article_id TEXT NOT NULL,
    sent_at REAL NOT NULL,
    PRIMARY KEY (kind, target, article_id)
);
"""


@dataclass(frozen=True)
class Follow:
    id: int
    kind: str
    target: int
    guild_id: int | None
    topic: str


def clean_topic(topic: str) -> str:
    """The topic with spaces tidied; ``CitebotError`` when empty or too long."""
    text = " ".join((topic or "").split())
    if not text:
        raise CitebotError("the topic is empty: name a subject, e.g. “harbour repairs”")
    if len(text) > MAX_TOPIC_CHARS:
        raise CitebotError(f"the topic is {len(text)} characters long; the limit is {MAX_TOPIC_CHARS}")
    return text


class FollowStore(SqliteFile):
    """Follows and sent alerts. Thread-safe; call from worker threads."""

    FILE = FOLLOWS_FILE
    SCHEMA = SCHEMA

    def follow(self, kind: str, target: int, topic: str, *, guild_id: int | None = None,
               created_by: int | None = None) -> tuple[Follow, bool]:
        """Follow ``topic`` for ``target``; (the follow, whether it is new). ``CitebotError`` for a bad topic or
        too many follows."""
        topic = clean_topic(topic)
        with self.lock, self.conn:
            row = self.conn.execute("SELECT * FROM follows WHERE kind = ? AND target = ? AND topic = ? COLLATE "
                                    "NOCASE", (kind, target, topic)).fetchone()
            if row is not None:
                return self._follow(row), False
            count = self.conn.execute("SELECT COUNT(*) FROM follows WHERE kind = ? AND target = ?",
                                      (kind, target)).fetchone()[0]
            if count >= MAX_FOLLOWS:
                raise CitebotError(f"already {MAX_FOLLOWS} topics followed here: /unfollow one first")
            cur = self.conn.execute("INSERT INTO follows (kind, target, guild_id, topic, created_by, created_at) "
                                    "VALUES (?, ?, ?, ?, ?, ?)", (kind, target, guild_id, topic, created_by,
                                                                  time.time()))
            return Follow(int(cur.lastrowid or 0), kind, target, guild_id, topic), True

    def unfollow(self, follow_id: int) -> Follow | None:
        """Remove one follow; the removed follow, or None."""
        with self.lock, self.conn:
            row = self.conn.execute("SELECT * FROM follows WHERE id = ?", (follow_id,)).fetchone()
            if row is None:
                return None
            self.conn.execute("DELETE FROM follows WHERE id = ?", (follow_id,))
            return self._follow(row)

    def get(self, follow_id: int) -> Follow | None:
        with self.lock:
            row = self.conn.execute("SELECT * FROM follows WHERE id = ?", (follow_id,)).fetchone()
        return self._follow(row) if row else None

    def of(self, user_id: int, channel_ids: list[int] | None = None, guild_id: int | None = None) -> list[Follow]:
        """A person's follows, then (with ``guild_id``) the server's channel follows, each by topic."""
        with self.lock:
            rows = self.conn.execute("SELECT * FROM follows WHERE kind = 'user' AND target = ? ORDER BY topic",
                                     (user_id,)).fetchall()
            if guild_id is not None:
                rows += self.conn.execute("SELECT * FROM follows WHERE kind = 'channel' AND guild_id = ? "
                                          "ORDER BY target, topic", (guild_id,)).fetchall()
        return [self._follow(r) for r in rows]

    def all(self) -> list[Follow]:
        with self.lock:
            rows = self.conn.execute("SELECT * FROM follows ORDER BY id").fetchall()
        return [self._follow(r) for r in rows]

    def claim(self, follow: Follow, article_id: str, per_hour: int, now: float | None = None) -> str:
        """Whether to alert ``follow``'s target about ``article_id``: 'send' (recorded as sent now), 'sent' (already
        alerted about it, under any topic) or 'limited' (``per_hour`` alerts in the last hour already)."""
        now = time.time() if now is None else now
        with self.lock, self.conn:
            key = (follow.kind, follow.target)
            if self.conn.execute("SELECT 1 FROM alerted WHERE kind = ? AND target = ? AND article_id = ?",
                                 (*key, article_id)).fetchone():
                return "sent"
            recent = self.conn.execute("SELECT COUNT(*) FROM alerted WHERE kind = ? AND target = ? AND sent_at > ?",
                                       (*key, now - 3600)).fetchone()[0]
            if recent >= per_hour:
                return "limited"
            self.conn.execute("INSERT INTO alerted (kind, target, article_id, sent_at) VALUES (?, ?, ?, ?)",
                              (*key, article_id, now))
            return "send"

    def release(self, follow: Follow, article_id: str) -> None:
        """Forget a claimed alert that could not be delivered (so a later match may try again)."""
        with self.lock, self.conn:
            self.conn.execute("DELETE FROM alerted WHERE kind = ? AND target = ? AND article_id = ?",
                              (follow.kind, follow.target, article_id))

    @staticmethod
    def _follow(row: sqlite3.Row) -> Follow:
        return Follow(row["id"], row["kind"], row["target"], row["guild_id"], row["topic"])
