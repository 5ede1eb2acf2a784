"""Follow-up questions: read a question in the context of its conversation, or on its own when it changes subject.

A conversation is the list of earlier :class:`Turn` s (oldest first): each earlier question and what the bot quoted
for it (article ids and highlighted sentences). For a new question the context is

- the earlier questions and the quoted sentences, as a second query: its vector is blended into the question's
  vector, and its BM25 coverage is added to the order (weighted lower than the question's own words);
- an article prior: paragraphs of the articles quoted in the last answers move up the order, more so when the
  question leans on its context (pronouns, few words of its own).

Whether a question continues its conversation at all is :func:`continuity`: a logistic score of its cosine with the
conversation's text, the share of its words the conversation used, whether the question alone already lands in an
article the conversation quoted, how far its best paragraph inside those articles falls behind its best anywhere,
how much more of its words the article it lands in holds than the conversation's, and how many words of its own it
has. Under ``switch_below`` it is answered on its own (a change of subject), unless it already lands in the
conversation's article; the weights were fitted on coqa-dev's own and swapped conversations together
(benchmarks/continuity_fit.py; docs/benchmarks.md).
The context changes the order and the query vector; the not-found threshold still applies to the fused score.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from retrieval.models import Answer
from retrieval.reading import Reading
from retrieval.text.tokens import query_terms

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
    """The conversation after ``answer``: its turns plus this one (the most recent :data:`HISTORY_TURNS`). An
    answer that changed the subject was answered on its own but stays in the conversation, newest, so its article
    weighs most next time while a wrongly judged change loses nothing; a greeting or a call for help (a
    content-free question) leaves the conversation as it was. Console, CLI, Discord and the eval all use this
    rule."""
    if answer.content_free:
        return list(history)
    return [*history, turn_from_answer(answer)][-HISTORY_TURNS:]


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
    # Whether a question continues the conversation: a logistic score of how close it is to the conversation's
    # text (cosine with the context vector, share of its own words the conversation used), whether the question
    # alone already lands in an article the conversation quoted, how far the best paragraph inside the
    # conversation's articles falls behind the best one anywhere (question alone), how much more of the question's
    # words the article it lands in holds than the conversation's article, and how many words of its own it has.
    # Fitted on coqa-dev's own and swapped conversations together (benchmarks/continuity_fit.py).
    continue_context: float = 5.78
    continue_overlap: float = 1.71
    continue_inside: float = -3.01  # lower: in context anyway (Answerer.ask), less strongly
    continue_gap: float = -5.37
    continue_words_gap: float = -0.75
    continue_terms: float = -0.92
    continue_bias: float = 2.10
    switch_below: float = 0.62  # continuity under this: answered on its own (a change of subject)
    full_above: float = 0.5  # continuity from this on counts the context in full (below, in proportion)


@dataclass(frozen=True)
class ConversationContext:
    """What a follow-up is read against, computed once per question (:func:`conversation_context`): the recent
    turns, their (text, weight) pairs (:func:`context_text`), the context vector of those texts and the mask of
    the rows of every article the conversation quoted (:func:`conversation_rows`)."""

    turns: list[Turn]
    pairs: list[tuple[str, float]]
    vector: np.ndarray | None
    rows: np.ndarray


@dataclass
class ContextPlan:
    """How one question is asked: its query vector, the order prior, and the turn it follows up on (or None)."""

    query_vector: np.ndarray
    prior: np.ndarray | None
    follows: Turn | None


def is_anaphoric(question: str) -> bool:
    """Whether the question points back at earlier turns (a pronoun or 'also', 'else', ...)."""
    return any(w in ANAPHORA for w in _WORD.findall(question.lower()))


def own_weight(view: Reading, question: str) -> float:
    """How much the question says on its own: the idf of its known content words, as a share of 3 strong words."""
    terms = [t for t in query_terms(question) if view.knows(t)]
    if not terms:
        return 0.0
    top = max(view.idf(t) for t in terms) or 1.0
    return min(1.0, sum(view.idf(t) for t in terms) / (3 * top))


def recent(history: Sequence[Turn]) -> list[Turn]:
    """The turns that count as context, oldest first."""
    return list(history)[-HISTORY_TURNS:]


def conversation_rows(view: Reading, history: Sequence[Turn]) -> np.ndarray:
    """A boolean mask of the paragraphs of every article the conversation quoted."""
    mask = np.zeros(view.rows, dtype=bool)
    for turn in recent(history):
        for article_id in turn.article_ids:
            mask[view.article_rows(article_id)] = True
    return mask


def article_prior(view: Reading, turns: Sequence[Turn], strength: float, decay: float) -> np.ndarray:
    """Per row: ``strength`` for the last answer's first article, decaying with age and quote position."""
    prior = np.zeros(view.rows, dtype=np.float32)
    for age, turn in enumerate(reversed(turns)):
        for position, article_id in enumerate(dict.fromkeys(turn.article_ids)):
            rows = view.article_rows(article_id)
            if len(rows):
                value = strength * decay**age * (1.0 if position == 0 else decay)
                prior[rows] = np.maximum(prior[rows], value)
    return prior


def passage_prior(view: Reading, turn: Turn, strength: float, neighbour: float) -> np.ndarray:
    """Per row: ``strength`` for the paragraph ``turn`` quoted first, ``neighbour`` for the ones beside it
    (same article)."""
    prior = np.zeros(view.rows, dtype=np.float32)
    row = view.row_of_pid(turn.pids[0], turn.article_ids[0] if turn.article_ids else None) if turn.pids else None
    if row is None:
        return prior
    article = view.article_of_row[row]
    for other in (row - 1, row + 1):
        if 0 <= other < len(prior) and view.article_of_row[other] == article:
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


def context_coverage(view: Reading, pairs: Sequence[tuple[str, float]]) -> tuple[np.ndarray, np.ndarray]:
    """BM25 coverage of the context texts per row and per row's whole article, weighted (each at most about 1)."""
    paragraphs = np.zeros(view.rows, dtype=np.float32)
    articles = np.zeros(view.article_slots, dtype=np.float32)
    weights = 0.0
    for text, weight in pairs:
        terms = query_terms(text)
        if terms:
            paragraphs += weight * view.paragraph_coverage(terms)
            articles += weight * view.article_coverage(terms)
            weights += weight
    if weights:
        paragraphs /= weights
        articles /= weights
    return paragraphs, articles[view.article_of_row]


def conversation_context(view: Reading, embedder, history: Sequence[Turn],
                         decay: float = ContextSettings.decay) -> ConversationContext:
    """The :class:`ConversationContext` of ``history`` (its most recent turns)."""
    turns = recent(history)
    pairs = context_text(turns, decay)
    return ConversationContext(turns, pairs, context_vector(embedder, pairs), conversation_rows(view, turns))


def conversation_articles(view: Reading, embedder, turns: Sequence[Turn], decay: float) -> np.ndarray:
    """Per row: the evidence the conversation's questions gave its article, summed over turns (older ones decay):
    each question's BM25 coverage of the whole article plus its best cosine with one of its paragraphs."""
    evidence = np.zeros(view.article_slots, dtype=np.float32)
    vectors = embedder.encode([t.question for t in turns]) if turns else []
    for age, (turn, vector) in enumerate(zip(reversed(turns), vectors[::-1], strict=True)):
        lexical = view.article_coverage(query_terms(turn.question))
        rows, cosines = view.search(vector, 50)
        dense = np.zeros_like(evidence)
        np.maximum.at(dense, view.article_of_row[rows], np.maximum(cosines, 0))
        evidence += decay**age * (lexical + dense)
    return evidence[view.article_of_row]


def blend(query_vector: np.ndarray, context: np.ndarray | None, weight: float) -> np.ndarray:
    """``query_vector`` moved towards ``context`` by ``weight``, renormalised."""
    if context is None or weight <= 0:
        return query_vector
    mixed = (1 - weight) * query_vector + weight * context
    norm = float(np.linalg.norm(mixed))
    return (mixed / norm).astype(np.float32) if norm > 0 else query_vector


def content_terms(view: Reading, question: str) -> list[str]:
    """The question's own known words: its query terms in the collection's vocabulary, pronouns left out."""
    return [t for t in query_terms(question) if view.knows(t) and t not in ANAPHORA]


def idf_share(view: Reading, question: str, words: set[str]) -> float:
    """The share of the question's own words (by idf) that are among ``words``; 0 when it has none."""
    terms = content_terms(view, question)
    total = sum(view.idf(t) for t in terms)
    if total <= 0:
        return 0.0
    return sum(view.idf(t) for t in terms if t in words) / total


def word_overlap(view: Reading, question: str, texts: Sequence[str]) -> float:
    """The share of the question's own words (by idf) that also occur in ``texts``; 0 when it has none."""
    return idf_share(view, question, {t for text in texts for t in query_terms(text)})


def last_article(turns: Sequence[Turn]) -> str | None:
    """The article the conversation quoted first most recently (None when it quoted nothing)."""
    return next((turn.article_ids[0] for turn in reversed(turns) if turn.article_ids), None)


def article_words(view: Reading, article_id: str | None) -> set[str]:
    """The query terms of an article's live paragraphs (read from the store)."""
    rows = view.article_rows(article_id)
    if not len(rows):
        return set()
    texts = view.paragraphs(view.ids(rows))
    return {t for p in texts.values() for t in query_terms(p.text)}


def words_gap(view: Reading, question: str, landed: str | None, conversation: str | None) -> float:
    """The share of the question's own words (by idf) in the article it lands in alone, less the share in the
    conversation's article."""
    if landed == conversation:
        return 0.0
    return (idf_share(view, question, article_words(view, landed))
            - idf_share(view, question, article_words(view, conversation)))


#: The features :func:`continuity` weighs, each with its weight's name in :class:`ContextSettings`.
CONTINUITY_WEIGHTS = {"context": "continue_context", "overlap": "continue_overlap", "inside": "continue_inside",
                      "gap": "continue_gap", "words_gap": "continue_words_gap", "terms": "continue_terms"}


def continuity_features(view: Reading, question: str, query_vector: np.ndarray,
                        context: ConversationContext, alone: tuple[int, float], inside: float) -> dict[str, float]:
    """What :func:`continuity` weighs: the question's cosine with the context vector (``context``), the share of
    its words the conversation used (``overlap``), whether its own best paragraph lies in an article the
    conversation quoted (``inside``), how far the best paragraph inside those articles scores behind its own best
    (``gap``), :func:`words_gap` (``words_gap``) and its number of own words (``terms``). ``alone`` is the row and
    score of the question's own best paragraph ((-1, 0) for none), ``inside`` the score of its best paragraph
    within the conversation's rows (question alone, 0 for none)."""
    row, score = alone
    landed_id = view.article_key(view.article_of_row[row]) if row >= 0 else None
    return {
        "context": float(query_vector @ context.vector) if context.vector is not None else 0.0,
        "overlap": word_overlap(view, question, [text for text, _ in context.pairs]),
        "inside": float(row >= 0 and bool(context.rows[row])),
        "gap": float(score - inside),
        "words_gap": words_gap(view, question, landed_id, last_article(context.turns)),
        "terms": float(len(content_terms(view, question))),
    }


def continuity(view: Reading, question: str, query_vector: np.ndarray, context: ConversationContext,
               alone: tuple[int, float], inside: float, settings: ContextSettings) -> float:
    """How surely ``question`` continues its conversation (0 to 1): a logistic score of
    :func:`continuity_features` (same arguments)."""
    if not context.turns:
        return 0.0
    features = continuity_features(view, question, query_vector, context, alone, inside)
    z = settings.continue_bias + sum(getattr(settings, CONTINUITY_WEIGHTS[name]) * value
                                     for name, value in features.items())
    return float(1.0 / (1.0 + np.exp(-z)))


def plan_context(
    view: Reading,
    embedder,
    question: str,
    query_vector: np.ndarray,
    context: ConversationContext,
    settings: ContextSettings,
    sure: float = 1.0,
) -> ContextPlan:
    """How to ask ``question`` as a follow-up in ``context`` (built with ``settings.decay``); ``sure`` is its
    :func:`continuity` (under ``full_above`` the context weighs in proportion)."""
    turns, pairs = context.turns, context.pairs
    if not turns:
        return ContextPlan(query_vector, None, None)
    lean = 1.0 if is_anaphoric(question) else 1.0 - own_weight(view, question)
    gate = min(1.0, sure / settings.full_above) if settings.full_above > 0 else 1.0
    vector_weight = settings.vector_weight_own + (settings.vector_weight - settings.vector_weight_own) * lean
    strength = settings.article_prior_own + (settings.article_prior - settings.article_prior_own) * lean
    vector = blend(query_vector, context.vector, vector_weight * gate)
    prior = article_prior(view, turns, strength, settings.decay)
    prior += lean * passage_prior(view, turns[-1], settings.passage_prior, settings.neighbour_prior)
    paragraphs, articles = context_coverage(view, pairs)
    prior += settings.lexical_weight * lean * paragraphs + settings.article_lexical_weight * articles
    if settings.conversation_weight > 0:
        prior += settings.conversation_weight * conversation_articles(view, embedder, turns,
                                                                      settings.conversation_decay)
    return ContextPlan(vector, gate * prior, turns[-1])
