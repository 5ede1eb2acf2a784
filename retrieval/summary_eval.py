"""`eval summary`: ROUGE of the extractive summariser against LEAD-3 on an articles.jsonl file.

Each line is ``{"id", "source", "article", "highlights": [str]}``. Both systems use the same sentence
splitter; ROUGE-1/2/Lsum F1 x100 from ``rouge-score`` with stemming, summaries and references joined
with newlines.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from retrieval.evaluate import read_jsonl
from retrieval.sentences import split_sentences
from retrieval.summarizer import DEFAULT_PARAMS, Encoder, SummaryParams, select_key_sentences

ROUGE_TYPES = ("rouge1", "rouge2", "rougeLsum")


def evaluate_summaries(
    articles_jsonl_path: str | Path,
    n: int = 3,
    embedder: Encoder | None = None,
    *,
    limit: int | None = None,
    params: SummaryParams = DEFAULT_PARAMS,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Score ``n``-sentence summaries against LEAD-``n`` on an articles.jsonl file.

    ``embedder`` defaults to an uncached ``Embedder()``; pass a ``CachedEmbedder`` so reruns skip the model.
    Returns ``{"articles", "system": {rouge1, rouge2, rougeLsum}, "lead3": {...}, "identical_to_lead3",
    "seconds"}`` (the ``lead3`` key holds LEAD-``n`` when ``n`` is not 3)."""
    from rouge_score import rouge_scorer

    if embedder is None:
        from embeddings import Embedder

        embedder = Embedder()
    started = time.perf_counter()
    say = progress or (lambda _message: None)
    records = read_jsonl(Path(articles_jsonl_path), ("article", "highlights"))[:limit]
    say(f"splitting {len(records)} articles")
    sentences = [split_sentences(record["article"]) for record in records]
    flat = [s for article in sentences for s in article]
    say(f"embedding {len(flat)} sentences")
    vectors = embedder.encode(flat)

    scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)
    totals = {"system": dict.fromkeys(ROUGE_TYPES, 0.0), "lead3": dict.fromkeys(ROUGE_TYPES, 0.0)}
    identical = 0
    offset = 0
    say("scoring")
    for record, article in zip(records, sentences, strict=True):
        article_vectors = vectors[offset : offset + len(article)]
        offset += len(article)
        picked = select_key_sentences(article, article_vectors, n, params=params)
        lead = list(range(min(n, len(article))))
        identical += picked == lead
        reference = "\n".join(record["highlights"])
        for name, indices in (("system", picked), ("lead3", lead)):
            scores = scorer.score(reference, "\n".join(article[i] for i in indices))
            for rouge_type in ROUGE_TYPES:
                totals[name][rouge_type] += scores[rouge_type].fmeasure

    count = max(len(records), 1)
    return {
        "articles": len(records),
        "system": {k: round(100 * v / count, 2) for k, v in totals["system"].items()},
        "lead3": {k: round(100 * v / count, 2) for k, v in totals["lead3"].items()},
        "identical_to_lead3": round(identical / count, 4),
        "seconds": round(time.perf_counter() - started, 1),
    }
