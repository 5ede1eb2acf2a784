"""Fit the change-of-subject rule (``ContextSettings.continue_*`` and ``switch_below``) on conversations.

For every follow-up of a question file (default coqa-dev), asked twice — after its own conversation and after
another one (``--history-from-other``'s pairing), both replayed through the product's own answers — this records
the features :func:`retrieval.query.conversation.continuity_features` computes, and whether the question's own ranking
or the ranking with its context puts the gold paragraph first. A logistic regression then learns when to read a
question in its context, from the questions where exactly one of the two is right and whose own best paragraph lies
outside the conversation's articles (inside them, the context is always used). It is fitted on half of the
conversations and scored on the other half (both ways); the threshold sweep prints what each ``switch_below`` gives
in both modes (follow-ups only, R@1).

    PYTHONPATH=. .venv/bin/python benchmarks/continuity_fit.py --config C [--questions Q --paragraphs P]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.config import Config, load_config  # noqa: E402
from embeddings import CachedEmbedder  # noqa: E402
from retrieval.evaluation import retrieval as ev  # noqa: E402
from retrieval.evaluation.collection import build_collection  # noqa: E402
from retrieval.library import open_embedder  # noqa: E402
from retrieval.query.answerer import Answerer  # noqa: E402
from retrieval.query.conversation import (  # noqa: E402
    CONTINUITY_WEIGHTS,
    continuity_features,
    conversation_context,
    plan_context,
)
from retrieval.query.ranking import rank  # noqa: E402

COQA = ROOT.parent / "shared" / "eval" / "coqa-dev"


def records(answerer: Answerer, questions: list[dict], pid_of) -> list[dict]:
    """One record per follow-up and mode: features, and whether alone / with context ranks the gold first."""
    collection, embedder = answerer.collection, answerer.embedder
    out = []
    for mode in ("given", "other"):
        histories = ev.histories(questions, mode)
        replay = ev.Conversations(answerer, answerer.settings.top_k)
        for n, q in enumerate(questions):
            if not histories[n] or not q.get("gold_pid"):
                continue
            before = replay.turns(histories[n], None)
            text = q["question"]
            vector = answerer.embed_query(text)
            with collection.reading() as view:
                alone = rank(view, text, vector, answerer.settings, 1)
                context = conversation_context(view, embedder, before, answerer.context.decay)
                mine, inside = answerer.conversation_scores(text, vector, alone, context.rows, None)
                features = continuity_features(view, text, vector, context, mine, inside)
                plan = plan_context(view, embedder, text, vector, context, answerer.context, 1.0)
                with_context = rank(view, text, plan.query_vector, answerer.settings, 1, None, plan.prior)
            out.append({"mode": mode, "conversation": q["qid"].rsplit("-t", 1)[0], "features": features,
                        "alone": bool(alone) and pid_of(alone[0]) == q["gold_pid"],
                        "context": bool(with_context) and pid_of(with_context[0]) == q["gold_pid"]})
    return out


def fit(rows: list[dict]) -> None:
    from sklearn.linear_model import LogisticRegression

    names = list(CONTINUITY_WEIGHTS)
    x = np.asarray([[r["features"][f] for f in names] for r in rows], dtype=np.float64)
    alone = np.asarray([r["alone"] for r in rows])
    context = np.asarray([r["context"] for r in rows])
    given = np.asarray([r["mode"] == "given" for r in rows])
    half = np.asarray([sorted({r["conversation"] for r in rows}).index(r["conversation"]) % 2 for r in rows])
    inside = np.asarray([bool(r["features"]["inside"]) for r in rows])  # in the conversation's article: context
    differ = (alone != context) & ~inside
    mean, scale = x.mean(0), x.std(0) + 1e-9
    z = (x - mean) / scale
    held_out = np.zeros(len(rows))
    for part in (0, 1):
        model = LogisticRegression(max_iter=3000).fit(z[differ & (half != part)], context[differ & (half != part)])
        held_out[half == part] = model.predict_proba(z[half == part])[:, 1]
    print("switch_below  given R@1  other R@1   (follow-ups, held-out halves; alone:",
          f"{alone[given].mean():.4f} / {alone[~given].mean():.4f}, always in context:",
          f"{context[given].mean():.4f} / {context[~given].mean():.4f})")
    for threshold in np.arange(0.3, 0.81, 0.04):
        pick = np.where((held_out >= threshold) | inside, context, alone)
        print(f"{threshold:11.2f}  {pick[given].mean():9.4f}  {pick[~given].mean():9.4f}")
    model = LogisticRegression(max_iter=3000).fit(z[differ], context[differ])
    weights = model.coef_[0] / scale
    bias = model.intercept_[0] - float((model.coef_[0] * mean / scale).sum())
    for name, weight in zip(names, weights, strict=True):
        print(f"{CONTINUITY_WEIGHTS[name]}: float = {weight:.2f}")
    print(f"continue_bias: float = {bias:.2f}")


def conversation_setup(description: str) -> tuple[argparse.Namespace, Config, CachedEmbedder]:
    """The arguments of the conversation benchmarks (``--config``, ``--paragraphs``, ``--questions``; coqa-dev by
    default), the config and its embedder."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--config", help="config file (its [data] dir holds the embedding cache)")
    parser.add_argument("--paragraphs", default=str(COQA / "paragraphs.jsonl"))
    parser.add_argument("--questions", default=str(COQA / "questions.jsonl"))
    args = parser.parse_args()
    config = load_config(Path(args.config) if args.config else None)
    embedder = open_embedder(config.model.name, config.data_dir, config.model.batch_size, config.model.query_runtime)
    return args, config, embedder


def main() -> None:
    args, config, embedder = conversation_setup(__doc__.split("\n\n")[0])
    paragraph_rows = ev.read_jsonl(Path(args.paragraphs), ("pid", "doc_id", "text"))
    questions = ev.read_jsonl(Path(args.questions), ("qid", "question"))
    articles, paragraphs = ev.articles_from_paragraphs(paragraph_rows)
    with tempfile.TemporaryDirectory(prefix="citebot-fit-") as tmp:
        collection = build_collection(Path(tmp) / "collection", articles, paragraphs, embedder)
        answerer = Answerer(collection, embedder, config.retrieval)
        rows = records(answerer, questions, lambda hit: collection.reading().paragraph(hit.paragraph_id).pid)
        collection.dense.close()
    fit(rows)


if __name__ == "__main__":
    main()
