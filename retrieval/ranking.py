"""Hybrid ranking: BM25 coverage and dense cosine, per paragraph and per best sentence, into one absolute score.

For a question q, with ``w`` the lexical share and ``sentence_weight`` the sentence share (retrieval/fusion.py:
fixed when config sets ``bm25_weight`` / ``sentence_weight``, else following the question, fitted per model):
  paragraph(p) = (1 - w) * cos(q, p) + w * coverage(q, p)      coverage: BM25 / the question's total idf
  sentence(s)  = (1 - w) * cos(q, s) + w * overlap(q, s)       overlap: share of the question's idf found in s
  score(p)     = (1 - sentence_weight) * paragraph(p) + sentence_weight * max over s in p of sentence(s)
``score`` is absolute (never rescaled per question): the "not found" threshold applies to it. The order adds
``article_weight * coverage(q, whole article)``, which helps news, where the answer's article shares the words.
The best sentence is the highlight.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from retrieval.bm25 import query_terms
from retrieval.collection import Collection
from retrieval.fusion import shares
from retrieval.settings import RetrievalSettings


@dataclass(frozen=True)
class Hit:
    """A ranked paragraph row: its absolute score, the score it is ordered by, and its best sentence."""

    row: int
    score: float
    order: float
    sentence: int  # index into collection.sentences, -1 when the paragraph has none


def rank(collection: Collection, query: str, query_vector: np.ndarray, settings: RetrievalSettings,
         depth: int | None = None, allowed: np.ndarray | None = None, prior: np.ndarray | None = None) -> list[Hit]:
    """The best ``depth`` paragraphs (default ``settings.rerank_depth``), in order.

    ``allowed`` (a boolean mask over paragraph rows) keeps only those rows, before any candidate is cut, for both
    BM25 and dense candidates. ``prior`` (a float per row) is added to the order only, never to the score the
    "not found" threshold applies to: recency and conversation priors come in through it.
    """
    terms = query_terms(query)
    lexical = collection.bm25.coverage(terms)
    boost = settings.article_weight * collection.article_bm25.coverage(terms)[collection.article_of_row]
    if prior is not None:
        boost = boost + prior
    if allowed is None:
        by_lexical = np.argsort(-(lexical + boost), kind="stable")[: settings.candidates]
        by_dense, _ = collection.dense.search(query_vector, settings.candidates)
    else:
        pool = np.flatnonzero(allowed)
        by_lexical = pool[np.argsort(-(lexical + boost)[pool], kind="stable")[: settings.candidates]]
        by_dense, _ = collection.dense.search_among(query_vector, settings.candidates, pool)
    rows = np.unique(np.concatenate([by_lexical, by_dense]).astype(np.int64))
    cosines = collection.dense.cosines(query_vector, rows)
    w, sentence_weight = shares(collection, settings, terms, lexical, by_lexical, by_dense, cosines, rows)
    paragraph = (1 - w) * cosines + w * lexical[rows]
    keep = np.argsort(-(paragraph + boost[rows]), kind="stable")[: max(depth or 0, settings.rerank_depth)]

    weights = collection.bm25.term_weights(terms)
    hits = []
    for i in keep:
        row = int(rows[i])
        best, best_score = -1, 0.0
        for s in collection.sentences.of(row):
            overlap = sum(weights.get(t, 0.0) for t in collection.sentence_terms(s))
            score = (1 - w) * float(collection.sentences.vectors[s] @ query_vector) + w * overlap
            if best < 0 or score > best_score:
                best, best_score = s, score
        sentence_part = best_score if best >= 0 else float(paragraph[i])
        final = (1 - sentence_weight) * float(paragraph[i]) + sentence_weight * sentence_part
        hits.append(Hit(row, final, final + float(boost[row]), best))
    hits.sort(key=lambda h: -h.order)
    return hits
