"""Recall@10 of the approximate index kind (HNSW over 8-bit codes) against exact search, on real vectors.

    python benchmarks/vector_recall.py --cache data/embeddings.sqlite [--queries 500] [--json]

Reads every vector of one model from an embedding cache (paragraph and sentence vectors from real text), holds
out ``--queries`` of them as queries and indexes the rest in both kinds through the product's factory. Prints
recall@10 unfiltered and with a filter (a random 10 % of the ids, searched inside the graph), the mean query time
of each kind, the saved size on disk, and the time to save and load the HNSW index.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
import time
from pathlib import Path

import numpy as np

from retrieval.index.vectors.factory import IndexSettings, new_index
from retrieval.index.vectors.hnsw import HNSWIndex


def read_vectors(cache: Path, model: str) -> np.ndarray:
    conn = sqlite3.connect(f"file:{cache}?mode=ro", uri=True)
    blobs = [b for (b,) in conn.execute("SELECT vector FROM embeddings WHERE model = ?", (model,))]
    conn.close()
    return np.stack([np.frombuffer(b, dtype=np.float32) for b in blobs])


def folder_mb(folder: Path) -> float:
    return round(sum(p.stat().st_size for p in folder.iterdir()) / 1e6, 1)


def recall(index, exact, queries, allowed=None) -> tuple[float, float]:
    shares, spent = [], 0.0
    for q in queries:
        truth, _ = exact.search(q, 10, allowed=allowed)
        tick = time.perf_counter()
        found, _ = index.search(q, 10, allowed=allowed)
        spent += time.perf_counter() - tick
        shares.append(len(set(found.tolist()) & set(truth.tolist())) / max(1, len(truth)))
    return round(float(np.mean(shares)), 4), round(spent / len(queries) * 1000, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cache", required=True)
    parser.add_argument("--model", default="all-MiniLM-L6-v2")
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--ef-search", type=int, default=IndexSettings.hnsw_ef_search)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    import faiss

    faiss.omp_set_num_threads(1)
    vectors = read_vectors(Path(args.cache), args.model)
    rng = np.random.default_rng(0)
    order = rng.permutation(len(vectors))
    queries, base = vectors[order[: args.queries]], vectors[order[args.queries:]]
    ids = np.arange(len(base), dtype=np.int64) + 1_000
    exact = new_index(IndexSettings(kind="exact"), base.shape[1])
    exact.upsert(ids, base)
    settings = IndexSettings(kind="hnsw", hnsw_ef_search=args.ef_search, exact_below=0)
    tick = time.perf_counter()
    hnsw = new_index(settings, base.shape[1])
    hnsw.upsert(ids, base)
    build_s = time.perf_counter() - tick
    allowed = np.sort(rng.choice(ids, max(10, len(ids) // 10), replace=False))
    r, hnsw_ms = recall(hnsw, exact, queries)
    r_filtered, filtered_ms = recall(hnsw, exact, queries, allowed)
    _, exact_ms = recall(exact, exact, queries)
    with tempfile.TemporaryDirectory() as tmp:
        tick = time.perf_counter()
        hnsw.save(Path(tmp) / "h")
        save_s = time.perf_counter() - tick
        tick = time.perf_counter()
        HNSWIndex.load(Path(tmp) / "h")
        load_s = time.perf_counter() - tick
        exact.save(Path(tmp) / "e")
        sizes = {"hnsw_disk_mb": folder_mb(Path(tmp) / "h"), "exact_disk_mb": folder_mb(Path(tmp) / "e")}
    result = {"vectors": len(base), "queries": len(queries), "ef_search": args.ef_search,
              "recall_at_10": r, "recall_at_10_filtered_10pct": r_filtered, "hnsw_ms": hnsw_ms,
              "hnsw_filtered_ms": filtered_ms, "exact_ms": exact_ms, "hnsw_build_s": round(build_s, 1),
              "hnsw_save_s": round(save_s, 2), "hnsw_load_s": round(load_s, 3), **sizes}
    print(json.dumps(result) if args.json else "\n".join(f"{k}: {v}" for k, v in result.items()))


if __name__ == "__main__":
    main()
