"""Memory, load time and question latency of a large collection (the [scale] memory and query-path work).

``build`` writes a store of N paragraphs straight through ``Store.put`` (real cnn-news paragraphs, each copy marked
with its article number; sentence offsets split once per distinct paragraph, so building is not pysbd-bound), then
opens it once through ``Library.collection()`` with vectors derived from real MiniLM vectors (as in
benchmarks/incremental.py), which computes everything a batch of articles at a time and writes the snapshot.
``ask`` is a fresh process: it loads the collection (memory-mapped snapshot) and asks real cnn-news highlight
questions through ``Library.ask`` with the real model (query embedding included), one thread each for torch and
faiss, reporting RSS, load time and latency percentiles.

    .venv/bin/python benchmarks/memory_scale.py build --paragraphs 100000 --data /tmp/scale-100k
    .venv/bin/python benchmarks/memory_scale.py ask --data /tmp/scale-100k [--questions 200] [--json]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from incremental import CNN, PER_ARTICLE, DerivedEmbedder, real_pool  # noqa: E402

from embeddings import CachedEmbedder, Embedder, EmbeddingCache  # noqa: E402
from retrieval.index.identity import text_hash  # noqa: E402
from retrieval.index.store import Store  # noqa: E402
from retrieval.library import STORE_FILE, Library  # noqa: E402
from retrieval.models import ArticleMeta  # noqa: E402
from retrieval.text.paragraphs import make_paragraph  # noqa: E402
from retrieval.text.sentences import sentence_spans  # noqa: E402

QUESTIONS = ROOT.parent / "shared" / "eval" / "cnn-news" / "questions.jsonl"


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def build(paragraphs: int, data: Path, cache: Path, model: str) -> dict:
    texts = [json.loads(line)["text"] for line in CNN.read_text(encoding="utf-8").splitlines()]
    spans_of = {}
    data.mkdir(parents=True, exist_ok=True)
    reuse = (data / STORE_FILE).exists()  # a store built before: only the collection is rebuilt
    store = Store(data / STORE_FILE)
    store._conn.execute("PRAGMA synchronous=OFF")
    started = time.perf_counter()
    for i in range(0 if reuse else paragraphs // PER_ARTICLE):
        parts, spans, body = [], [], []
        offset = len(f"Archive article {i}\n\n")
        for j in range(PER_ARTICLE):
            n = (i * PER_ARTICLE + j) % len(texts)
            base = texts[n]
            if n not in spans_of:
                spans_of[n] = sentence_spans(base)
            mark = f" (Archive item {i}.{j}.)"
            text = base + mark
            parts.append(make_paragraph(f"a{i:06d}", j + 1, text, offset, offset + len(text)))
            spans.append([*spans_of[n], (len(base) + 1, len(text))])
            body.append(text)
            offset += len(text) + 2
        article = f"Archive article {i}\n\n" + "\n\n".join(body)
        meta = ArticleMeta(f"a{i:06d}", f"Archive article {i}", "Archive", None, f"20{10 + i % 15}-01-01")
        store.put(meta, article, text_hash(article), parts, spans, "bench", [])
    store_s = time.perf_counter() - started
    store.close()
    pool = real_pool(cache, model)
    library = Library(data, CachedEmbedder(DerivedEmbedder(pool, model), None))
    started = time.perf_counter()
    collection = library.collection()
    open_s = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    disk = sum(p.stat().st_size for p in data.iterdir() if p.is_file()) / 2**20
    return {"paragraphs": collection.paragraph_count, "store_s": round(store_s, 1),
            "build_open_s": round(open_s, 1), "build_peak_rss_mb": round(peak), "disk_mb": round(disk)}


def ask(data: Path, questions: int, cache: Path, model: str) -> dict:
    import faiss
    import torch

    torch.set_num_threads(1)
    faiss.omp_set_num_threads(1)
    embedder = CachedEmbedder(Embedder(model), EmbeddingCache(cache))
    embedder.encode_query("load the model before timing")
    base_rss = rss_mb()
    library = Library(data, embedder)
    started = time.perf_counter()
    collection = library.collection()
    load_s = time.perf_counter() - started
    loaded_rss = rss_mb()
    asked = [json.loads(line)["question"] for line in QUESTIONS.read_text(encoding="utf-8").splitlines()]
    asked = asked[:: max(1, len(asked) // questions)][:questions]
    library.ask(asked[0])
    times = []
    for question in asked:
        started = time.perf_counter()
        library.ask(question)
        times.append((time.perf_counter() - started) * 1000)
    return {"paragraphs": collection.paragraph_count, "load_s": round(load_s, 2),
            "rss_mb": round(rss_mb()), "rss_model_only_mb": round(base_rss),
            "rss_after_load_mb": round(loaded_rss), "p50_ms": round(float(np.percentile(times, 50)), 1),
            "p95_ms": round(float(np.percentile(times, 95)), 1), "questions": len(times)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["build", "ask"])
    parser.add_argument("--paragraphs", type=int, default=100000)
    parser.add_argument("--data", required=True)
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--cache", default=str(ROOT / "data" / "embeddings.sqlite"))
    parser.add_argument("--model", default="all-MiniLM-L6-v2")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.what == "build":
        result = build(args.paragraphs, Path(args.data), Path(args.cache), args.model)
    else:
        result = ask(Path(args.data), args.questions, Path(args.cache), args.model)
    print(json.dumps(result) if args.json else "\n".join(f"{k}: {v}" for k, v in result.items()))


if __name__ == "__main__":
    main()
