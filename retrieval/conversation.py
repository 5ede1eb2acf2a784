"""Follow-up questions: read a question in the context of its conversation, or on its own when it changes subject.

A conversation is the list of earlier :class:`Turn` s (oldest first): each earlier question and what the bot quoted
for it (article ids and highlighted sentences). For a new question the context is

- the earlier questions and the quoted sentences, as a second query: its vector is blended into the question's
  vector, and its BM25 coverage is added to the order (weighted lower than the question's own words);
- an article prior: paragraphs of the articles quoted in the last answers move up the order, more so when the
  question leans on its context (pronouns, few words of its own).

The question is answered on its own instead when, read alone, it confidently finds an article the conversation did
not quote while having words of its own and no pronoun leaning on earlier turns (a change of subject).
The context changes the order and the query vector; the not-found threshold still applies to the fused score.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from retrieval.bm25 import query_terms
from retrieval.collection import Collection
from retrieval.models import Answer

#: Earlier turns that still count as context (the most recent ones).
HISTORY_TURNS = 8

_WORD = re.compile(r"[a-z']+")
#: Words that point back at something said before.
ANAPHORA = frozenset(
    """he she it they him her them his hers its their theirs this that these those there then such same
    also else other another again too more still further""".split()
)


@dataclass(frozen=True)
class Turn:
    """An earlier question and what the bot quoted for it (best first)."""

    question: str
    article_ids: tuple[str, ...] = ()
    quotes: tuple[str, ...] = ()  # highlighted sentences, verbatim
    pids: tuple[str, ...] = ()  # the quoted paragraphs' ids

    def to_json(self) -> dict:
        return {"question": self.question, "article_ids": list(self.article_ids), "quotes": list(self.quotes),
                "pids": list(self.pids)}


def turn_from_answer(answer: Answer) -> Turn:
    """What a conversation remembers of an answer: its question, and the articles and sentences it quoted (none
    when it found nothing: the nearest misses are no context)."""
    shown = answer.shown_quotes if answer.found else []
    return Turn(
        question=answer.question,
        article_ids=tuple(dict.fromkeys(q.article.article_id for q in shown)),
        quotes=tuple(q.highlight for q in shown),
        pids=tuple(q.pid for q in shown),
    )


def extend(history: Sequence[Turn], answer: Answer) -> list[Turn]:
    """The conversation after ``answer``: continued when it followed up, else started afresh from it (a change
    of subject leaves the old turns behind); a greeting or a call for help (a content-free question) leaves it as
    it was. Console, CLI, Discord and the eval all use this rule."""
    if answer.content_free:
        return list(history)
    turn = turn_from_answer(answer)
    return [*history, turn][-HISTORY_TURNS:] if answer.follows_up is not None else [turn]


@dataclass(frozen=True)
class ContextSettings:
    """How much the conversation weighs (measured on coqa-dev: docs/benchmarks.md)."""

    vector_weight: float = 0.5  # context vector blended into the query vector (question leaning on context)
    vector_weight_own: float = 0.25  # ... when the question has words of its own
    lexical_weight: float = 0.3  # BM25 coverage of the context per paragraph, added to the order
    article_lexical_weight: float = 0.3  # BM25 coverage of the context per whole article, added to the order
    article_prior: float = 0.3  # order boost for paragraphs of the last answer's article (leaning question)
    article_prior_own: float = 0.15  # ... when the question has words of its own
    passage_prior: float = 0.1  # order boost for the paragraph the last answer quoted first (leaning question)
    neighbour_prior: float = 0.03  # ... for the paragraphs right before and after it
    decay: float = 0.7  # each older turn counts this much less
    conversation_weight: float = 0.2  # evidence all the conversation's questions give an article (summed)
    conversation_decay: float = 0.9  # ... each older question counting this much less
    full_fit: float = 0.8  # from this share on, the conversation counts in full (below, in proportion)
    change_fit: float = 0.5  # the conversation's articles match under this share of the question's best: new subject


@dataclass
class ContextPlan:
    """How one question is asked: its query vector, the order prior, and the turn it follows up on (or None)."""

    query_vector: np.ndarray
    prior: np.ndarray | None
    follows: Turn | None


def is_anaphoric(question: str) -> bool:
    """Whether the question points back at earlier turns (a pronoun or 'also', 'else', ...)."""
    return any(w in ANAPHORA for w in _WORD.findall(question.lower()))


def own_weight(collection: Collection, question: str) -> float:
    """How much the question says on its own: the idf of its known content words, as a share of 3 strong words."""
    terms = [t for t in query_terms(question) if t in collection.bm25.vocab]
    if not terms:
        return 0.0
    top = max(collection.bm25.idf(t) for t in terms) or 1.0
    return min(1.0, sum(collection.bm25.idf(t) for t in terms) / (3 * top))


def recent(history: Sequence[Turn]) -> list[Turn]:
    """The turns that count as context, oldest first."""
    return list(history)[-HISTORY_TURNS:]


def conversation_rows(collection: Collection, history: Sequence[Turn]) -> np.ndarray:
    """A boolean mask of the paragraphs of every article the conversation quoted."""
    mask = np.zeros(len(collection.paragraphs), dtype=bool)
    for turn in recent(history):
        for article_id in turn.article_ids:
            mask[collection.rows_by_article.get(article_id, [])] = True
    return mask


def article_prior(collection: Collection, turns: Sequence[Turn], strength: float, decay: float) -> np.ndarray:
    """Per row: ``strength`` for the last answer's first article, decaying with age and quote position."""
    prior = np.zeros(len(collection.paragraphs), dtype=np.float32)
    for age, turn in enumerate(reversed(turns)):
        for position, article_id in enumerate(dict.fromkeys(turn.article_ids)):
            rows = collection.rows_by_article.get(article_id)
            if rows:
                value = strength * decay**age * (1.0 if position == 0 else decay)
                prior[rows] = np.maximum(prior[rows], value)
    return prior


_rows_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def row_of_pid(collection: Collection) -> dict[str, int]:
    """Paragraph id -> row (built once per collection)."""
    version = getattr(collection, "version", None)  # rows change when writers change the collection
    cached = _rows_cache.get(collection)
    if cached is None or cached[0] != version:
        live = collection.bm25.alive
        cached = _rows_cache[collection] = (version, {p.pid: row for row, p in enumerate(collection.paragraphs)
                                                      if live[row]})
    return cached[1]


def passage_prior(collection: Collection, turn: Turn, strength: float, neighbour: float) -> np.ndarray:
    """Per row: ``strength`` for the paragraph ``turn`` quoted first, ``neighbour`` for the ones beside it
    (same article)."""
    prior = np.zeros(len(collection.paragraphs), dtype=np.float32)
    row = collection.row_of_pid(turn.pids[0]) if turn.pids else None
    if row is None:
        return prior
    article = collection.article_of_row[row]
    for other in (row - 1, row + 1):
        if 0 <= other < len(prior) and collection.article_of_row[other] == article:
            prior[other] = neighbour
    prior[row] = strength
    return prior


def context_text(turns: Sequence[Turn], decay: float) -> list[tuple[str, float]]:
    """(text, weight) pairs: each earlier question and its first quote, the most recent weighing most."""
    pairs: list[tuple[str, float]] = []
    for age, turn in enumerate(reversed(turns)):
        weight = decay**age
        pairs.append((turn.question, weight))
        if turn.quotes:
            pairs.append((turn.quotes[0], weight))
    return pairs


def context_vector(embedder, pairs: Sequence[tuple[str, float]]) -> np.ndarray | None:
    """The weighted, normalised mean of the context texts' vectors (cached embeddings)."""
    if not pairs:
        return None
    vectors = embedder.encode([t for t, _ in pairs])
    mean = np.einsum("i,ij->j", np.asarray([w for _, w in pairs], dtype=np.float32), vectors)
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm > 0 else None


def context_coverage(collection: Collection, pairs: Sequence[tuple[str, float]]) -> tuple[np.ndarray, np.ndarray]:
    """BM25 coverage of the context texts per row and per row's whole article, weighted (each at most about 1)."""
    paragraphs = np.zeros(len(collection.paragraphs), dtype=np.float32)
    articles = np.zeros(collection.article_bm25.slots, dtype=np.float32)
    weights = 0.0
    for text, weight in pairs:
        terms = query_terms(text)
        if terms:
            paragraphs += weight * collection.bm25.coverage(terms)
            articles += weight * collection.article_bm25.coverage(terms)
            weights += weight
    if weights:
        paragraphs /= weights
        articles /= weights
    return paragraphs, articles[collection.article_of_row]


def conversation_articles(collection: Collection, embedder, turns: Sequence[Turn], decay: float) -> np.ndarray:
    """Per row: the evidence the conversation's questions gave its article, summed over turns (older ones decay):
    each question's BM25 coverage of the whole article plus its best cosine with one of its paragraphs."""
    evidence = np.zeros(collection.article_bm25.slots, dtype=np.float32)
    vectors = embedder.encode([t.question for t in turns]) if turns else []
    for age, (turn, vector) in enumerate(zip(reversed(turns), vectors[::-1], strict=True)):
        lexical = collection.article_bm25.coverage(query_terms(turn.question))
        ids, cosines = collection.dense.search(vector, 50)
        rows = np.asarray([collection.slot_of[int(i)] for i in ids], dtype=np.int64)
        dense = np.zeros_like(evidence)
        np.maximum.at(dense, collection.article_of_row[rows], np.maximum(cosines, 0))
        evidence += decay**age * (lexical + dense)
    return evidence[collection.article_of_row]


def blend(query_vector: np.ndarray, context: np.ndarray | None, weight: float) -> np.ndarray:
    """``query_vector`` moved towards ``context`` by ``weight``, renormalised."""
    if context is None or weight <= 0:
        return query_vector
    mixed = (1 - weight) * query_vector + weight * context
    norm = float(np.linalg.norm(mixed))
    return (mixed / norm).astype(np.float32) if norm > 0 else query_vector


def content_terms(collection: Collection, question: str) -> list[str]:
    """The question's own known words: its query terms in the collection's vocabulary, pronouns left out."""
    return [t for t in query_terms(question) if t in collection.bm25.vocab and t not in ANAPHORA]


def subject_fit(collection: Collection, question: str, history: Sequence[Turn]) -> float | None:
    """How well the conversation's articles match the question's own words, as a share of the best match any
    article gives them (1: no article matches better). None when the question has under two words of its own or
    the conversation quoted nothing: then it cannot tell a change of subject."""
    terms = content_terms(collection, question)
    quoted = {collection.article_of_row[row] for row in np.flatnonzero(conversation_rows(collection, history))}
    if len(terms) < 2 or not quoted:
        return None
    coverage = collection.article_bm25.coverage(terms)
    best = float(coverage.max())
    if best <= 0:
        return None
    return float(max(coverage[a] for a in quoted)) / best


def changes_subject(collection: Collection, question: str, history: Sequence[Turn], settings: ContextSettings) -> bool:
    """Whether the question's own words point clearly away from the articles the conversation quoted."""
    fit = subject_fit(collection, question, history)
    return fit is not None and fit < settings.change_fit


def plan_context(
    collection: Collection,
    embedder,
    question: str,
    query_vector: np.ndarray,
    history: Sequence[Turn],
    settings: ContextSettings,
) -> ContextPlan:
    """How to ask ``question`` as a follow-up of ``history`` (call :func:`changes_subject` first)."""
    turns = recent(history)
    if not turns:
        return ContextPlan(query_vector, None, None)
    lean = 1.0 if is_anaphoric(question) else 1.0 - own_weight(collection, question)
    fit = subject_fit(collection, question, history)
    gate = 1.0 if fit is None else min(1.0, fit / settings.full_fit)
    pairs = context_text(turns, settings.decay)
    vector_weight = settings.vector_weight_own + (settings.vector_weight - settings.vector_weight_own) * lean
    strength = settings.article_prior_own + (settings.article_prior - settings.article_prior_own) * lean
    vector = blend(query_vector, context_vector(embedder, pairs), vector_weight * gate)
    prior = article_prior(collection, turns, strength, settings.decay)
    prior += lean * passage_prior(collection, turns[-1], settings.passage_prior, settings.neighbour_prior)
    paragraphs, articles = context_coverage(collection, pairs)
    prior += settings.lexical_weight * lean * paragraphs + settings.article_lexical_weight * articles
    if settings.conversation_weight > 0:
        prior += settings.conversation_weight * conversation_articles(collection, embedder, turns,
                                                                      settings.conversation_decay)
    return ContextPlan(vector, gate * prior, turns[-1])
