"""The SQLite store: the source of truth for articles, their aliases and origins, paragraphs (stable int64 ids,
never reused) and sentence offsets. WAL mode: readers in other processes keep reading while one writer writes.

Every change to an article is one transaction that also appends the article's key to ``changes``; the largest
``changes.seq`` is the store's change counter. An article is replaced whole (its old paragraphs deleted, the new
ones inserted with new ids), so a crash leaves each article in its old or its new version.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from retrieval.errors import CitebotError
from retrieval.index.identity import normalise_url
from retrieval.index.lookups import ARTICLE_COLUMNS, Lookups
from retrieval.models import ArticleMeta, Paragraph

FORMAT = "3"
ADDED = "added"  # the origin of articles added by hand (/add, citebot add, citebot index PATH)

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    key TEXT PRIMARY KEY, title TEXT NOT NULL, source TEXT, author TEXT, published TEXT, url TEXT, path TEXT,
    text TEXT NOT NULL, text_hash TEXT NOT NULL, first_seen REAL NOT NULL, last_seen REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_hash ON articles(text_hash);
CREATE TABLE IF NOT EXISTS aliases (alias TEXT PRIMARY KEY, key TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS aliases_key ON aliases(key);
CREATE TABLE IF NOT EXISTS origins (key TEXT NOT NULL, origin TEXT NOT NULL, PRIMARY KEY (key, origin));
CREATE INDEX IF NOT EXISTS origins_origin ON origins(origin);
CREATE TABLE IF NOT EXISTS paragraphs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL, pid TEXT NOT NULL, number INTEGER NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, context TEXT NOT NULL, text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS paragraphs_key ON paragraphs(key);
CREATE TABLE IF NOT EXISTS sentences (
    paragraph INTEGER NOT NULL, n INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    PRIMARY KEY (paragraph, n)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS sources (
    name TEXT PRIMARY KEY, kind TEXT, location TEXT, last_poll REAL, last_ok REAL, last_error TEXT,
    etag TEXT, last_modified TEXT, state TEXT
);
CREATE INDEX IF NOT EXISTS articles_newest ON articles(COALESCE(published, ''), title, key);
CREATE VIRTUAL TABLE IF NOT EXISTS article_titles USING fts5(key UNINDEXED, words, tokenize='trigram');
CREATE TRIGGER IF NOT EXISTS article_titles_insert AFTER INSERT ON articles BEGIN
    INSERT OR REPLACE INTO article_titles (rowid, key, words) VALUES (new.rowid, new.key, new.title || ' ' || new.key);
END;
CREATE TRIGGER IF NOT EXISTS article_titles_update AFTER UPDATE OF title ON articles BEGIN
    INSERT OR REPLACE INTO article_titles (rowid, key, words) VALUES (new.rowid, new.key, new.title || ' ' || new.key);
END;
CREATE TRIGGER IF NOT EXISTS article_titles_delete AFTER DELETE ON articles BEGIN
    DELETE FROM article_titles WHERE rowid = old.rowid;
END;
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TRIGGER IF NOT EXISTS origins_added AFTER INSERT ON origins BEGIN
    INSERT INTO counters VALUES ('origins', 1) ON CONFLICT(name) DO UPDATE SET value = value + 1;
END;
CREATE TRIGGER IF NOT EXISTS origins_dropped AFTER DELETE ON origins BEGIN
    INSERT INTO counters VALUES ('origins', 1) ON CONFLICT(name) DO UPDATE SET value = value + 1;
END;
"""

class StoreError(CitebotError):
    """The store cannot be read or written."""


@dataclass
class StoredArticle:
    """One article as stored: attribution, text, paragraphs (with ids) and each paragraph's sentence offsets."""

    meta: ArticleMeta
    text: str
    text_hash: str
    paragraphs: list[Paragraph] = field(default_factory=list)
    sentences: dict[int, list[tuple[int, int]]] = field(default_factory=dict)  # paragraph id -> spans
    first_seen: float = 0.0


class Store:
    """One SQLite file; thread-safe (one connection behind a lock)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(str(self.path), check_same_thread=False, timeout=30, isolation_level=None)
        self.lookups = Lookups(self.path)  # a second, read-only connection for lists and autocomplete
        try:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.execute("PRAGMA recursive_triggers=ON")  # INSERT OR REPLACE's delete fires the delete trigger
            self._conn.executescript(SCHEMA)
            self._index_titles()
            found = self.get_meta("format")
            if found is None:
                self.set_meta("format", FORMAT)
            elif found != FORMAT:
                raise StoreError(f"the store {self.path} has format {found}, this citebot reads {FORMAT}")
        except BaseException:
            self._conn.close()
            raise

    def _index_titles(self) -> None:
        """Fill the title search index once for a store written before it existed (triggers keep it current)."""
        if self.get_meta("title_search") == "1":
            return
        with self.transaction() as conn:
            conn.execute("DELETE FROM article_titles")
            conn.execute("INSERT INTO article_titles (rowid, key, words) SELECT rowid, key, title || ' ' || key "
                         "FROM articles")
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('title_search', '1')")

    def skip_fsync(self) -> None:
        """Stop syncing writes to disk (``PRAGMA synchronous=OFF``): for throwaway stores (evaluations) only."""
        self._conn.execute("PRAGMA synchronous=OFF")

    def close(self) -> None:
        with self._lock:
            self._conn.close()
        self.lookups.close()

    @contextmanager
    def transaction(self):
        """One write transaction (BEGIN IMMEDIATE ... COMMIT, rolled back on error)."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    @contextmanager
    def reading(self):
        """One consistent read (a read transaction: what other processes commit meanwhile is not seen)."""
        with self._lock:
            self._conn.execute("BEGIN")
            try:
                yield self._conn
            finally:
                self._conn.execute("COMMIT")

    # -- meta ------------------------------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        with self._lock:
            row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self._lock:
            self._conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # -- reading ---------------------------------------------------------------------------------------------
    def seq(self) -> int:
        """The change counter: the last change's sequence number (0 when nothing was ever stored)."""
        with self._lock:
            return int(self._conn.execute("SELECT COALESCE(MAX(seq), 0) FROM changes").fetchone()[0])

    def origins_version(self) -> int:
        """A counter of membership changes (an origin added to or dropped from an article, triggers keep it): what
        a cache of who sees which articles is valid for (``seq`` misses a membership added or dropped alone)."""
        with self._lock:
            row = self._conn.execute("SELECT value FROM counters WHERE name = 'origins'").fetchone()
        return int(row[0]) if row else 0

    def changed_since(self, seq: int) -> tuple[int, set[str]]:
        """(the counter now, keys of the articles changed after ``seq``)."""
        with self.reading() as conn:
            rows = conn.execute("SELECT seq, key FROM changes WHERE seq > ?", (seq,)).fetchall()
            now = int(conn.execute("SELECT COALESCE(MAX(seq), 0) FROM changes").fetchone()[0])
        return now, {key for _, key in rows}

    def load(self, keys: Iterable[str] | None = None) -> tuple[int, dict[str, StoredArticle]]:
        """(the counter, the given articles — all when ``keys`` is None — with paragraphs and sentences), read
        consistently in one transaction. Keys that are not stored are absent from the result."""
        cols = ", ".join(ARTICLE_COLUMNS)
        with self.reading() as conn:
            seq = int(conn.execute("SELECT COALESCE(MAX(seq), 0) FROM changes").fetchone()[0])
            if keys is None:
                rows = conn.execute(f"SELECT {cols}, text, text_hash, first_seen FROM articles").fetchall()
                prows = conn.execute('SELECT id, key, pid, number, start, "end", context, text FROM paragraphs '
                                     "ORDER BY id").fetchall()
                srows = conn.execute('SELECT paragraph, start, "end" FROM sentences ORDER BY paragraph, n').fetchall()
            else:
                keys = list(keys)
                rows, prows, srows = [], [], []
                for key in keys:
                    rows += conn.execute(f"SELECT {cols}, text, text_hash, first_seen FROM articles WHERE key = ?",
                                         (key,)).fetchall()
                    part = conn.execute('SELECT id, key, pid, number, start, "end", context, text FROM paragraphs '
                                        "WHERE key = ? ORDER BY id", (key,)).fetchall()
                    prows += part
                    for p in part:
                        srows += conn.execute('SELECT paragraph, start, "end" FROM sentences WHERE paragraph = ? '
                                              "ORDER BY n", (p[0],)).fetchall()
        articles = {
            r[0]: StoredArticle(ArticleMeta(*r[:7]), text=r[7], text_hash=r[8], first_seen=r[9]) for r in rows
        }
        for pid_, key, pid, number, start, end, context, text in prows:
            article = articles.get(key)
            if article is not None:
                article.paragraphs.append(Paragraph(pid=pid, article_id=key, number=number, text=text, start=start,
                                                    end=end, context=context, id=pid_))
        by_paragraph: dict[int, list[tuple[int, int]]] = {}
        for paragraph, start, end in srows:
            by_paragraph.setdefault(paragraph, []).append((start, end))
        for article in articles.values():
            article.paragraphs.sort(key=lambda p: (p.number, p.id))
            article.sentences = {p.id: by_paragraph.get(p.id, []) for p in article.paragraphs}
        return seq, articles

    # -- look-ups by id (the collection reads texts here instead of holding them) ----------------------------
    def paragraph_id_array(self):
        """Every stored paragraph id, ascending, as an int64 numpy array."""
        import numpy as np

        with self._lock:
            cursor = self._conn.execute("SELECT id FROM paragraphs ORDER BY id")
            return np.fromiter((r[0] for r in cursor), dtype=np.int64)

    def keys_of_paragraphs(self, ids: Iterable[int]) -> set[str]:
        """The article keys of the given paragraph ids (ids not stored are skipped)."""
        ids = [int(i) for i in ids]
        keys: set[str] = set()
        with self._lock:
            for n in range(0, len(ids), 500):
                chunk = ids[n:n + 500]
                marks = ",".join("?" * len(chunk))
                keys.update(r[0] for r in self._conn.execute(
                    f"SELECT DISTINCT key FROM paragraphs WHERE id IN ({marks})", chunk))
        return keys

    def paragraphs_by_id(self, ids: Iterable[int]) -> dict[int, Paragraph]:
        """The stored paragraphs among ``ids`` (one indexed look-up per 500 ids)."""
        ids = [int(i) for i in ids]
        found: dict[int, Paragraph] = {}
        with self._lock:
            for n in range(0, len(ids), 500):
                chunk = ids[n:n + 500]
                marks = ",".join("?" * len(chunk))
                for pid_, key, pid, number, start, end, context, text in self._conn.execute(
                        'SELECT id, key, pid, number, start, "end", context, text FROM paragraphs '
                        f"WHERE id IN ({marks})", chunk):
                    found[pid_] = Paragraph(pid=pid, article_id=key, number=number, text=text, start=start,
                                            end=end, context=context, id=pid_)
        return found

    def paragraph_id_of_pid(self, key: str, pid: str) -> int | None:
        """The stable id of the paragraph ``pid`` of article ``key`` (None when not stored)."""
        with self._lock:
            row = self._conn.execute("SELECT id FROM paragraphs WHERE key = ? AND pid = ?", (key, pid)).fetchone()
        return int(row[0]) if row else None

    def article_text(self, key: str) -> str | None:
        with self._lock:
            row = self._conn.execute("SELECT text FROM articles WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def article_metas(self) -> dict[str, ArticleMeta]:
        """Attribution of every stored article (no texts)."""
        cols = ", ".join(ARTICLE_COLUMNS)
        with self._lock:
            return {r[0]: ArticleMeta(*r) for r in self._conn.execute(f"SELECT {cols} FROM articles")}

    def paragraph_ids(self) -> set[int]:
        with self._lock:
            return {r[0] for r in self._conn.execute("SELECT id FROM paragraphs")}

    def article_state(self, key: str) -> tuple[str, ArticleMeta] | None:
        """(text hash, attribution) of a stored article, or None."""
        cols = ", ".join(ARTICLE_COLUMNS)
        with self._lock:
            row = self._conn.execute(f"SELECT text_hash, {cols} FROM articles WHERE key = ?", (key,)).fetchone()
        return (row[0], ArticleMeta(*row[1:])) if row else None

    def resolve(self, key: str, aliases: Iterable[str], text_hash: str | None = None) -> str | None:
        """The stored article this one is: same key, one of its aliases, or (last) the same normalised text."""
        with self._lock:
            if self._conn.execute("SELECT 1 FROM articles WHERE key = ?", (key,)).fetchone():
                return key
            for alias in [key, *aliases]:
                row = self._conn.execute("SELECT key FROM aliases WHERE alias = ?", (alias,)).fetchone()
                if row:
                    return row[0]
            if text_hash:
                row = self._conn.execute("SELECT key FROM articles WHERE text_hash = ? ORDER BY first_seen LIMIT 1",
                                         (text_hash,)).fetchone()
                if row:
                    return row[0]
        return None

    def find(self, ref: str) -> list[str]:
        """Keys of the articles ``ref`` names: a key, a title (case-insensitive) or any URL/alias."""
        ref = ref.strip()
        with self._lock:
            conn = self._conn
            for query, value in (
                ("SELECT key FROM articles WHERE key = ?", ref),
                ("SELECT key FROM aliases WHERE alias = ?", ref),
                ("SELECT key FROM aliases WHERE alias = ?", normalise_url(ref)),
                ("SELECT key FROM articles WHERE url = ?", ref),
                ("SELECT key FROM articles WHERE lower(title) = lower(?)", " ".join(ref.split())),
            ):
                keys = [r[0] for r in conn.execute(query, (value,))]
                if keys:
                    return list(dict.fromkeys(keys))
        return []

    def origins(self, key: str) -> set[str]:
        with self._lock:
            return {r[0] for r in self._conn.execute("SELECT origin FROM origins WHERE key = ?", (key,))}

    def keys_of_origin(self, origin: str) -> dict[str, tuple[str | None, float]]:
        """Articles from ``origin``: key -> (published, first seen)."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT a.key, a.published, a.first_seen FROM origins o JOIN articles a ON a.key = o.key "
                "WHERE o.origin = ?", (origin,)).fetchall()
        return {r[0]: (r[1], r[2]) for r in rows}

    def aliases_of_origin(self, origin: str) -> set[str]:
        """Every alias of the articles ``origin`` provides (a feed skips pages it already has)."""
        with self._lock:
            rows = self._conn.execute("SELECT a.alias FROM origins o JOIN aliases a ON a.key = o.key "
                                      "WHERE o.origin = ?", (origin,)).fetchall()
        return {r[0] for r in rows}

    def all_origins(self) -> set[str]:
        with self._lock:
            return {r[0] for r in self._conn.execute("SELECT DISTINCT origin FROM origins")}

    def origin_counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._conn.execute("SELECT origin, COUNT(*) FROM origins GROUP BY origin").fetchall())

    def counts(self) -> tuple[int, int]:
        """(articles, paragraphs)."""
        with self._lock:
            a = self._conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
            p = self._conn.execute("SELECT COUNT(*) FROM paragraphs").fetchone()[0]
        return int(a), int(p)

    # -- look-ups for lists and autocomplete (paged, indexed; their own connection: retrieval/index/lookups.py) --
    def article_page(self, limit: int = 25, offset: int = 0) -> list[dict]:
        """One page of the articles, newest first, each with its paragraph count (``Lookups.article_page``)."""
        return self.lookups.article_page(limit, offset)

    def article_count(self) -> int:
        return self.lookups.article_count()

    def match_titles(self, typed: str, limit: int = 25) -> list[ArticleMeta]:
        """Articles for what a user typed so far (autocomplete; ``Lookups.match_titles``)."""
        return self.lookups.match_titles(typed, limit)

    # -- writing ---------------------------------------------------------------------------------------------
    @staticmethod
    def _log(conn, key: str) -> None:
        conn.execute("INSERT INTO changes (key, at) VALUES (?, ?)", (key, time.time()))

    @staticmethod
    def _add_aliases(conn, key: str, aliases: Iterable[str]) -> None:
        conn.executemany("INSERT OR REPLACE INTO aliases (alias, key) VALUES (?, ?)",
                         [(a, key) for a in dict.fromkeys(aliases) if a])

    def put(self, meta: ArticleMeta, text: str, text_hash: str, paragraphs: list[Paragraph],
            sentences: list[list[tuple[int, int]]], origin: str, aliases: Iterable[str]) -> list[int]:
        """Insert or replace one article (key ``meta.article_id``) with its paragraphs; returns their new ids."""
        key = meta.article_id
        now = time.time()
        with self.transaction() as conn:
            row = conn.execute("SELECT first_seen FROM articles WHERE key = ?", (key,)).fetchone()
            first_seen = row[0] if row else now
            old = [r[0] for r in conn.execute("SELECT id FROM paragraphs WHERE key = ?", (key,))]
            conn.executemany("DELETE FROM sentences WHERE paragraph = ?", [(i,) for i in old])
            conn.execute("DELETE FROM paragraphs WHERE key = ?", (key,))
            conn.execute(
                "INSERT OR REPLACE INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*(getattr(meta, c if c != "key" else "article_id") for c in ARTICLE_COLUMNS), text, text_hash,
                 first_seen, now, now),
            )
            ids = []
            for p, spans in zip(paragraphs, sentences, strict=True):
                cur = conn.execute(
                    'INSERT INTO paragraphs (key, pid, number, start, "end", context, text) '
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (key, p.pid, p.number, p.start, p.end, p.context, p.text))
                pid = int(cur.lastrowid)
                ids.append(pid)
                conn.executemany('INSERT INTO sentences (paragraph, n, start, "end") VALUES (?, ?, ?, ?)',
                                 [(pid, n, s, e) for n, (s, e) in enumerate(spans)])
            conn.execute("INSERT OR IGNORE INTO origins VALUES (?, ?)", (key, origin))
            self._add_aliases(conn, key, aliases)
            self._log(conn, key)
        return ids

    def touch(self, key: str, meta: ArticleMeta | None, origin: str, aliases: Iterable[str]) -> None:
        """An article seen again unchanged: last seen, origin and aliases recorded; attribution refreshed."""
        with self.transaction() as conn:
            conn.execute("UPDATE articles SET last_seen = ? WHERE key = ?", (time.time(), key))
            conn.execute("INSERT OR IGNORE INTO origins VALUES (?, ?)", (key, origin))
            self._add_aliases(conn, key, aliases)
            if meta is not None:
                conn.execute("UPDATE articles SET title = ?, source = ?, author = ?, published = ?, url = ?, "
                             "path = ?, updated = ? WHERE key = ?",
                             (meta.title, meta.source, meta.author, meta.published, meta.url, meta.path,
                              time.time(), key))
                self._log(conn, key)

    @classmethod
    def _delete(cls, conn, key: str) -> bool:
        if not conn.execute("SELECT 1 FROM articles WHERE key = ?", (key,)).fetchone():
            return False
        old = [r[0] for r in conn.execute("SELECT id FROM paragraphs WHERE key = ?", (key,))]
        conn.executemany("DELETE FROM sentences WHERE paragraph = ?", [(i,) for i in old])
        for table in ("paragraphs", "aliases", "origins", "articles"):
            conn.execute(f"DELETE FROM {table} WHERE key = ?", (key,))
        cls._log(conn, key)
        return True

    def delete(self, key: str) -> bool:
        """Remove an article, its paragraphs, aliases and origins; returns whether it was there."""
        with self.transaction() as conn:
            return self._delete(conn, key)

    def drop_origin(self, key: str, origin: str) -> bool:
        """Forget that ``origin`` provides ``key``; the article is deleted (same transaction) when no origin is
        left. Returns whether it was deleted."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM origins WHERE key = ? AND origin = ?", (key, origin))
            left = conn.execute("SELECT COUNT(*) FROM origins WHERE key = ?", (key,)).fetchone()[0]
            return self._delete(conn, key) if left == 0 else False

    # -- sources ---------------------------------------------------------------------------------------------
    def source_rows(self) -> dict[str, dict]:
        with self._lock:
            cur = self._conn.execute("SELECT * FROM sources")
            names = [d[0] for d in cur.description]
            return {row[0]: dict(zip(names, row, strict=True)) for row in cur.fetchall()}

    def save_source(self, name: str, **values) -> None:
        """Insert or update one source's status (only the given columns change)."""
        with self.transaction() as conn:
            conn.execute("INSERT OR IGNORE INTO sources (name) VALUES (?)", (name,))
            for column, value in values.items():
                conn.execute(f"UPDATE sources SET {column} = ? WHERE name = ?", (value, name))

    def forget_source(self, name: str) -> None:
        with self.transaction() as conn:
            conn.execute("DELETE FROM sources WHERE name = ?", (name,))
