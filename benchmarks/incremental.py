"""Incremental index figures for docs/benchmarks.md.

1. Time for one added article to become answerable in collections of 10k and 100k paragraphs: a reader library
   (what a running bot holds) has the collection loaded; a writer (what `citebot add` does) splits, embeds with the
   real model and commits one new article; the reader's next question quotes it. The fetch is excluded.
   The collections are real news text (cnn-news paragraphs, each copy marked with its article number so no two
   are equal) with vectors derived from real ones: each text's vector is a unit mixture 0.75 * a + 0.25 * b of two
   real MiniLM vectors from the embedding cache, picked by the text's hash (no model run needed to build them).
2. Re-index of an unchanged 1,000-article folder (`sync`, nothing to embed) against a cold index of the same
   folder (empty data dir, empty cache, real model). The cold figure is measured on the first 100 articles and
   scaled by 10 (embedding is linear in the text count), which the output says.

    .venv/bin/python benchmarks/incremental.py [--sizes 10000 100000] [--cold-articles 100]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from embeddings import CachedEmbedder, Embedder, EmbeddingCache  # noqa: E402
from retrieval.library import Library  # noqa: E402
from retrieval.sources.sync import FolderSource  # noqa: E402

CNN = ROOT.parent / "shared" / "eval" / "cnn-news" / "paragraphs.jsonl"
PER_ARTICLE = 10
NEW_ARTICLE = """Tidal power station opens on the Elsworth estuary
Source: Coast News
Published: 2026-11-20

The Elsworth estuary tidal power station began feeding the grid on Thursday, three years after construction began.

Its 24 turbines, each eleven metres across, sit in a barrage that closes the estuary mouth at high tide.

Engineers expect the station to produce 310 gigawatt hours a year, enough for about 90,000 homes.

The operator said fish passes in the barrage had been tested with salmon and sea trout over two seasons.
"""
QUESTION = "How many turbines does the Elsworth estuary tidal power station have?"


class DerivedEmbedder:
    """Vectors for any text, derived from a pool of real MiniLM vectors (see the module docstring)."""

    def __init__(self, pool: np.ndarray, name: str) -> None:
        self.pool, self.name, self.dimension, self.computed = pool, name, pool.shape[1], 0

    def encode(self, texts, progress=None, batch=256) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for n, text in enumerate(texts):
            digest = hashlib.sha1(text.encode()).digest()
            a = int.from_bytes(digest[:4], "little") % len(self.pool)
            b = int.from_bytes(digest[4:8], "little") % len(self.pool)
            v = 0.75 * self.pool[a] + 0.25 * self.pool[b]
            out[n] = v / np.linalg.norm(v)
        return out


def real_pool(cache_path: Path, model: str, limit: int = 20000) -> np.ndarray:
    import sqlite3

    conn = sqlite3.connect(cache_path)
    rows = conn.execute("SELECT vector FROM embeddings WHERE model = ? LIMIT ?", (model, limit)).fetchall()
    conn.close()
    if len(rows) < 100:
        raise SystemExit(f"need real vectors in {cache_path}: run `citebot eval retrieval` on squad-dev first")
    return np.stack([np.frombuffer(r[0], dtype=np.float32) for r in rows])


def write_folder(folder: Path, articles: int) -> None:
    """``articles`` .txt files of PER_ARTICLE real cnn-news paragraphs each (cycled, marked by article)."""
    paragraphs = [json.loads(line)["text"] for line in CNN.read_text(encoding="utf-8").splitlines()]
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(articles):
        body = [f"{paragraphs[(i * PER_ARTICLE + j) % len(paragraphs)]} (Archive item {i}.{j}.)"
                for j in range(PER_ARTICLE)]
        (folder / f"a{i:06d}.txt").write_text(f"Archive article {i}\nSource: Archive\n\n" + "\n\n".join(body),
                                              encoding="utf-8")


def answerable_after_add(size: int, pool: np.ndarray, model: str, cache: Path, work: Path) -> dict:
    folder, data = work / f"articles-{size}", work / f"data-{size}"
    write_folder(folder, size // PER_ARTICLE)
    started = time.perf_counter()
    builder = Library(data, CachedEmbedder(DerivedEmbedder(pool, model), None))
    builder.sync([FolderSource(str(folder))])
    build_s = time.perf_counter() - started
    real = CachedEmbedder(Embedder(model), EmbeddingCache(cache))
    real.encode_query("warm up the model")
    reader = Library(data, real)
    started = time.perf_counter()
    reader.collection()
    load_s = time.perf_counter() - started
    assert not reader.ask(QUESTION).found
    new = work / f"new-{size}.txt"
    new.write_text(NEW_ARTICLE, encoding="utf-8")
    writer = Library(data, real)
    started = time.perf_counter()
    report = writer.index([new])
    write_s = time.perf_counter() - started
    started = time.perf_counter()
    answer = reader.ask(QUESTION)
    ask_s = time.perf_counter() - started
    assert answer.found and answer.quotes[0].article.title.startswith("Tidal power"), answer.to_json()
    started = time.perf_counter()
    reader.ask(QUESTION)
    plain_ask_s = time.perf_counter() - started
    return {"paragraphs": reader.collection().paragraph_count, "build_s": round(build_s, 1),
            "reader_load_s": round(load_s, 2), "add_s": round(write_s, 3), "embedded": report.embedded,
            "first_answer_s": round(ask_s, 3), "answer_s_after": round(plain_ask_s, 3),
            "answerable_after_s": round(write_s + ask_s, 3)}


def reindex_unchanged(pool: np.ndarray, model: str, work: Path, cold_articles: int) -> dict:
    folder, data = work / "articles-1000", work / "data-1000"
    write_folder(folder, 1000)
    library = Library(data, CachedEmbedder(DerivedEmbedder(pool, model), None))
    library.sync([FolderSource(str(folder))])
    started = time.perf_counter()
    report = library.sync([FolderSource(str(folder))])
    unchanged_s = time.perf_counter() - started
    assert report.unchanged == 1000 and report.embedded == 0
    cold_folder, cold_data = work / "articles-cold", work / "data-cold"
    cold_folder.mkdir()
    for path in sorted(folder.iterdir())[:cold_articles]:
        shutil.copy(path, cold_folder / path.name)
    real = CachedEmbedder(Embedder(model), EmbeddingCache(work / "cold-cache.sqlite"))
    real.encode_query("load the model before timing")
    started = time.perf_counter()
    cold = Library(cold_data, real).sync([FolderSource(str(cold_folder))])
    cold_s = (time.perf_counter() - started) * (1000 / cold_articles)
    return {"articles": 1000, "unchanged_reindex_s": round(unchanged_s, 2),
            "cold_s_scaled_from": cold_articles, "cold_s": round(cold_s, 1), "cold_embedded": cold.embedded,
            "speedup": round(cold_s / unchanged_s, 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="*", default=[10000, 100000])
    parser.add_argument("--cold-articles", type=int, default=100)
    parser.add_argument("--cache", default=str(ROOT / "data" / "embeddings.sqlite"))
    parser.add_argument("--model", default="all-MiniLM-L6-v2")
    parser.add_argument("--skip-reindex", action="store_true")
    args = parser.parse_args()
    import faiss
    import torch

    torch.set_num_threads(1)
    faiss.omp_set_num_threads(1)
    pool = real_pool(Path(args.cache), args.model)
    with tempfile.TemporaryDirectory(prefix="citebot-incr-") as tmp:
        work = Path(tmp)
        for size in args.sizes:
            print(json.dumps({"benchmark": "answerable_after_add", **answerable_after_add(
                size, pool, args.model, work / "cache.sqlite", work)}), flush=True)
        if not args.skip_reindex:
            print(json.dumps({"benchmark": "reindex_unchanged", **reindex_unchanged(
                pool, args.model, work, args.cold_articles)}), flush=True)


if __name__ == "__main__":
    main()
