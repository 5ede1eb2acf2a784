"""SQLite store of one index generation: articles (with their text) and paragraphs."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from retrieval.errors import IndexMissingError
from retrieval.models import ArticleMeta, Paragraph

SCHEMA = """
CREATE TABLE articles (
    article_id TEXT PRIMARY KEY, title TEXT NOT NULL, source TEXT, author TEXT, published TEXT, url TEXT,
    path TEXT, text TEXT NOT NULL
);
CREATE TABLE paragraphs (
    row INTEGER PRIMARY KEY, pid TEXT NOT NULL, article_id TEXT NOT NULL REFERENCES articles(article_id),
    number INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL, context TEXT NOT NULL, text TEXT NOT NULL
);
CREATE TABLE info (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

ARTICLE_COLUMNS = ("article_id", "title", "source", "author", "published", "url", "path")


def write_store(
    path: Path,
    articles: list[tuple[ArticleMeta, str]],
    paragraphs: list[Paragraph],
    info: dict[str, str],
) -> None:
    """Write a new store file (``path`` must not exist yet); paragraph rows follow list order."""
    conn = sqlite3.connect(str(path))
    try:
        conn.executescript(SCHEMA)
        conn.executemany(
            "INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(*(getattr(meta, c) for c in ARTICLE_COLUMNS), text) for meta, text in articles],
        )
        conn.executemany(
            "INSERT INTO paragraphs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(i, p.pid, p.article_id, p.number, p.start, p.end, p.context, p.text) for i, p in enumerate(paragraphs)],
        )
        conn.executemany("INSERT INTO info VALUES (?, ?)", list(info.items()))
        conn.commit()
    finally:
        conn.close()


def read_store(path: Path) -> tuple[dict[str, ArticleMeta], dict[str, str], list[Paragraph], dict[str, str]]:
    """(articles by id, article texts by id, paragraphs in row order, info) from a store file."""
    if not path.exists():
        raise IndexMissingError(f"no index store at {path}: run `citebot index`")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            metas: dict[str, ArticleMeta] = {}
            texts: dict[str, str] = {}
            cols = ", ".join(ARTICLE_COLUMNS)
            for row in conn.execute(f"SELECT {cols}, text FROM articles"):
                meta = ArticleMeta(*row[:-1])
                metas[meta.article_id] = meta
                texts[meta.article_id] = row[-1]
            paragraphs = [
                Paragraph(pid=r[0], article_id=r[1], number=r[2], start=r[3], end=r[4], context=r[5], text=r[6])
                for r in conn.execute(
                    'SELECT pid, article_id, number, start, "end", context, text FROM paragraphs ORDER BY row'
                )
            ]
            info = dict(conn.execute("SELECT key, value FROM info"))
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise IndexMissingError(f"the index store {path} is unreadable ({exc}): run `citebot index` again") from exc
    return metas, texts, paragraphs, info
