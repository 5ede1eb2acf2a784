"""What people asked and thought of the answers: one small SQLite file in the data folder.

Every answered question is recorded at answer time (question, found or not, the quotes' paragraph and article ids
and texts, time, server and channel, a hash of the asker); votes (+1 / -1) are stored per answer and per voter (one
vote each, changeable). User ids are never stored: only a salted hash (the salt is made once per data folder).
Each write is one transaction in WAL mode with full fsync, so a crash loses at most the write under way.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import time
from collections.abc import Iterator

from retrieval.models import Answer, ArticleMeta, Quote
from retrieval.sqlite_file import SqliteFile

FEEDBACK_FILE = "feedback.sqlite3"
UP, DOWN = 1, -1

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS answers (
    key TEXT PRIMARY KEY,            -- the question's message or interaction id
    asked_at REAL NOT NULL,          -- unix time
    question TEXT NOT NULL,
    found INTEGER NOT NULL,          -- 1 answered, 0 "not covered"
    quotes TEXT NOT NULL,            -- JSON list of quotes, best first (text, highlight, pid, article, ...)
    asker TEXT NOT NULL,             -- salted hash of the asker's user id
    guild_id INTEGER,
    channel_id INTEGER,
    via TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS answers_by_time ON answers (asked_at);
CREATE TABLE IF NOT EXISTS votes (
    key TEXT NOT NULL REFERENCES answers (key) ON DELETE CASCADE,
    voter TEXT NOT NULL,             -- salted hash of the voter's user id
    vote INTEGER NOT NULL CHECK (vote IN (-1, 1)),
    voted_at REAL NOT NULL,
    PRIMARY KEY (key, voter)
);
"""


class UnknownAnswerError(KeyError):
    """No answer is recorded under this key (recorded before the feedback store existed, or from elsewhere)."""


def quote_record(quote: Quote) -> dict:
    """What is stored of a quote: enough to show it again and to use it as evaluation data."""
    return {**quote.to_json(), "pid": quote.pid, "highlight_start": quote.highlight_start,
            "author": quote.article.author}


def quote_from_record(row: dict) -> Quote:
    """The :class:`Quote` a stored record was made from (its score and text as they were at answer time)."""
    article = ArticleMeta(article_id=row["article_id"], title=row.get("title") or row["article_id"],
                          source=row.get("source"), author=row.get("author"), published=row.get("published"),
                          url=row.get("url"))
    return Quote(text=row["text"], highlight=row["highlight"], highlight_start=int(row.get("highlight_start", 0)),
                 article=article, paragraph=int(row["paragraph"]), score=float(row["score"]), pid=row.get("pid", ""),
                 relevant=bool(row.get("relevant", True)))


class FeedbackStore(SqliteFile):
    """Answers and votes. Thread-safe (one connection behind a lock); call from worker threads, not the loop."""

    FILE = FEEDBACK_FILE
    SCHEMA = SCHEMA
    FOREIGN_KEYS = True

    def opened(self) -> None:
        row = self.conn.execute("SELECT value FROM meta WHERE name = 'salt'").fetchone()
        if row is None:
            self.salt = secrets.token_hex(16)
            self.conn.execute("INSERT INTO meta (name, value) VALUES ('salt', ?)", (self.salt,))
        else:
            self.salt = row["value"]


    def user_hash(self, user_id: int) -> str:
        """A salted hash standing for a user (the same within this data folder, meaningless outside it)."""
        return hashlib.sha256(f"{self.salt}:{int(user_id)}".encode()).hexdigest()[:32]

    # -- writing ------------------------------------------------------------------------------------------------

    def record(self, key: str | int, answer: Answer, asker_id: int, *, guild_id: int | None = None,
               channel_id: int | None = None, via: str = "", at: float | None = None) -> None:
        """Record one answered question (again under the same key: replaced, its votes kept)."""
        quotes = json.dumps([quote_record(q) for q in answer.quotes], ensure_ascii=False)
        with self.lock, self.conn:
            self.conn.execute(
                "INSERT INTO answers (key, asked_at, question, found, quotes, asker, guild_id, channel_id, via) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET asked_at = excluded.asked_at, "
                "question = excluded.question, found = excluded.found, quotes = excluded.quotes, "
                "asker = excluded.asker, guild_id = excluded.guild_id, channel_id = excluded.channel_id, "
                "via = excluded.via",
                (str(key), time.time() if at is None else at, answer.question, int(answer.found), quotes,
                 self.user_hash(asker_id), guild_id, channel_id, via),
            )

    def vote(self, key: str | int, user_id: int, vote: int, at: float | None = None) -> tuple[int, int]:
        """Set ``user_id``'s vote on an answer (+1 or -1; a second vote replaces the first). Returns the answer's
        (up, down) counts; ``UnknownAnswerError`` when no answer has that key."""
        if vote not in (UP, DOWN):
            raise ValueError(f"a vote is {UP} or {DOWN}, not {vote!r}")
        with self.lock, self.conn:
            if self.conn.execute("SELECT 1 FROM answers WHERE key = ?", (str(key),)).fetchone() is None:
                raise UnknownAnswerError(str(key))
            self.conn.execute(
                "INSERT INTO votes (key, voter, vote, voted_at) VALUES (?, ?, ?, ?) ON CONFLICT (key, voter) "
                "DO UPDATE SET vote = excluded.vote, voted_at = excluded.voted_at",
                (str(key), self.user_hash(user_id), vote, time.time() if at is None else at),
            )
            return self._counts(str(key))

    def _counts(self, key: str) -> tuple[int, int]:
        row = self.conn.execute(
            "SELECT COALESCE(SUM(vote = 1), 0) AS up, COALESCE(SUM(vote = -1), 0) AS down FROM votes WHERE key = ?",
            (key,),
        ).fetchone()
        return int(row["up"]), int(row["down"])

    # -- reading ------------------------------------------------------------------------------------------------

    def answer(self, key: str | int) -> dict | None:
        """One recorded answer (``quotes`` decoded, ``up``/``down`` counted), or None."""
        with self.lock:
            row = self.conn.execute("SELECT * FROM answers WHERE key = ?", (str(key),)).fetchone()
            if row is None:
                return None
            return self._row(row, *self._counts(str(key)))

    def is_asker(self, key: str | int, user_id: int) -> bool:
        """Whether ``user_id`` asked the question recorded under ``key``."""
        answer = self.answer(key)
        return answer is not None and answer["asker"] == self.user_hash(user_id)

    def answers(self, since: float | None = None, until: float | None = None) -> list[dict]:
        """Recorded answers asked in [since, until), oldest first, each with its ``up``/``down`` counts."""
        query = ("SELECT a.*, COALESCE(SUM(v.vote = 1), 0) AS up, COALESCE(SUM(v.vote = -1), 0) AS down "
                 "FROM answers a LEFT JOIN votes v ON v.key = a.key WHERE a.asked_at >= ? AND a.asked_at < ? "
                 "GROUP BY a.key ORDER BY a.asked_at, a.key")
        with self.lock:
            rows = self.conn.execute(query, (since or 0.0, until if until is not None else float("inf"))).fetchall()
        return [self._row(r, int(r["up"]), int(r["down"])) for r in rows]

    @staticmethod
    def _row(row: sqlite3.Row, up: int, down: int) -> dict:
        data = {k: row[k] for k in ("key", "asked_at", "question", "asker", "guild_id", "channel_id", "via")}
        return {**data, "found": bool(row["found"]), "quotes": json.loads(row["quotes"]), "up": up, "down": down}

    def export(self, since: float | None = None) -> Iterator[dict]:
        """Evaluation rows (the shape of eval/*/questions.jsonl): question, the first quote's paragraph and article
        as ``gold_pid``/``gold_doc`` when people voted it up (else ``wrong_pid`` when they voted it down), its
        highlighted sentence as ``answers``, the net ``vote``, and ``unanswerable`` for "not covered" answers."""
        for row in self.answers(since):
            first = row["quotes"][0] if row["quotes"] else None
            vote = row["up"] - row["down"]
            item = {
                "qid": f"feedback-{row['key']}",
                "question": row["question"],
                "history": [],
                "found": row["found"],
                "vote": vote,
                "up": row["up"],
                "down": row["down"],
                "quote": first["text"] if first else None,
                "quote_pid": first["pid"] if first else None,
                "quote_doc": first["article_id"] if first else None,
                "asked_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(row["asked_at"])),
                "source": "feedback",
                "unanswerable": not row["found"],
            }
            if first and row["found"] and vote > 0:
                item.update(gold_pid=first["pid"], gold_doc=first["article_id"], answers=[first["highlight"]])
            elif first and row["found"] and vote < 0:
                item.update(wrong_pid=first["pid"])
            yield item
