"""Autocomplete and /sources look-ups at N articles: the store's indexed look-ups against the scan they replace.

    .venv/bin/python benchmarks/lookups.py [--articles 100000]

The store gets N articles titled with the opening words of real cnn-news paragraphs (cycled, numbered), dated
over a year, ten paragraph rows each, inserted with SQL in one transaction (the store's own triggers fill the
title index exactly as ``Store.put`` does). Timed, per typed text: ``Store.match_titles`` (what /summary and
/remove autocomplete call now) and the previous path: ``newest_first`` over every article's attribution (what the
bot re-sorted whenever the collection changed) plus ``bot.cogs.shared.article_choices`` over that list (per
keystroke); and ``Store.article_page`` + ``article_count`` (/sources) against ``newest_first`` over all articles.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.cogs.shared import article_choices  # noqa: E402
from retrieval.index.store import Store  # noqa: E402
from retrieval.models import newest_first  # noqa: E402

TYPED = ["", "t", "po", "the", "police", "said the", "obama", "presid", "zzqx", "über"]


def fill(path: Path, articles: int) -> None:
    Store(path).close()
    lines = (ROOT.parent / "shared" / "eval" / "cnn-news" / "paragraphs.jsonl").read_text("utf-8").splitlines()
    openings = [" ".join(json.loads(line)["text"].split()[:7]) for line in lines]
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA recursive_triggers=ON")
    rows, paragraphs = [], []
    for n in range(articles):
        key = f"a{n:07d}"
        day = (date(2026, 11, 26) - timedelta(days=n % 365)).isoformat()
        rows.append((key, f"{openings[n % len(openings)]} ({n})", "CNN", None, day, None, None, "text", key, 0, 0, 0))
        paragraphs += [(key, f"{key}:{j}", j + 1, 0, 4, "", "text") for j in range(10)]
    conn.executemany("INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    conn.executemany('INSERT INTO paragraphs (key, pid, number, start, "end", context, text) '
                     "VALUES (?, ?, ?, ?, ?, ?, ?)", paragraphs)
    conn.commit()
    conn.close()


def timed(work, repeat: int = 3) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="citebot-lookups-") as tmp:
        path = Path(tmp) / "citebot.sqlite"
        fill(path, args.articles)
        store = Store(path)
        metas = [meta for meta in store.load()[1].values()] if args.articles <= 20_000 else None
        if metas is None:  # the attribution only (what the collection held), without loading every text
            from retrieval.models import ArticleMeta

            conn = sqlite3.connect(path)
            metas = [ArticleMeta(*r) for r in conn.execute(
                "SELECT key, title, source, author, published, url, path FROM articles")]
            conn.close()
        else:
            metas = [a.meta for a in metas]
        sort_ms, ordered = timed(lambda: newest_first(metas))
        page_ms, _ = timed(lambda: (store.article_page(60), store.article_count()))
        print(json.dumps({"articles": args.articles, "sources_new_ms": round(page_ms, 2),
                          "sources_old_sort_ms": round(sort_ms, 1)}))
        for typed in TYPED:
            new_ms, found = timed(lambda typed=typed: article_choices(store.match_titles(typed), typed))
            old_ms, old = timed(lambda typed=typed: article_choices(ordered, typed))
            same = [c.value for c in found] == [c.value for c in old]
            print(json.dumps({"typed": typed, "new_ms": round(new_ms, 2), "old_scan_ms": round(old_ms, 1),
                              "choices": len(found), "same_choices": same}))


if __name__ == "__main__":
    main()
