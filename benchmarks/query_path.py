"""The query path: ONNX Runtime against torch for question embedding, and `citebot ask` from start to answer.

    python benchmarks/query_path.py embed [--questions 50] [--json]
    python benchmarks/query_path.py ask --data-dir /tmp/qp-data [--runs 5] [--json]

``embed``: 50 real questions from each of squad-dev and cnn-news (spread over the files), one thread each side
(``torch.set_num_threads(1)``, ONNX Runtime intra-op 1); p50/p95 milliseconds per question and the cosine between
the two vectors of each question. ``ask``: wall time of ``citebot ask QUESTION`` in a fresh process on the bundled
samples (indexed into ``--data-dir`` first when it holds no index): the first ask (the ONNX export is made),
"cold" (export in place, this data dir's files and the libraries' shared objects dropped from the page cache with
posix_fadvise; the Python interpreter itself may stay cached), and warm (repeated); the same for query_runtime torch.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared"
QUESTION = "Who is the British ambassador to Ukraine?"
CITEBOT = [sys.executable, "-m", "bot.cli"]


def real_questions(n_each: int) -> list[str]:
    from retrieval.evaluation.retrieval import spread_questions

    return spread_questions([SHARED / "eval" / name / "questions.jsonl" for name in ("squad-dev", "cnn-news")], n_each)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def bench_embed(n_each: int) -> dict:
    import numpy as np
    import torch

    from embeddings import DEFAULT_MODEL, Embedder
    from embeddings.threads import configure

    configure(1, 1)
    torch.set_num_threads(1)
    questions = real_questions(n_each)
    with tempfile.TemporaryDirectory() as tmp:
        onnx = Embedder(DEFAULT_MODEL, query_runtime="onnx", onnx_dir=Path(tmp))
        started = time.perf_counter()
        onnx.query_encoder()
        export_s = time.perf_counter() - started
        torch_model = Embedder(DEFAULT_MODEL, query_runtime="torch")
        result: dict = {"questions": len(questions), "onnx_export_s": round(export_s, 1)}
        vectors = {}
        for name, embedder in (("torch", torch_model), ("onnx", onnx)):
            for q in questions[:5]:
                embedder.encode_query(q)  # warm-up
            times, rows = [], []
            for q in questions:
                t = time.perf_counter()
                rows.append(embedder.encode_query(q))
                times.append((time.perf_counter() - t) * 1000)
            vectors[name] = np.stack(rows)
            result[f"{name}_p50_ms"] = round(percentile(times, 50), 2)
            result[f"{name}_p95_ms"] = round(percentile(times, 95), 2)
        cosine = np.sum(vectors["onnx"] * vectors["torch"], axis=1)
        result["cosine_min"] = round(float(cosine.min()), 6)
        result["cosine_mean"] = round(float(cosine.mean()), 6)
        # Passages (what indexing embeds): 32 cnn-news paragraphs as one padded batch, each runtime, one thread.
        lines = (SHARED / "eval" / "cnn-news" / "paragraphs.jsonl").read_text(encoding="utf-8").splitlines()
        passages = [json.loads(line)["text"] for line in lines[:: len(lines) // 32][:32]]
        passage_vectors = {}
        for name, encode in (("torch", torch_model.encode), ("onnx", onnx.query_encoder().encode)):
            encode(passages[:4])
            t = time.perf_counter()
            passage_vectors[name] = encode(passages)
            result[f"{name}_passages_per_s"] = round(len(passages) / (time.perf_counter() - t), 1)
        result["passages_cosine_min"] = round(float(np.min(np.sum(
            passage_vectors["onnx"] * passage_vectors["torch"], axis=1))), 6)
    return result


def drop_from_page_cache(paths: list[Path]) -> None:
    """Ask the kernel to forget the cached pages of these files (clean pages only; nothing is lost)."""
    for root in paths:
        files = [root] if root.is_file() else [p for p in root.rglob("*") if p.is_file()]
        for path in files:
            try:
                fd = os.open(path, os.O_RDONLY)
            except OSError:
                continue
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def library_dirs() -> list[Path]:
    import importlib.util

    site = Path(importlib.util.find_spec("numpy").origin).parents[1]
    names = ["numpy", "numpy.libs", "scipy", "scipy.libs", "faiss", "faiss_cpu.libs", "onnxruntime", "tokenizers",
             "bm25s", "pysbd", "Stemmer", "torch", "sentence_transformers", "transformers"]
    return [site / n for n in names if (site / n).exists()] + [ROOT]


def timed_ask(config: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run([*CITEBOT, "--config", str(config), "ask", QUESTION], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT)
    elapsed = time.perf_counter() - started
    if done.returncode != 0 or "Melinda Simmons" not in done.stdout:
        raise SystemExit(f"citebot ask failed: {done.stderr.strip()[-500:]}")
    return elapsed


def bench_ask(data_dir: Path, runs: int) -> dict:
    data_dir.mkdir(parents=True, exist_ok=True)
    result: dict = {}
    for runtime in ("onnx", "torch"):
        config = data_dir.parent / f"{data_dir.name}-{runtime}.toml"
        config.write_text(f'[data]\ndir = {json.dumps(str(data_dir))}\n[articles]\n'
                          f'folders = [{json.dumps(str(ROOT / "samples" / "articles"))}]\n'
                          f'[model]\nquery_runtime = "{runtime}"\n', encoding="utf-8")
        if not any(data_dir.iterdir()):
            subprocess.run([*CITEBOT, "--config", str(config), "index"], check=True, cwd=ROOT,
                           env={**os.environ, "PYTHONPATH": str(ROOT)})
        if runtime == "onnx":
            shutil.rmtree(data_dir / "onnx", ignore_errors=True)
            result["onnx_first_ask_s"] = round(timed_ask(config), 2)  # exports the model
        drop_from_page_cache([data_dir, *library_dirs()])
        result[f"{runtime}_cold_s"] = round(timed_ask(config), 2)
        warm = [timed_ask(config) for _ in range(runs)]
        result[f"{runtime}_warm_median_s"] = round(statistics.median(warm), 2)
        result[f"{runtime}_warm_max_s"] = round(max(warm), 2)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    e = sub.add_parser("embed")
    e.add_argument("--questions", type=int, default=50, help="questions from each dev set")
    e.add_argument("--json", action="store_true")
    a = sub.add_parser("ask")
    a.add_argument("--data-dir", required=True, help="indexed with the samples here first when empty")
    a.add_argument("--runs", type=int, default=5)
    a.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = bench_embed(args.questions) if args.what == "embed" else bench_ask(Path(args.data_dir), args.runs)
    load = os.getloadavg()[0]
    result["load_avg_1min"] = round(load, 1)
    if args.json:
        print(json.dumps(result))
    else:
        print("\n".join(f"{k}: {v}" for k, v in result.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
