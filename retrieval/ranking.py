"""Hybrid ranking: BM25 coverage and dense cosine, per paragraph and per best sentence, into one absolute score.

For a question q, with ``w`` the lexical share and ``sentence_weight`` the sentence share (retrieval/fusion.py:
fixed when config sets ``bm25_weight`` / ``sentence_weight``, else following the question, fitted per model):
  paragraph(p) = (1 - w) * cos(q, p) + w * coverage(q, p)      coverage: BM25 / the question's total idf
  sentence(s)  = (1 - w) * cos(q, s) + w * overlap(q, s)       overlap: share of the question's idf found in s
  score(p)     = (1 - sentence_weight) * paragraph(p) + sentence_weight * max over s in p of sentence(s)
``score`` is absolute (never rescaled per question): the "not found" threshold applies to it. The order adds
``article_weight * coverage(q, whole article)``, which helps news, where the answer's article shares the words.
The best sentence is the highlight.

Ranking talks to the index through a few calls on ``Collection`` (BM25 per slot, slot <-> stable paragraph id,
FAISS search and cosines by id, sentences by paragraph id); hits carry stable paragraph ids.
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
    """A ranked paragraph (stable id): its absolute score, the score it is ordered by, and its best sentence."""

    paragraph_id: int
    score: float
    order: float
    sentence: int  # index among the paragraph's sentences, -1 when it has none
    row: int = -1  # the paragraph's row (BM25 slot) when ranked: masks and priors over rows use it


def rank(collection: Collection, query: str, query_vector: np.ndarray, settings: RetrievalSettings,
         depth: int | None = None, allowed: np.ndarray | None = None, prior: np.ndarray | None = None) -> list[Hit]:
    """The best ``depth`` paragraphs (default ``settings.rerank_depth``), in order. Call under
    ``collection.lock``.

    ``allowed`` (a boolean mask over rows, i.e. BM25 slots) keeps only those rows, before any candidate is cut, for
    both BM25 and dense candidates. ``prior`` (a float per row) is added to the order only, never to the score the
    "not found" threshold applies to: recency and conversation priors come in through it.
    """
    terms = query_terms(query)
    lexical = collection.bm25.coverage(terms)
    slots = len(lexical)
    alive = collection.bm25.alive[:slots]
    boost = settings.article_weight * collection.article_bm25.coverage(terms)[collection.article_of_row]
    boost[~alive] = 0.0
    if prior is not None:
        boost = boost + prior
    pool = np.flatnonzero(alive if allowed is None else alive & np.asarray(allowed[:slots], dtype=bool))
    by_lexical = pool[np.argsort(-(lexical + boost)[pool], kind="stable")[: settings.candidates]]
    dense_ids, _ = collection.dense.search(query_vector, settings.candidates,
                                           allowed=None if allowed is None else collection.id_of_slot.data[pool])
    by_dense = np.asarray([collection.slot_of[int(i)] for i in dense_ids], dtype=np.int64)
    rows = np.unique(np.concatenate([by_lexical, by_dense]).astype(np.int64))
    ids = collection.id_of_slot.data[rows]
    cosines = collection.dense.cosines(query_vector, ids)
    w, sentence_weight = shares(collection, settings, terms, lexical, by_lexical, by_dense, cosines, rows)
    paragraph = (1 - w) * cosines + w * lexical[rows]
    keep = np.argsort(-(paragraph + boost[rows]), kind="stable")[: max(depth or 0, settings.rerank_depth)]

    weights = collection.bm25.term_weights(terms)
    hits = []
    for i in keep:
        pid = int(ids[i])
        sentences = collection.sentences[pid]
        best, best_score = -1, 0.0
        for s in range(len(sentences.vectors)):
            overlap = sum(weights.get(t, 0.0) for t in collection.sentence_terms(pid, s))
            score = (1 - w) * float(sentences.vectors[s] @ query_vector) + w * overlap
            if best < 0 or score > best_score:
                best, best_score = s, score
        sentence_part = best_score if best >= 0 else float(paragraph[i])
        final = (1 - sentence_weight) * float(paragraph[i]) + sentence_weight * sentence_part
        hits.append(Hit(pid, final, final + float(boost[rows[i]]), best, int(rows[i])))
    hits.sort(key=lambda h: -h.order)
    return hits
