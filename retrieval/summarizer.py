"""Extractive summaries: key sentences picked verbatim, never rewritten.

One article: each sentence is scored by directed centrality over its embedding (PacSum: a sentence that
many *later* sentences resemble states what the article is about), plus a prior for early sentences and one
for concise sentences; sentences are then picked greedily with MMR so that no two say the same thing.

A topic: candidate sentences from several articles are scored by similarity to the topic's query vector and
picked with MMR (relevance against redundancy), so copies of the same wire story are not quoted twice.

The pure core works on sentences and unit vectors (``select_key_sentences``, ``select_topic_sentences``);
``summarize_article`` and ``summarize_topic`` embed ``SummaryCandidate`` objects and return
``SummarySentence`` objects.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from retrieval.models import ArticleMeta, SummarySentence
from retrieval.text.furniture import key_sentence_text
from retrieval.text.sentences import split_sentences


class Encoder(Protocol):
    """Anything that embeds texts into unit vectors (``Embedder``, ``CachedEmbedder``)."""

    def encode(self, texts: list[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class SummaryParams:
    """Weights of the single-article scorer (chosen on even cnndm-val articles, checked on odd ones; see
    docs/benchmarks.md). Nothing here is fitted to a publisher's highlight length: the only length term is
    relative to the article's own sentences."""

    threshold: float = 0.3  # PacSum: similarities below min + threshold * (max - min) count as 0
    backward_weight: float = 0.0  # weight of similarity to *earlier* sentences (PacSum's lambda1)
    centrality_weight: float = 1.0
    article_weight: float = 0.0  # cosine to the article's mean sentence vector (scaled to [0, 1])
    position_weight: float = 0.2  # bonus -position_weight * log(1 + position)
    length_weight: float = 0.1  # penalty length_weight * words / the article's median sentence length
    quote_weight: float = 0.5  # penalty for a sentence that is mostly a quotation
    dependent_weight: float = 0.0  # penalty for a sentence that leans on an earlier one (He..., But..., ...?)
    min_words: int = 5  # shorter sentences are picked only when nothing else is left
    diversity: float = 0.2  # MMR: share of the score given to dissimilarity with picked sentences
    max_similarity: float = 0.9  # never pick a sentence this similar to a picked one (near duplicate)


DEFAULT_PARAMS = SummaryParams()


def word_count(text: str) -> int:
    """Number of whitespace-separated words."""
    return len(text.split())


def directed_centrality(vectors: np.ndarray, threshold: float = 0.3, backward_weight: float = 0.0) -> np.ndarray:
    """PacSum directed centrality: sum of (thresholded) similarities to later sentences, plus
    ``backward_weight`` times the sum to earlier ones. ``vectors`` are unit rows in article order."""
    count = len(vectors)
    if count < 2:
        return np.zeros(count)
    sims = vectors @ vectors.T
    off = sims[~np.eye(count, dtype=bool)]
    low, high = float(off.min()), float(off.max())
    edges = np.clip(sims - (low + threshold * (high - low)), 0.0, None)
    np.fill_diagonal(edges, 0.0)
    forward = np.triu(edges, 1).sum(axis=1)
    backward = np.tril(edges, -1).sum(axis=1)
    return forward + backward_weight * backward


def _unit_range(values: np.ndarray) -> np.ndarray:
    """Scale to [0, 1] (all zeros when constant)."""
    span = float(values.max() - values.min()) if len(values) else 0.0
    return (values - values.min()) / span if span > 0 else np.zeros_like(values, dtype=float)


_QUOTED = re.compile(r"[\"“”]([^\"“”]*)[\"“”]")


def quoted_share(text: str) -> float:
    """Share of a sentence's characters inside quotation marks (an opening quote left open counts to the end)."""
    if not text:
        return 0.0
    inside = sum(len(m.group(1)) for m in _QUOTED.finditer(text))
    stripped = _QUOTED.sub("", text)
    opened = re.search(r"[\"“]", stripped)
    if opened:
        inside += len(stripped) - opened.start()
    return min(1.0, inside / len(text))


_LEANS_BACK = re.compile(
    r"^\W*(?:he|she|it|they|them|his|her|its|their|this|that|these|those|there|but|and|or|so|yet|also|however|"
    r"still|then|such|both|meanwhile|instead|later|now)\b",
    re.IGNORECASE,
)


def leans_back(text: str) -> bool:
    """Whether a sentence cannot stand alone: it opens with a pronoun or connective that points back to an
    earlier sentence, or it is a question."""
    return bool(_LEANS_BACK.match(text)) or text.rstrip(" \"'”’)").endswith("?")


def sentence_scores(
    sentences: Sequence[str],
    vectors: np.ndarray,
    positions: Sequence[float] | None = None,
    params: SummaryParams = DEFAULT_PARAMS,
) -> np.ndarray:
    """Salience of each sentence of one article: centrality + closeness to the whole article + position prior
    - length relative to the article's typical sentence - quotation share (short fragments last)."""
    positions = np.arange(len(sentences), dtype=float) if positions is None else np.asarray(positions, float)
    words = np.array([word_count(s) for s in sentences], dtype=float)
    centrality = _unit_range(directed_centrality(vectors, params.threshold, params.backward_weight))
    score = params.centrality_weight * centrality - params.position_weight * np.log1p(positions)
    if params.article_weight:
        centroid = vectors.mean(axis=0)
        score = score + params.article_weight * _unit_range(vectors @ centroid)
    if params.length_weight:
        typical = float(np.median(words[words >= params.min_words])) if (words >= params.min_words).any() else 1.0
        score = score - params.length_weight * words / max(typical, 1.0)
    if params.quote_weight:
        score = score - params.quote_weight * np.array([quoted_share(s) for s in sentences])
    if params.dependent_weight:
        score = score - params.dependent_weight * np.array([leans_back(s) for s in sentences], dtype=float)
    return score - 100.0 * (words < params.min_words)


def mmr(
    scores: np.ndarray,
    vectors: np.ndarray,
    n: int,
    diversity: float,
    max_similarity: float = 1.0,
    texts: Sequence[str] | None = None,
) -> list[int]:
    """Greedy maximal marginal relevance: indices in the order picked.

    Each step takes argmax ``(1 - diversity) * score - diversity * max similarity to the picked ones``,
    skipping candidates at least ``max_similarity`` similar to a picked one (and exact text repeats)."""
    chosen: list[int] = []
    seen: set[str] = set()
    available = np.ones(len(scores), dtype=bool)
    closest = np.zeros(len(scores))  # highest similarity to any chosen sentence
    while len(chosen) < n and available.any():
        value = (1.0 - diversity) * scores - diversity * closest
        value[~available] = -np.inf
        best = int(np.argmax(value))
        available[best] = False
        key = " ".join(texts[best].split()).lower() if texts is not None else str(best)
        if (chosen and closest[best] >= max_similarity) or key in seen:
            continue
        chosen.append(best)
        seen.add(key)
        closest = np.maximum(closest, vectors @ vectors[best])
    return chosen


@dataclass(frozen=True)
class Ranking:
    """Key sentences of one article, best first: ``indices`` into the article's sentences (furniture never
    among them), and ``texts[i]``, the part of sentence ``i`` to quote (a leading byline cut off; verbatim)."""

    indices: list[int]
    texts: list[str]


def rank_key_sentences(
    sentences: Sequence[str],
    vectors: np.ndarray,
    positions: Sequence[float] | None = None,
    params: SummaryParams = DEFAULT_PARAMS,
) -> Ranking:
    """Every sentence of one article that may be a key sentence, in MMR order (best first).

    ``vectors`` are the sentences' unit embeddings; ``positions`` their ordinals in the article (default 0, 1,
    2, ...). Furniture (bylines, time stamps, credits) is left out and does not count as a position, repeats
    and near duplicates of a better sentence are left out."""
    texts = [key_sentence_text(s) for s in sentences]
    keep = [i for i, t in enumerate(texts) if t]
    if not keep:
        return Ranking([], texts)
    vectors = np.asarray(vectors, dtype=np.float32)[keep]
    if positions is None:
        ordinals = np.arange(len(keep), dtype=float)
    else:  # positions among the kept sentences, in the caller's order
        order = np.argsort(np.asarray(positions, dtype=float)[keep], kind="stable")
        ordinals = np.empty(len(keep))
        ordinals[order] = np.arange(len(keep))
    kept = [texts[i] for i in keep]
    scores = sentence_scores(kept, vectors, ordinals, params)
    picked = mmr(scores, vectors, len(keep), params.diversity, params.max_similarity, kept)
    return Ranking([keep[i] for i in picked], texts)


def take_until_words(indices: Iterable[int], words: Sequence[int], budget: int) -> list[int]:
    """The first of ``indices`` whose ``words`` add up to at least ``budget``, in article order."""
    taken: list[int] = []
    total = 0
    for i in indices:
        if total >= budget:
            break
        taken.append(i)
        total += words[i]
    return sorted(taken)


def select_key_sentences(
    sentences: Sequence[str],
    vectors: np.ndarray,
    n: int = 3,
    positions: Sequence[float] | None = None,
    params: SummaryParams = DEFAULT_PARAMS,
) -> list[int]:
    """Indices (in article order) of the ``n`` key sentences of one article.

    ``vectors`` are the sentences' unit embeddings; ``positions`` their ordinals in the article
    (default 0, 1, 2, ...). Fewer than ``n`` indices come back only when the article has fewer sentences
    left once furniture, repeats and near duplicates are skipped."""
    if n <= 0 or not len(sentences):
        return []
    return sorted(rank_key_sentences(sentences, vectors, positions, params).indices[:n])


def select_topic_sentences(
    vectors: np.ndarray,
    query_vector: np.ndarray,
    n: int = 5,
    diversity: float = 0.3,
    min_relevance: float = 0.0,
    max_similarity: float = 0.9,
    texts: Sequence[str] | None = None,
) -> list[int]:
    """Indices of the ``n`` candidates (from any articles) that best cover a topic, in the order picked.

    Relevance is the cosine to ``query_vector``; MMR trades it against similarity to sentences already
    picked. Candidates below ``min_relevance`` are never picked, near duplicates (``max_similarity``)
    and repeated texts never twice."""
    if n <= 0 or not len(vectors):
        return []
    vectors = np.asarray(vectors, dtype=np.float32)
    relevance = vectors @ np.asarray(query_vector, dtype=np.float32)
    keep = np.flatnonzero(relevance >= min_relevance)
    picked = mmr(
        relevance[keep],
        vectors[keep],
        n,
        diversity,
        max_similarity,
        [texts[i] for i in keep] if texts is not None else None,
    )
    return [int(keep[i]) for i in picked]


@dataclass(frozen=True)
class SummaryCandidate:
    """One sentence that may go into a summary, with where it came from.

    ``paragraph`` is the 1-based indexed paragraph number; ``position`` the sentence's 0-based ordinal among
    the article's indexed sentences (the position prior uses it)."""

    text: str
    article: ArticleMeta
    paragraph: int
    position: int

    def to_sentence(self) -> SummarySentence:
        return SummarySentence(text=self.text, article=self.article, paragraph=self.paragraph)


def candidates_from_paragraphs(article: ArticleMeta, paragraphs: Iterable[tuple[int, str]]) -> list[SummaryCandidate]:
    """Split an article's indexed paragraphs ``(number, text)``, in article order, into candidates."""
    out: list[SummaryCandidate] = []
    for number, text in paragraphs:
        for sentence in split_sentences(text):
            out.append(SummaryCandidate(sentence, article, number, len(out)))
    return out


def summarize_article(
    candidates: Sequence[SummaryCandidate],
    encoder: Encoder,
    n: int = 3,
    params: SummaryParams = DEFAULT_PARAMS,
) -> list[SummarySentence]:
    """The ``n`` key sentences of one article's candidates, in article order."""
    if not candidates:
        return []
    if n <= 0:
        return []
    texts = [c.text for c in candidates]
    ranking = rank_key_sentences(texts, encoder.encode(texts), [c.position for c in candidates], params)
    return [
        SummarySentence(text=ranking.texts[i], article=candidates[i].article, paragraph=candidates[i].paragraph)
        for i in sorted(ranking.indices[:n])
    ]


def summarize_topic(
    candidates: Sequence[SummaryCandidate],
    encoder: Encoder,
    query_vector: np.ndarray,
    n: int = 5,
    diversity: float = 0.3,
    min_relevance: float = 0.0,
) -> list[SummarySentence]:
    """The ``n`` sentences among ``candidates`` (several articles) that best cover the topic.

    Sentences of one article stay together, in article order; articles come in the order of their best pick.
    Furniture (bylines, time stamps, credits) is never picked."""
    candidates = [
        SummaryCandidate(text, c.article, c.paragraph, c.position)
        for c in candidates
        if (text := key_sentence_text(c.text))
    ]
    if not candidates:
        return []
    texts = [c.text for c in candidates]
    vectors = encoder.encode(texts)
    picked = select_topic_sentences(vectors, query_vector, n, diversity, min_relevance, texts=texts)
    rank: dict[str, int] = {}
    for i in picked:
        rank.setdefault(candidates[i].article.article_id, len(rank))
    picked.sort(key=lambda i: (rank[candidates[i].article.article_id], candidates[i].position))
    return [candidates[i].to_sentence() for i in picked]
