"""Look-ups for lists and autocomplete (/sources pages, the article autocomplete): paged and indexed, on a second,
read-only connection to the store file, so a look-up never waits behind a long load or write on the main one."""

from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path

from retrieval.models import ArticleMeta

NEWEST = "ORDER BY COALESCE(published, '') DESC, title DESC"  # retrieval.models.newest_first, in SQL
NEWEST_A = "ORDER BY COALESCE(a.published, '') DESC, a.title DESC"
LOOKUP_CANDIDATES = 5000  # above this many trigram matches, walking the newest-first index is faster

ARTICLE_COLUMNS = ("key", "title", "source", "author", "published", "url", "path")
ARTICLE_SQL = ", ".join(f"a.{c}" for c in ARTICLE_COLUMNS)


def _like(text: str) -> str:
    """``text`` as a LIKE pattern's literal part (``\\`` escapes ``%``, ``_`` and itself)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class Lookups:
    """The store file's look-up connection (opened on first use, read-only)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    @contextmanager
    def _looking(self):
        """A second, read-only connection: a look-up never waits behind a long load or write on the main one
        (WAL lets it read the last committed state meanwhile)."""
        with self._lock:
            if self._conn is None:
                self._conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False,
                                             timeout=30, isolation_level=None)
                self._conn.create_function("unicode_lower", 1, lambda t: (t or "").lower(), deterministic=True)
            yield self._conn

    def article_page(self, limit: int = 25, offset: int = 0) -> list[dict]:
        """One page of the articles, newest first (as ``retrieval.models.newest_first`` orders them), each with
        its paragraph count: rows like ``Library.sources()``'s."""
        with self._looking() as conn:
            rows = conn.execute(
                "SELECT key, title, source, published, url, (SELECT COUNT(*) FROM paragraphs p WHERE p.key = a.key) "
                f"FROM articles a {NEWEST} LIMIT ? OFFSET ?", (max(0, limit), max(0, offset))).fetchall()
        return [{"article_id": r[0], "title": r[1], "source": r[2], "published": r[3], "url": r[4],
                 "paragraphs": int(r[5])} for r in rows]

    def article_count(self) -> int:
        with self._looking() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0])

    def match_titles(self, typed: str, limit: int = 25) -> list[ArticleMeta]:
        """Articles for what a user typed so far (autocomplete): every typed word occurs in the title or the id,
        ignoring case (Unicode lower case: "ß" and "ss" stay different letters); titles starting with the text
        first, then titles containing it, then the rest, each newest first; nothing typed: the newest.
        At most ``limit``.

        Each rank is one indexed look-up: when the trigram index ``article_titles`` narrows it to a few thousand
        articles (words of three characters or more), those are ordered; otherwise the matches are common, and a
        walk down the ``articles_newest`` index stops at the ``limit``-th."""
        wanted = " ".join(typed.split()).lower()
        words = list(dict.fromkeys(wanted.split()))
        fold = wanted.isascii()  # LIKE ignores ASCII case, in C; other scripts go through Python's lower()
        field = "(a.title || ' ' || a.key)" if fold else "unicode_lower(a.title || ' ' || a.key)"
        title = "a.title" if fold else "unicode_lower(a.title)"

        def contains(column: str, text: str) -> tuple[str, list]:
            if fold:
                return f"{column} LIKE ? ESCAPE '\\'", [f"%{_like(text)}%"]
            return f"instr({column}, ?) > 0", [text]

        def starts(column: str, text: str) -> tuple[str, list]:
            if fold:
                return f"{column} LIKE ? ESCAPE '\\'", [f"{_like(text)}%"]
            return f"substr({column}, 1, ?) = ?", [len(text), text]

        tests = [contains(field, w) for w in words]
        every = (" AND ".join(t[0] for t in tests) or "1", [p for t in tests for p in t[1]])
        first, in_title = starts(title, wanted), contains(title, wanted)
        long_words = [w for w in words if len(w) >= 3]
        phrase = [wanted] if len(wanted) >= 3 else []
        ranks = [  # (condition, parameters, what the trigram index can look up)
            (first[0], first[1], long_words + phrase),
            (f"{in_title[0]} AND NOT {first[0]}", in_title[1] + first[1], long_words + phrase),
            (f"NOT {in_title[0]}", in_title[1], long_words),
        ]
        out: list[ArticleMeta] = []
        with self._looking() as conn:
            if not words:
                rows = conn.execute(f"SELECT {ARTICLE_SQL} FROM articles a {NEWEST_A} LIMIT ?", (limit,))
                return [ArticleMeta(*r) for r in rows]
            for condition, params, lookup in ranks:
                out += self._newest_matching(conn, f"{every[0]} AND {condition}", every[1] + params, lookup,
                                             limit - len(out))
                if len(out) >= limit:
                    break
        return out

    @staticmethod
    def _newest_matching(conn, where: str, params: list, lookup: list[str], limit: int) -> list[ArticleMeta]:
        if lookup:
            match = " AND ".join('"' + w.replace('"', '""') + '"' for w in dict.fromkeys(lookup))
            ids = [r[0] for r in conn.execute("SELECT rowid FROM article_titles WHERE article_titles MATCH ? LIMIT ?",
                                              (match, LOOKUP_CANDIDATES + 1))]
            if len(ids) <= LOOKUP_CANDIDATES:
                rows = conn.execute(f"SELECT {ARTICLE_SQL} FROM articles a WHERE a.rowid IN "
                                    f"(SELECT value FROM json_each(?)) AND {where} {NEWEST_A} LIMIT ?",
                                    [json.dumps(ids), *params, limit])
                return [ArticleMeta(*r) for r in rows]
        rows = conn.execute(f"SELECT {ARTICLE_SQL} FROM articles a WHERE {where} {NEWEST_A} LIMIT ?",
                            [*params, limit])
        return [ArticleMeta(*r) for r in rows]
