"""Hybrid ranking: BM25 coverage and dense cosine, per paragraph and per best sentence, into one absolute score.

For a question q, with ``w`` the lexical share and ``sentence_weight`` the sentence share (retrieval/query/fusion.py:
fixed when config sets ``bm25_weight`` / ``sentence_weight``, else following the question, fitted per model):
  paragraph(p) = (1 - w) * cos(q, p) + w * coverage(q, p)      coverage: BM25 / the question's total idf
  sentence(s)  = (1 - w) * cos(q, s) + w * overlap(q, s)       overlap: share of the question's idf found in s
  score(p)     = (1 - sentence_weight) * paragraph(p) + sentence_weight * max over s in p of sentence(s)
``score`` is absolute (never rescaled per question): the "not found" threshold applies to it. The order adds
``article_weight * coverage(q, whole article)``, which helps news, where the answer's article shares the words.
The best sentence is the highlight.

The query path does not grow with the collection: lexical candidates come from the postings of the question's
terms (paragraph and article BM25), dense candidates from the dense index, top-k by partial selection; only the
union of candidates is scored, and only the best ``rerank_depth`` of them sentence by sentence (their texts read
from the store). A ``prior`` (an array over all rows, from the caller) or an ``allowed`` mask makes that step
linear in the rows, as building them already was. Ties are broken by row, as a stable sort over all rows would.

Between its steps (lexical, dense, fusion, every ``CHECKPOINT_EVERY`` paragraphs scored sentence by sentence) the
ranking calls ``view.checkpoint()``: a view entered with a pause lets the collection go there, so a question from a
quieter server waits for one step of a flooder's answer, not its whole reading (``Reading.checkpoint``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from retrieval.query.fusion import shares
from retrieval.reading import Reading, SparseScores
from retrieval.settings import RetrievalSettings
from retrieval.text.tokens import query_terms

CHECKPOINT_EVERY = 5  # paragraphs scored sentence by sentence between two checkpoints


@dataclass(frozen=True)
class Hit:
    """A ranked paragraph (stable id): its absolute score, the score it is ordered by, and its best sentence."""

    paragraph_id: int
    score: float
    order: float
    sentence: int  # index among the paragraph's sentences, -1 when it has none
    row: int = -1  # the paragraph's row (BM25 slot) when ranked: masks and priors over rows use it


def top_k(values: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` largest ``values``, largest first, ties by position (a stable descending sort's
    first ``k``), by partial selection."""
    n = len(values)
    if k <= 0 or n == 0:
        return np.zeros(0, dtype=np.int64)
    if n > k:
        kth = np.partition(values, n - k)[n - k]
        above = np.flatnonzero(values > kth)
        ties = np.flatnonzero(values == kth)[: k - len(above)]
        chosen = np.concatenate([above, ties])
    else:
        chosen = np.arange(n)
    return chosen[np.lexsort((chosen, -values[chosen]))]


def _fill(mask: np.ndarray, taken: np.ndarray, need: int) -> np.ndarray:
    """The first ``need`` rows of ``mask`` (ascending) not in ``taken``: the zero scores a stable sort puts last."""
    out: list[np.ndarray] = []
    got, start, step = 0, 0, max(256, 4 * need)
    while got < need and start < len(mask):
        rows = start + np.flatnonzero(mask[start:start + step])
        rows = rows[~np.isin(rows, taken)]
        out.append(rows[: need - got])
        got += len(out[-1])
        start += step
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)


def _member(values: np.ndarray, ascending: np.ndarray) -> np.ndarray:
    """Whether each of ``values`` is in the ascending array ``ascending`` (binary search: no hashing of it)."""
    if not len(ascending):
        return np.zeros(len(values), dtype=bool)
    pos = np.minimum(np.searchsorted(ascending, values), len(ascending) - 1)
    return ascending[pos] == values


def _best_articles(scores: np.ndarray, firsts: np.ndarray, m: int) -> np.ndarray:
    """Positions of at least the ``m`` best articles (score descending, then first row), in that order: every
    article scoring at least the ``m``-th best, so the result is the exact prefix of the full order."""
    n = len(scores)
    chosen = np.flatnonzero(scores >= np.partition(scores, n - m)[n - m]) if n > m else np.arange(n)
    return chosen[np.lexsort((firsts[chosen], -scores[chosen]))]


def _article_rows(view: Reading, art_slots: np.ndarray, art_scores: np.ndarray, mask: np.ndarray,
                  exclude: np.ndarray, k: int) -> np.ndarray:
    """The best ``k`` rows (article score, then row) among the rows of the matched articles outside ``exclude``
    (ascending): the candidates whose order comes from their article alone."""
    if not len(art_slots) or k <= 0:
        return np.zeros(0, dtype=np.int64)
    step = max(16, k)
    all_firsts = view.article_firsts(art_slots)
    order = _best_articles(art_scores, all_firsts, 4 * step)  # the full order is sorted only if these run out
    out: list[np.ndarray] = []
    got, start = 0, 0
    while got < k and start < len(art_slots):
        if start >= len(order):
            order = np.lexsort((all_firsts, -art_scores))
        chosen = art_slots[order[start:start + step]]
        counts = view.article_counts(chosen).astype(np.int64)
        firsts = view.article_firsts(chosen)
        offsets = np.repeat(firsts - np.cumsum(counts) + counts, counts)
        rows = offsets + np.arange(int(counts.sum()), dtype=np.int64)
        rows = rows[mask[rows] & ~_member(rows, exclude)]
        out.append(rows[: k - got])
        got += len(out[-1])
        start += step
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)


def lexical_candidates(view: Reading, lexical: SparseScores, article_cover: SparseScores, k: int,
                       weight: float, mask: np.ndarray, prior: np.ndarray | None = None) -> np.ndarray:
    """The ``k`` best rows of ``mask`` by paragraph BM25 + ``weight`` * article BM25 (+ ``prior``), best first,
    ties by row: what a stable sort of every row would give, from the postings of the question's terms only (or,
    with a ``prior`` over all rows, by one partial selection over them)."""
    alive = view.alive
    slots = len(alive)
    lex_slots, lex_scores = lexical.slots, lexical.scores
    art_slots, art_scores = article_cover.slots, article_cover.scores
    articles = np.zeros(view.article_slots, dtype=np.float32)
    articles[art_slots] = art_scores
    if prior is not None:  # an order term over every row: score them all (linear, by partial selection)
        full = np.zeros(slots, dtype=np.float32)
        full[lex_slots] = lex_scores
        boost = weight * articles[view.article_of_row]
        boost[~alive] = 0.0
        pool = np.flatnonzero(mask)
        return pool[top_k((full + (boost + prior))[pool], k)]
    keep = mask[lex_slots]
    rows, values = lex_slots[keep], lex_scores[keep]  # ascending rows
    if weight > 0:
        values = values + weight * articles[view.article_of_row[rows]]
        extra = _article_rows(view, art_slots, art_scores, mask, rows, k)
        if len(extra):
            rows = np.concatenate([rows, extra])
            values = np.concatenate([values, weight * articles[view.article_of_row[extra]]])
            ascending = np.argsort(rows, kind="stable")
            rows, values = rows[ascending], values[ascending]
    by_lexical = rows[top_k(np.asarray(values, dtype=np.float32), k)]
    if len(by_lexical) < k:
        by_lexical = np.concatenate([by_lexical, _fill(mask, by_lexical, k - len(by_lexical))])
    return by_lexical


def rank(view: Reading, query: str, query_vector: np.ndarray, settings: RetrievalSettings,
         depth: int | None = None, allowed: np.ndarray | None = None, prior: np.ndarray | None = None) -> list[Hit]:
    """The best ``depth`` paragraphs (default ``settings.rerank_depth``), in order, read through ``view`` (an
    entered ``collection.reading()``).

    ``allowed`` (a boolean mask over rows, i.e. BM25 slots) keeps only those rows, before any candidate is cut, for
    both BM25 and dense candidates. ``prior`` (a float per row) is added to the order only, never to the score the
    "not found" threshold applies to: recency and conversation priors come in through it.
    """
    terms = query_terms(query)
    k = settings.candidates
    alive = view.alive
    slots = len(alive)
    mask = alive if allowed is None else alive & np.asarray(allowed[:slots], dtype=bool)
    lexical = view.paragraph_scores(terms)
    article_cover = view.article_scores(terms)
    weight = settings.article_weight
    view.checkpoint()

    def boost_of(rows: np.ndarray) -> np.ndarray:
        boost = weight * article_cover[view.article_of_row[rows]]
        boost = np.where(alive[rows], boost, np.float32(0)).astype(np.float32)
        return boost + prior[rows] if prior is not None else boost

    by_lexical = lexical_candidates(view, lexical, article_cover, k, weight, mask, prior)
    view.checkpoint()
    by_dense, _ = view.search(query_vector, k, None if allowed is None else mask)
    view.checkpoint()
    rows = np.unique(np.concatenate([by_lexical, by_dense]).astype(np.int64))
    ids = view.ids(rows)
    cosines = view.cosines(query_vector, rows)
    w, sentence_weight = shares(view, settings, terms, lexical, by_lexical, by_dense, cosines, rows)
    paragraph = (1 - w) * cosines + w * lexical[rows]
    keep = np.argsort(-(paragraph + boost_of(rows)), kind="stable")[: max(depth or 0, settings.rerank_depth)]
    boosts = boost_of(rows[keep])

    view.checkpoint()
    weights = view.term_weights(terms)
    texts = view.paragraphs(ids[keep])
    hits = []
    for n, (i, boost) in enumerate(zip(keep, boosts, strict=True)):
        if n and n % CHECKPOINT_EVERY == 0:
            view.checkpoint()
        pid = int(ids[i])
        p = texts.get(pid)
        if p is None:  # removed from the store by a writer since the collection was refreshed
            continue
        spans, vectors = view.sentences(int(rows[i]))
        best, best_score = -1, 0.0
        if len(spans):
            overlap = np.asarray([sum(weights.get(t, 0.0) for t in view.sentence_terms(pid, s, p.text[a:b]))
                                  for s, (a, b) in enumerate(spans.tolist())], dtype=np.float64)
            sims = (vectors @ np.asarray(query_vector, dtype=np.float32)).astype(np.float64)
            scores = (1 - w) * sims + w * overlap
            best = int(np.argmax(scores))
            best_score = float(scores[best])
        sentence_part = best_score if best >= 0 else float(paragraph[i])
        final = (1 - sentence_weight) * float(paragraph[i]) + sentence_weight * sentence_part
        hits.append(Hit(pid, final, final + float(boost), best, int(rows[i])))
    hits.sort(key=lambda h: -h.order)
    return hits
