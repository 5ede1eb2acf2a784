"""Fit the reader (retrieval/query/reader.py) on squad-dev and newsqa-dev, folds split by article, and report held-out.

``features`` asks every question through the product's ``Answerer.ask`` (follow-ups after their history, as
``citebot ask --history`` asks them) with a recorder in place of the reader, and keeps the features of the
candidates the reader would re-read, with labels:

- squad-dev, near-topic split (benchmarks/splits.py: every article, one paragraph in ten removed; questions on a
  removed paragraph are absent): a candidate is right when it is the gold paragraph;
- newsqa-dev (the 41 pages, as ``citebot eval answers`` indexes them): a candidate is right when it comes from the
  question's page and contains an answer (PROVENANCE.md's rule); absent questions have no right candidate.

``fit`` fits the paragraph models (a conditional logit over each question's candidates, L2; news questions weighted
``NEWS_WEIGHTS``: one model for fresh questions, one for questions read as follow-ups), 5 folds by article/page,
prints the held-out figures — the ranking's and the reader's choice,
"not found" by the score alone, by the shipped check of the answer's unit (``retrieval.query.reader.answers``) and by a
learned "does it answer" model (logistic on the chosen candidate's evidence, threshold calibrated on squad only;
measured, not shipped) — and with ``--write`` saves the paragraph model fitted on everything.

    .venv/bin/python benchmarks/reader_fit.py features --out /tmp/reader/features.pkl
    .venv/bin/python benchmarks/reader_fit.py fit --features /tmp/reader/features.pkl [--write]
    .venv/bin/python benchmarks/reader_fit.py select --features /tmp/reader/features.pkl --grid 3,10,30

``select`` (also ``tower_fit.py write --select``, on the answer tower's cross-fitted column) measures the choice
of the fresh questions' news weight itself: per outer fold, the weight of ``--grid`` with the most newsqa single
questions right first plus absent ones declined on the inner folds, then held out.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import tempfile
import zlib
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from splits import near_topic_split  # noqa: E402

from bot.config import load_config  # noqa: E402
from embeddings import DEFAULT_MODEL  # noqa: E402
from retrieval.evaluation.answers import holds_answer, index_pages, page_ids, page_paths  # noqa: E402
from retrieval.evaluation.collection import build_collection  # noqa: E402
from retrieval.evaluation.retrieval import Conversations, articles_from_paragraphs, read_jsonl  # noqa: E402
from retrieval.library import Library, open_embedder  # noqa: E402
from retrieval.query.answerer import Answerer  # noqa: E402
from retrieval.query.answertypes import KINDS  # noqa: E402
from retrieval.query.conversation import extend  # noqa: E402
from retrieval.query.reader import (  # noqa: E402
    FEATURES,
    MODEL_FILE,
    PARAGRAPH_FEATURES,
    SENTENCE_FEATURES,
    Candidates,
    ReadOrder,
    answers,
    candidate_features,
    reading_order,
)

EVAL = ROOT.parent / "shared" / "eval"
FOLDS = 5
L2 = 1.0
#: How many times a news question counts against a squad one in the fit, per model: fresh questions (chosen by
#: ``select``: more news weight finds more details on news, docs/benchmarks.md "Round 12") and questions read as
#: follow-ups (more weight there costs follow-ups).
NEWS_WEIGHTS = {"fresh": 10.0, "followup": 3.0}

# A learned "does it answer" model, measured and not shipped (docs/benchmarks.md): the chosen candidate's evidence.
DECISION_FEATURES = ("top_score", "best_score", "reader", "margin", "holds", "specific", "overlap", "sim",
                     "typed", "missing", "residual", "unit_asked", "unit_held", "unit_anywhere")


def decision_features(candidates: Candidates, scores: np.ndarray, chosen: int) -> np.ndarray:
    """What the measured "does it answer" model reads: the chosen candidate's evidence and the question's."""
    f = candidates.features
    names = {name: i for i, name in enumerate(FEATURES)}
    order = np.sort(scores)[::-1]
    margin = float(order[0] - order[1]) if len(order) > 1 else 0.0
    row = f[chosen]
    return np.asarray([
        f[0, names["score"]], float(f[:, names["score"]].max()), float(scores[chosen]), margin,
        row[names["p_holds"]], row[names["max_specific"]], row[names["max_overlap"]], row[names["max_sim"]],
        float(candidates.kind in KINDS), candidates.missing, row[names["max_residual"]], float(candidates.unit),
        row[names["max_unit"]], float(f[:, names["max_unit"]].max()) if len(f) else 0.0,
    ], dtype=np.float64)


class Recorder:
    """Stands in for the reader: keeps the candidates' features of the last call, changes nothing."""

    def __init__(self) -> None:
        self.last: Candidates | None = None
        self.question = ""
        self.follows_up = False
        self.vector: np.ndarray | None = None
        self.sentences: dict[int, tuple[list[str], np.ndarray]] = {}  # paragraph id -> its sentences, vectors

    def __call__(self, collection, question, query_vector, hits, quoted=frozenset(), answer_vector=None,
                 follows_up=False):
        self.follows_up = follows_up
        self.last = candidate_features(collection, question, query_vector, hits, quoted, answer_vector=answer_vector)
        self.question, self.vector = question, np.asarray(query_vector, dtype=np.float32)
        texts = collection.paragraphs([h.paragraph_id for h in self.last.hits])
        for h in self.last.hits:
            if h.paragraph_id not in self.sentences and h.row >= 0 and h.paragraph_id in texts:
                spans, vectors = collection.sentences(h.row)
                text = texts[h.paragraph_id].text
                self.sentences[h.paragraph_id] = ([text[a:b] for a, b in spans.tolist()],
                                                  np.asarray(vectors, dtype=np.float16))
        return ReadOrder(hits, None)

    def extra(self) -> dict:
        """What the adapter probes read besides the features: the question as the reader saw it and its vector."""
        return {"read_question": self.question, "vector": self.vector, "follows_up": self.follows_up,
                "paragraph_ids": [h.paragraph_id for h in self.last.hits]}


SENTENCES: dict[str, dict[int, tuple[list[str], np.ndarray]]] = {}


def fold_of(group: str) -> int:
    return zlib.crc32(group.encode()) % FOLDS


def squad_rows(embedder, settings, limit: int | None) -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="reader-fit-") as tmp:
        paragraphs, questions = near_topic_split(EVAL / "squad-dev", Path(tmp))
        rows = read_jsonl(paragraphs, ("pid", "doc_id", "text"))
        articles, items = articles_from_paragraphs(rows)
        collection = build_collection(Path(tmp) / "c", articles, items, embedder)
        answerer = Answerer(collection, embedder, settings)
        answerer.reader = recorder = Recorder()
        out = []
        original = {q["qid"]: q["gold_pid"] for q in read_jsonl(EVAL / "squad-dev" / "questions.jsonl", ("qid",))}
        all_questions = read_jsonl(questions, ("qid", "question"))[:limit]
        for n, q in enumerate(all_questions, 1):
            answerer.ask(q["question"], k=3)
            c = recorder.last
            if c is None:
                continue
            gold = q.get("gold_pid")
            with collection.reading() as view:
                pids = [view.paragraph(h.paragraph_id).pid for h in c.hits]
            doc = str(original[q["qid"]]).rsplit("#", 1)[0]  # the article (of the removed paragraph when absent)
            out.append({"set": "squad", "qid": q["qid"], "group": "squad:" + doc,
                        "kind": "absent" if gold is None else "single", "qtype": c.kind, "candidates": c,
                        "labels": np.asarray([p == gold for p in pids], dtype=bool), **recorder.extra()})
            if n % 500 == 0:
                print(f"squad {n}/{len(all_questions)}", file=sys.stderr)
        collection.dense.close()
    SENTENCES["squad"] = recorder.sentences
    return out


def newsqa_rows(config, embedder, data: Path) -> list[dict]:
    questions = read_jsonl(EVAL / "newsqa-dev" / "questions.jsonl", ("qid", "question", "kind"))
    library = Library(data, embedder, config.retrieval, config.splitter, index=config.index)
    article_of_page = index_pages(library, page_paths(EVAL / "extraction" / "pages", page_ids(questions)))
    collection = library.collection()
    answerer = Answerer(collection, embedder, library.retrieval)
    answerer.reader = recorder = Recorder()
    out = []
    for q in questions:
        turns = []
        for earlier in q.get("history") or []:
            turns = extend(turns, answerer.ask(earlier, None, history=turns, today=config.today()))
        answerer.ask(q["question"], None, history=turns, today=config.today())
        c = recorder.last
        page = q.get("page_id") or q.get("near_page_id")
        article = article_of_page.get(str(q.get("page_id")))
        labels = []
        with collection.reading() as view:
            for h in c.hits:
                p = view.paragraph(h.paragraph_id)
                labels.append(bool(article and p.article_id == article and holds_answer(p.text, q["answers"])))
        out.append({"set": "newsqa", "qid": q["qid"], "group": "newsqa:" + str(page or q["qid"]), "kind": q["kind"],
                    "qtype": q.get("qtype"), "candidates": c, "labels": np.asarray(labels, dtype=bool),
                    **recorder.extra()})
    SENTENCES["newsqa"] = recorder.sentences
    return out


def coqa_rows(embedder, settings) -> list[dict]:
    """coqa-dev's turns (26 CNN stories, 24 Wikipedia articles), each asked after its history (the earlier turns
    answered by the real reader, as ``eval retrieval`` replays them): for the answer tower's training only, never
    the reader's fit (:data:`READER_SETS`). A candidate is right when it is the turn's gold paragraph."""
    from retrieval.query.reader import read

    with tempfile.TemporaryDirectory(prefix="reader-fit-") as tmp:
        articles, items = articles_from_paragraphs(read_jsonl(EVAL / "coqa-dev" / "paragraphs.jsonl",
                                                              ("pid", "doc_id", "text")))
        collection = build_collection(Path(tmp) / "c", articles, items, embedder)
        answerer = Answerer(collection, embedder, settings)
        recorder = Recorder()
        replay, out = Conversations(answerer, 3), []
        for q in read_jsonl(EVAL / "coqa-dev" / "questions.jsonl", ("qid", "question")):
            answerer.reader = read  # the earlier turns answered by the real reader
            turns = replay.turns([str(h) for h in q.get("history") or []], None)
            answerer.reader = recorder
            answerer.ask(q["question"], k=3, history=turns)
            c = recorder.last
            with collection.reading() as view:
                pids = [view.paragraph(h.paragraph_id).pid for h in c.hits]
            kind = "absent" if q.get("gold_pid") is None else "single"
            out.append({"set": "coqa", "qid": q["qid"], "group": "coqa:" + str(q.get("gold_doc")), "kind": kind,
                        "qtype": c.kind, "candidates": c,
                        "labels": np.asarray([p == q.get("gold_pid") for p in pids], dtype=bool), **recorder.extra()})
        collection.dense.close()
    SENTENCES["coqa"] = recorder.sentences
    return out


def cmd_features(args) -> None:
    config = load_config(args.config)
    embedder = open_embedder(config.model.name, config.data_dir, config.model.batch_size, config.model.query_runtime)
    settings = config.retrieval
    from retrieval.query.fusion import for_model

    settings = for_model(settings, embedder.name)
    sets = args.sets.split(",")
    rows = newsqa_rows(config, embedder, Path(args.newsqa_data)) if "newsqa" in sets else []
    print(f"newsqa: {len(rows)} questions", file=sys.stderr)
    rows += squad_rows(embedder, settings, args.limit) if "squad" in sets else []
    rows += coqa_rows(embedder, settings) if "coqa" in sets else []
    for row in rows:
        row["model"] = embedder.name  # the model whose cosines the features hold (saved with the fit)
    with open(args.out, "wb") as handle:
        pickle.dump(rows, handle)
    with open(str(args.out) + ".sentences", "wb") as handle:  # per set: paragraph id -> sentences, vectors
        pickle.dump(SENTENCES, handle)
    print(f"{len(rows)} questions -> {args.out}", file=sys.stderr)


# -- fitting ------------------------------------------------------------------------------------------------------
def standardise(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean, scale = x.mean(axis=0), x.std(axis=0)
    return mean, np.where(scale > 1e-9, scale, 1.0)


def fit_listwise(items: list[tuple[np.ndarray, np.ndarray, float]], l2: float = L2) -> tuple[np.ndarray, ...]:
    """Conditional logit: each question's softmax over its candidates puts mass on the right ones (each question
    weighted: news questions count ``NEWS_WEIGHTS`` times, squad's many lexical ones would drown them)."""
    stacked = np.vstack([f for f, _, _ in items])
    mean, scale = standardise(stacked)
    xs = [((f - mean) / scale, y.astype(np.float64)) for f, y, _ in items]
    x_all = np.vstack([x for x, _ in xs])
    y_all = np.concatenate([y / y.sum() * weight for (_, y), (_, _, weight) in zip(xs, items, strict=True)])
    sizes = np.asarray([len(y) for _, y in xs])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    owner = np.repeat(np.arange(len(xs)), sizes)
    weight_all = np.repeat(np.asarray([weight for _, _, weight in items]), sizes)

    def loss(w):
        z = x_all @ w
        zmax = np.maximum.reduceat(z, starts)
        e = np.exp(z - zmax[owner])
        denom = np.add.reduceat(e, starts)
        p = e / denom[owner]
        value = -(y_all * (z - zmax[owner] - np.log(denom[owner]))).sum() + 0.5 * l2 * w @ w
        grad = x_all.T @ (p * weight_all - y_all) + l2 * w
        return value, grad

    w = minimize(loss, np.zeros(x_all.shape[1]), jac=True, method="L-BFGS-B").x
    return mean, scale, w


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = L2) -> tuple[np.ndarray, ...]:
    mean, scale = standardise(x)
    xs = (x - mean) / scale

    def loss(params):
        w, b = params[:-1], params[-1]
        z = xs @ w + b
        p = 1 / (1 + np.exp(-z))
        value = np.logaddexp(0, z).sum() - (y * z).sum() + 0.5 * l2 * w @ w
        grad = np.concatenate([xs.T @ (p - y) + l2 * w, [(p - y).sum()]])
        return value, grad

    params = minimize(loss, np.zeros(xs.shape[1] + 1), jac=True, method="L-BFGS-B").x
    return mean, scale, params[:-1], float(params[-1])


#: The sets the reader is fitted and reported on (coqa-dev's rows train the answer tower only: benchmarks/tower_fit.py)
READER_SETS = ("squad", "newsqa")


def trainable(rows: list[dict], news_weight: float = NEWS_WEIGHTS["fresh"]) -> list[tuple[np.ndarray, ...]]:
    return [(r["candidates"].features, r["labels"], news_weight if r["set"] == "newsqa" else 1.0)
            for r in rows if r["labels"].any() and r["set"] in READER_SETS]


def follows_up(row: dict) -> bool:
    """Whether the product read the question as a follow-up (feature files from before round 12: a follow-up turn)."""
    return bool(row.get("follows_up", row["kind"] == "followup"))


def fit_models(rows: list[dict], fresh: float | None = None) -> dict[bool, tuple[np.ndarray, ...]]:
    """The two paragraph models, keyed by "read as a follow-up": (mean, scale, weights) each."""
    fresh = NEWS_WEIGHTS["fresh"] if fresh is None else fresh
    first = fit_listwise(trainable(rows, fresh))
    second = first if fresh == NEWS_WEIGHTS["followup"] else fit_listwise(trainable(rows, NEWS_WEIGHTS["followup"]))
    return {False: first, True: second}


def scores_of(row: dict, models: dict[bool, tuple[np.ndarray, ...]]) -> np.ndarray:
    mean, scale, w = models[follows_up(row)]
    return ((row["candidates"].features - mean) / scale) @ w


def decision_set(rows: list[dict], models: dict[bool, tuple[np.ndarray, ...]]) -> tuple[np.ndarray, np.ndarray]:
    x, y = [], []
    for r in rows:
        c = r["candidates"]
        scores = scores_of(r, models)
        x.append(decision_features(c, scores, int(np.argmax(scores))))
        y.append(float(r["kind"] != "absent"))
    return np.asarray(x), np.asarray(y)


def held_out(rows: list[dict], threshold_answered: float, folds: tuple[int, ...] = tuple(range(FOLDS)),
             fresh: float | None = None, decide: bool = True) -> list[dict]:
    """Per question of ``folds``: the held-out reader's choice (right or not), the ranking's, and (with ``decide``)
    the held-out probability that it answers. ``fresh``: the fresh questions' news weight (default
    ``NEWS_WEIGHTS``)."""
    out = []
    rows = [r for r in rows if r["set"] in READER_SETS]
    for fold in folds:
        train = [r for r in rows if fold_of(r["group"]) != fold]
        test = [r for r in rows if fold_of(r["group"]) == fold]
        models = fit_models(train, fresh)
        if decide:
            dx, dy = decision_set(train, models)
            dmean, dscale, dw, db = fit_logistic(dx, dy)
            tx, _ = decision_set(test, models)
            probs = 1 / (1 + np.exp(-(((tx - dmean) / dscale) @ dw + db)))
            train_probs = 1 / (1 + np.exp(-(((dx - dmean) / dscale) @ dw + db)))
            threshold = threshold_for(train, train_probs, threshold_answered)
        else:
            probs, threshold = np.ones(len(test)), 0.0
        for r, prob in zip(test, probs, strict=True):
            c = r["candidates"]
            scores = scores_of(r, models)
            order = first_in_top_article(c, scores)
            out.append({**{k: r[k] for k in ("set", "qid", "kind", "qtype", "group")},
                        "right1": bool(r["labels"][order[0]]) if len(order) else False,
                        "right3": bool(r["labels"][order[:3]].any()) if len(order) else False,
                        "base1": bool(r["labels"][:1].any()), "base3": bool(r["labels"][:3].any()),
                        "score_found": bool(c.features[:, 0].max() >= 0.41) if len(order) else False,
                        "prob": float(prob), "answers": bool(prob >= threshold),
                        "rule": bool(answers(c, int(order[0]))) if len(order) else True})
    return out


def first_in_top_article(c: Candidates, scores: np.ndarray) -> np.ndarray:
    """The reader's order as ``retrieval.query.reader.read`` makes it (``reading_order``): the first quote from
    the ranking's first article, then the rest by score with the ranking's order as a prior."""
    return reading_order(scores, c.articles)


def threshold_for(rows: list[dict], probs: np.ndarray, answered: float) -> float:
    """The probability under which an answer is "not found": calibrated on squad's near-topic split only (never
    on newsqa's absent questions): the one that declines most of squad's absent questions while keeping at least
    ``answered`` of its answerable ones (that pass the score threshold) answered."""
    squad = np.asarray([r["set"] == "squad" for r in rows])
    passing = np.asarray([r["candidates"].features[:, 0].max() >= 0.41 if len(r["candidates"].features) else False
                          for r in rows])
    answerable = np.asarray([r["kind"] != "absent" for r in rows])
    keep = probs[squad & answerable & passing]
    if not len(keep):
        return 0.5
    best, chosen = -1.0, 0.0
    for t in np.quantile(keep, np.linspace(0.0, 1 - answered, 41)):
        kept = float((keep >= t).mean())
        declined = 1.0 - float(((probs >= t) & passing)[squad & ~answerable].mean())
        if kept >= answered and kept + declined > best:
            best, chosen = kept + declined, float(t)
    return chosen


def report(results: list[dict]) -> dict:
    def ratio(items, key):
        return round(sum(r[key] for r in items) / len(items), 4) if items else None

    out = {}
    for name in ("squad", "newsqa"):
        rows = [r for r in results if r["set"] == name]
        answerable = [r for r in rows if r["kind"] != "absent"]
        absent = [r for r in rows if r["kind"] == "absent"]
        found = [dict(r, found=r["score_found"] and r["answers"]) for r in rows]
        shipped = [dict(r, found=r["score_found"] and r["rule"]) for r in rows]
        entry = {"n": len(rows), "ranking@1": ratio(answerable, "base1"), "reader@1": ratio(answerable, "right1"),
                 "ranking@3": ratio(answerable, "base3"), "reader@3": ratio(answerable, "right3"),
                 "answered_score_only": ratio(answerable, "score_found"),
                 "declined_score_only": round(1 - ratio(absent, "score_found"), 4) if absent else None,
                 "answered": ratio([f for f in found if f["kind"] != "absent"], "found"),
                 "declined": round(1 - ratio([f for f in found if f["kind"] == "absent"], "found"), 4)
                 if absent else None,
                 "answered_shipped": ratio([f for f in shipped if f["kind"] != "absent"], "found"),
                 "declined_shipped": round(1 - ratio([f for f in shipped if f["kind"] == "absent"], "found"), 4)
                 if absent else None}
        if name == "newsqa":
            for kind in ("single", "followup"):
                items = [r for r in rows if r["kind"] == kind]
                entry[f"{kind}_ranking@1"] = ratio(items, "base1")
                entry[f"{kind}_reader@1"] = ratio(items, "right1")
                entry[f"{kind}_reader@3"] = ratio(items, "right3")
        out[name] = entry
    return out


class Unpickler(pickle.Unpickler):
    """Reads feature files written before the query modules moved into retrieval.query."""

    def find_class(self, module: str, name: str):
        moved = {"retrieval.reader": "retrieval.query.reader", "retrieval.ranking": "retrieval.query.ranking"}
        return super().find_class(moved.get(module, module), name)


def load_rows(path: str) -> list[dict]:
    with open(path, "rb") as handle:
        return Unpickler(handle).load()


def cmd_fit(args) -> None:
    rows = load_rows(args.features)
    results = held_out(rows, args.answered)
    print(json.dumps(report(results), indent=1))
    if args.details:
        Path(args.details).write_text("".join(json.dumps(r) + "\n" for r in results), encoding="utf-8")
    if args.write:
        write_model(rows)


def write_model(rows: list[dict]) -> None:
    """Fit the two paragraph models on every row and save them as the reader's ``reader_model.json`` (the fresh
    questions' at the top, the follow-ups' under "followup")."""
    embedder_name = rows[0].get("model", DEFAULT_MODEL) if rows else DEFAULT_MODEL
    models = fit_models(rows)
    mean, scale, w = models[False]
    follow_mean, follow_scale, follow_w = models[True]
    model = {
        "about": "retrieval/reader.py; fitted by benchmarks/reader_fit.py on squad-dev (near-topic split) and "
                 "newsqa-dev (the answer tower's column by benchmarks/tower_fit.py write), news weights "
                 f"{NEWS_WEIGHTS}; figures in docs/benchmarks.md",
        "model": embedder_name,  # its features (cosines) are this model's: other models keep the ranking's order
        "features": list(FEATURES), "mean": mean.round(6).tolist(), "scale": scale.round(6).tolist(),
        "weights": w.round(6).tolist(),
        "followup": {"mean": follow_mean.round(6).tolist(), "scale": follow_scale.round(6).tolist(),
                     "weights": follow_w.round(6).tolist()},
    }
    MODEL_FILE.write_text(json.dumps(model, indent=1) + "\n", encoding="utf-8")
    named = dict(zip(FEATURES, w.round(3).tolist(), strict=True))
    print(json.dumps({"weights": named}, indent=1))
    print(f"wrote {MODEL_FILE}", file=sys.stderr)


def fresh_right(results: list[dict]) -> int:
    """What ``select`` maximises: newsqa's fresh questions right first plus its absent ones declined (by the
    score threshold and the shipped check)."""
    return sum(r["right1"] if r["kind"] == "single" else not (r["score_found"] and r["rule"])
               for r in results if r["set"] == "newsqa" and r["kind"] in ("single", "absent"))


def cmd_select(args) -> None:
    select_weight(load_rows(args.features), args.grid, args.answered)


def select_weight(rows: list[dict], grid_text: str, answered: float = 0.96) -> None:
    """Nested folds: the fresh questions' news weight chosen on each outer fold's inner folds, then held out."""
    rows = [r for r in rows if r["set"] in READER_SETS]
    grid = [float(x) for x in grid_text.split(",")]
    results, chosen = [], []
    for fold in range(FOLDS):
        inner = [r for r in rows if fold_of(r["group"]) != fold]
        inner_folds = tuple(f for f in range(FOLDS) if f != fold)
        counts = [fresh_right(held_out(inner, answered, inner_folds, fresh=g, decide=False)) for g in grid]
        best = grid[int(np.argmax(counts))]  # the first (smallest) on a tie
        chosen.append(best)
        print(json.dumps({"fold": fold, "inner": dict(zip(grid, counts, strict=True)), "chosen": best}), flush=True)
        results += held_out(rows, answered, (fold,), fresh=best, decide=False)
    print(json.dumps({"chosen": chosen, "held_out": report(results)}, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("features")
    p.add_argument("--config", default=None)
    p.add_argument("--out", required=True)
    p.add_argument("--newsqa-data", default="/tmp/reader/fit-newsqa", help="data dir the 41 pages are indexed in")
    p.add_argument("--limit", type=int, default=None, help="only the first N squad-dev questions")
    p.add_argument("--sets", default="newsqa,squad",
                   help="which sets, comma-separated: newsqa, squad, coqa (coqa trains only the answer tower: "
                        "measured, not shipped)")
    p.set_defaults(func=cmd_features)
    p = sub.add_parser("fit")
    p.add_argument("--features", required=True)
    p.add_argument("--answered", type=float, default=0.96, help="squad answerable questions kept answered")
    p.add_argument("--details", default=None)
    p.add_argument("--write", action="store_true")
    p.set_defaults(func=cmd_fit)
    p = sub.add_parser("select")
    p.add_argument("--features", required=True)
    p.add_argument("--grid", default="3,10,30", help="fresh questions' news weights to choose among")
    p.add_argument("--answered", type=float, default=0.96)
    p.set_defaults(func=cmd_select)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    assert len(FEATURES) == len(PARAGRAPH_FEATURES) + len(SENTENCE_FEATURES)
    main()
