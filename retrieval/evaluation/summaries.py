"""`eval summary`: ROUGE of the extractive summariser against the lead on an articles.jsonl file.

Each line is ``{"id", "source", "article", "highlights": [str]}``. Both systems use the same sentence
splitter; ROUGE-1/2/Lsum x100 from ``rouge-score`` with stemming, summaries and references joined with newlines.

Two modes:

* ``n`` sentences (default): the system's ``n`` key sentences against LEAD-``n``, ROUGE F1. Because F1 rewards a
  summary for being as short as the references, the mean length of each side is reported, and so is the lead cut
  to the system's own length, article by article (``lead_equal_length``).
* ``words=N`` (length-honest, as in the DUC evaluations): each summary is filled with sentences in its own order
  (the system's in its ranking, the lead's from the top) until it holds N words, shown in article order and cut
  to its first N words; ROUGE recall is reported, so a gain from length alone shows up as none.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

from retrieval.evaluation.retrieval import read_jsonl
from retrieval.summarizer import (
    DEFAULT_PARAMS,
    Encoder,
    SummaryParams,
    rank_key_sentences,
    take_until_words,
    word_count,
)
from retrieval.text.sentences import split_sentences

ROUGE_TYPES = ("rouge1", "rouge2", "rougeLsum")


def cut_to_words(sentences: Sequence[str], words: int) -> list[str]:
    """The first ``words`` whitespace-separated words of ``sentences``, sentence boundaries kept."""
    out: list[str] = []
    left = words
    for sentence in sentences:
        if left <= 0:
            break
        tokens = sentence.split()
        out.append(" ".join(tokens[:left]))
        left -= len(tokens)
    return [s for s in out if s]


def evaluate_summaries(
    articles_jsonl_path: str | Path,
    n: int = 3,
    embedder: Encoder | None = None,
    *,
    words: int | None = None,
    limit: int | None = None,
    params: SummaryParams = DEFAULT_PARAMS,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Score the system's summaries against the lead's on an articles.jsonl file.

    ``embedder`` defaults to an uncached ``Embedder()``; pass a ``CachedEmbedder`` so reruns skip the model.
    Returns ``{"articles", "measure", "system": {rouge1, rouge2, rougeLsum}, "lead3": {...},
    "lead_equal_length": {...}, "mean_words": {"system", "lead3"}, "identical_to_lead3", "seconds"}``, plus
    ``"words": N`` when ``words`` is given (then ``measure`` is ``"recall"``, else ``"f1"``). ``lead3`` holds
    LEAD-``n`` when ``n`` is not 3, and the lead's first N words with ``words``."""
    from rouge_score import rouge_scorer

    if words is not None and words < 1:
        raise ValueError("words must be at least 1")
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

    measure = "recall" if words is not None else "fmeasure"
    scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)
    names = ("system", "lead3", "lead_equal_length")
    totals = {name: dict.fromkeys(ROUGE_TYPES, 0.0) for name in names}
    lengths = dict.fromkeys(names, 0)
    identical = 0
    offset = 0
    say("scoring")
    for record, article in zip(records, sentences, strict=True):
        article_vectors = vectors[offset : offset + len(article)]
        offset += len(article)
        ranked = rank_key_sentences(article, article_vectors, params=params)
        if words is None:
            picked = ranked.indices[:n]
            lead = list(range(min(n, len(article))))
        else:
            picked = take_until_words(ranked.indices, [word_count(t) for t in ranked.texts], words)
            lead = take_until_words(range(len(article)), [word_count(t) for t in article], words)
        identical += sorted(picked) == lead
        system = [ranked.texts[i] for i in sorted(picked)]
        leading = [article[i] for i in lead]
        if words is not None:
            system, leading = cut_to_words(system, words), cut_to_words(leading, words)
        summaries = {
            "system": system,
            "lead3": leading,
            "lead_equal_length": cut_to_words(article, sum(map(word_count, system))),
        }
        reference = "\n".join(record["highlights"])
        for name, summary in summaries.items():
            lengths[name] += sum(map(word_count, summary))
            scores = scorer.score(reference, "\n".join(summary))
            for rouge_type in ROUGE_TYPES:
                totals[name][rouge_type] += getattr(scores[rouge_type], measure)

    count = max(len(records), 1)
    result: dict = {"articles": len(records), "measure": "recall" if words is not None else "f1"}
    if words is not None:
        result["words"] = words
    for name in names:
        result[name] = {k: round(100 * v / count, 2) for k, v in totals[name].items()}
    result["mean_words"] = {"system": round(lengths["system"] / count, 1), "lead3": round(lengths["lead3"] / count, 1)}
    result["identical_to_lead3"] = round(identical / count, 4)
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result
