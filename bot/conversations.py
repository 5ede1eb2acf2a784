"""The bot's memory of its answers (SQLite in the data dir): per answer message, the question and what it quoted.

A reply to an answer continues that answer's conversation: following the stored links from answer to earlier
answer rebuilds the history without any Discord call. Threads the bot started remember their latest answer, so
a message in such a thread continues it too. Entries expire after ``max_age_s`` and at most ``max_rows`` are kept
(the oldest go first), so the file stays small.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path

from retrieval.query.conversation import HISTORY_TURNS, Turn

FILE_NAME = "conversations-v1.sqlite"

SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    message_id INTEGER PRIMARY KEY,
    previous_id INTEGER,            -- the answer this one followed up on (NULL: a conversation's first answer)
    question TEXT NOT NULL,
    article_ids TEXT NOT NULL,      -- JSON list
    quotes TEXT NOT NULL,           -- JSON list of highlighted sentences
    pids TEXT NOT NULL,             -- JSON list of the quoted paragraphs' ids
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS answers_created ON answers(created);
CREATE TABLE IF NOT EXISTS threads (
    thread_id INTEGER PRIMARY KEY,
    last_answer_id INTEGER NOT NULL,
    created REAL NOT NULL
);
"""


class ConversationStore:
    """Answer messages and bot-started threads, bounded and expiring. Safe to use from several threads."""

    def __init__(self, path: Path, max_rows: int = 20_000, max_age_s: float = 7 * 86400) -> None:
        self.path = Path(path)
        self.max_rows = max_rows
        self.max_age_s = max_age_s
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def remember(self, message_id: int, turn: Turn, previous_id: int | None = None,
                 thread_id: int | None = None, now: float | None = None) -> None:
        """Store the answer ``message_id`` (continuing ``previous_id``); in a bot thread, make it the latest."""
        now = time.time() if now is None else now
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?, ?, ?)",
                (message_id, previous_id, turn.question, json.dumps(list(turn.article_ids)),
                 json.dumps(list(turn.quotes)), json.dumps(list(turn.pids)), now),
            )
            if thread_id is not None:
                self._conn.execute("INSERT OR REPLACE INTO threads VALUES (?, ?, ?)", (thread_id, message_id, now))
            self._prune(now)

    def history(self, message_id: int, turns: int = HISTORY_TURNS, now: float | None = None) -> list[Turn]:
        """The conversation up to and including answer ``message_id``, oldest first (expired answers end it)."""
        oldest = (time.time() if now is None else now) - self.max_age_s
        found: list[Turn] = []
        current: int | None = message_id
        with self._lock:
            while current is not None and len(found) < turns:
                row = self._conn.execute(
                    "SELECT previous_id, question, article_ids, quotes, pids FROM answers "
                    "WHERE message_id = ? AND created >= ?",
                    (current, oldest),
                ).fetchone()
                if row is None:
                    break
                found.append(Turn(row[1], tuple(json.loads(row[2])), tuple(json.loads(row[3])),
                                  tuple(json.loads(row[4]))))
                current = row[0]
        return found[::-1]

    def knows(self, message_id: int) -> bool:
        """Whether ``message_id`` is a remembered (unexpired) answer."""
        with self._lock:
            row = self._conn.execute(
                "SELECT 1 FROM answers WHERE message_id = ? AND created >= ?",
                (message_id, time.time() - self.max_age_s),
            ).fetchone()
        return row is not None

    def thread_answer(self, thread_id: int) -> int | None:
        """The latest answer in a thread the bot started, or None (not a bot thread, or expired)."""
        with self._lock:
            row = self._conn.execute(
                "SELECT last_answer_id FROM threads WHERE thread_id = ? AND created >= ?",
                (thread_id, time.time() - self.max_age_s),
            ).fetchone()
        return int(row[0]) if row else None

    def recent_threads(self, seconds: float, limit: int) -> list[int]:
        """Threads the bot started that got an answer (or were started) within ``seconds``, newest first."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT thread_id FROM threads WHERE created >= ? ORDER BY created DESC LIMIT ?",
                (time.time() - seconds, limit),
            ).fetchall()
        return [int(r[0]) for r in rows]

    def start_thread(self, thread_id: int) -> None:
        """Mark ``thread_id`` as started by the bot (before its first answer is stored)."""
        with self._lock:
            self._conn.execute("INSERT OR IGNORE INTO threads VALUES (?, 0, ?)", (thread_id, time.time()))

    def count(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM answers").fetchone()[0])

    def _prune(self, now: float) -> None:
        oldest = now - self.max_age_s
        self._conn.execute("DELETE FROM answers WHERE created < ?", (oldest,))
        self._conn.execute("DELETE FROM threads WHERE created < ?", (oldest,))
        excess = self.count_unlocked() - self.max_rows
        if excess > 0:
            self._conn.execute(
                "DELETE FROM answers WHERE message_id IN (SELECT message_id FROM answers ORDER BY created LIMIT ?)",
                (excess,),
            )

    def count_unlocked(self) -> int:
        return int(self._conn.execute("SELECT COUNT(*) FROM answers").fetchone()[0])
