"""The reader: among the ranked candidates, the paragraph and the sentence that answer the question.

The ranking (retrieval/query/ranking.py) finds the right article and its neighbourhood; inside it, the paragraph that
repeats the question's words often beats the one holding the fact. The reader re-reads the best ``READ_DEPTH``
candidates and scores each with a small linear model over features of the paragraph and of its sentences:

- the ranking's own evidence: the fused score, the order gap to the first candidate, the rank;
- what the question asks for (retrieval/query/answertypes.py): whether a sentence holds a number the question does not
  give for "how many", a date for "when", a name for "who", a place for "where", a reason for "why";
- the question's words that tell this paragraph from its neighbours: each word weighted by how few of the
  article's paragraphs hold it (the title's words, which every paragraph shares, weigh little), and the share of
  that weight a sentence covers; how many of the question's words one sentence gathers;
- position (the lead, the paragraph number), length, and whether the conversation already quoted the paragraph;
- how close a sentence's stored vector lies to the question's *answer vector* (embeddings/answer_tower.py: MiniLM's
  question side fine-tuned to point at the sentence that answers rather than the one that repeats the question),
  beyond the article's common direction.

Sentence features enter the paragraph's score by their maximum over its sentences; the highlight is the sentence
with the best ranking score plus its cosine to the answer vector beyond the article's subject (:func:`highlight`).
The first quote stays in the ranking's first article; below it the ranking's order is a prior
(:func:`reading_order`). The weights (``reader_model.json``, numpy at run time: one set for fresh questions, one
for questions read as follow-ups) are fitted by benchmarks/reader_fit.py on squad-dev and newsqa-dev with folds
split by article, the answer vector's column taken from towers that never saw the row's fold
(benchmarks/tower_fit.py; docs/benchmarks.md).
"Not found" stays the ranking's score threshold, plus checks of the kind of answer asked for (:func:`answers`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from retrieval.query.answertypes import (
    KINDS,
    asks_count,
    holds,
    holds_full_name,
    holds_unit,
    question_kind,
    question_words,
    unit_pattern,
)
from retrieval.query.ranking import CHECKPOINT_EVERY, Hit
from retrieval.reading import Reading
from retrieval.text.tokens import query_terms

READ_DEPTH = 20
MODEL_FILE = Path(__file__).with_name("reader_model.json")

SENTENCE_FEATURES = ("sim", "overlap", "specific", "gather", "residual", "local", "unit", "full_name", "answer",
                     *(f"holds_{k}" for k in KINDS))
PARAGRAPH_FEATURES = ("score", "gap", "log_rank", "p_overlap", "p_specific", "p_holds", "lead", "log_number",
                      "quoted", "top_article", "log_words")
FEATURES = PARAGRAPH_FEATURES + tuple(f"max_{name}" for name in SENTENCE_FEATURES)


@dataclass(frozen=True)
class Candidates:
    """The candidates re-read for one question: hits (ranking order), their feature rows, and per hit its
    sentences' feature rows (for the highlight)."""

    hits: list[Hit]
    features: np.ndarray  # (n, len(FEATURES))
    sentences: list[np.ndarray]  # per hit: (sentences, len(SENTENCE_FEATURES))
    kind: str
    missing: float  # the share of the question's idf that the first candidate's whole article lacks
    unit: bool = False  # the question asks for an amount in a sure unit (money, a duration, an age, a percentage)
    articles: tuple[str, ...] = ()  # each hit's article
    count: bool = False  # the question asks "how many" / "how much" (:func:`asks_count`)


@dataclass(frozen=True)
class ReaderModel:
    """Standardisation and weights of the paragraph model; ``followup``: the weights for a question read as a
    follow-up of the conversation (it must leave the paragraph already quoted rather than find the detail a fresh
    question asks for; docs/benchmarks.md "Round 12"), None to read follow-ups with these."""

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    model: str = ""  # the embedding model whose cosines it was fitted on ("": any)
    followup: ReaderModel | None = None

    def fits(self, model: str) -> bool:
        """Whether it was fitted for the collection's embedding model (another model's cosines would mislead it)."""
        return not self.model or self.model == model

    def for_turn(self, follows_up: bool) -> ReaderModel:
        """The weights to read a question with: the follow-up's when it is read as one and they exist."""
        return self.followup if follows_up and self.followup is not None else self

    def paragraph_scores(self, features: np.ndarray) -> np.ndarray:
        return ((features - self.mean) / self.scale) @ self.weights


@lru_cache(maxsize=4)
def load_model(path: Path = MODEL_FILE) -> ReaderModel | None:
    """The fitted reader (None when the file is absent: the ranking's order stands)."""
    if not Path(path).exists():
        return None
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if tuple(data["features"]) != FEATURES:
        return None  # fitted for other features: ignore rather than misread
    model = data.get("model", "")

    def weights(part: dict, followup: ReaderModel | None = None) -> ReaderModel:
        return ReaderModel(np.asarray(part["mean"]), np.asarray(part["scale"]), np.asarray(part["weights"]), model,
                           followup)

    return weights(data, weights(data["followup"]) if data.get("followup") else None)


def article_counts(view: Reading, key: str, terms: list[str], cache: dict) -> tuple[dict[str, int], int]:
    """How many of article ``key``'s paragraphs hold each question term, and how many it has (once per article)."""
    if key not in cache:
        cache[key] = (view.frequencies_in(key, terms), max(1, len(view.article_rows(key))))
    return cache[key]


def article_weights(view: Reading, key: str, terms: list[str], cache: dict) -> dict[str, float]:
    """Each question term's weight inside article ``key``: its collection idf times how rare it is among the
    article's paragraphs (0 for terms the article lacks)."""
    counts, n = article_counts(view, key, terms, cache)
    return {t: view.idf(t) * math.log(1.0 + n / c) if (c := counts.get(t, 0)) else 0.0 for t in terms}


def local_weights(view: Reading, key: str, terms: list[str], cache: dict) -> dict[str, float]:
    """Each question term's weight inside article ``key`` from the article alone: how few of its paragraphs hold
    it (a word every paragraph shares, like the title's, weighs little; one the article lacks, nothing)."""
    counts, n = article_counts(view, key, terms, cache)
    return {t: math.log(1.0 + n / c) if (c := counts.get(t, 0)) else 0.0 for t in terms}


def residual(vectors: np.ndarray, query: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """Cosines of ``vectors`` with ``query`` once the article's common direction ``centre`` (unit) is taken out of
    both: how well a sentence matches what the question asks beyond the article's subject."""
    q = query - (query @ centre) * centre
    v = vectors - np.outer(vectors @ centre, centre)
    norms = np.linalg.norm(v, axis=1) * max(float(np.linalg.norm(q)), 1e-9)
    return (v @ q) / np.maximum(norms, 1e-9)


def _share(held: set[str], weights: dict[str, float], total: float) -> float:
    """The weight of the question's terms in ``held`` over ``total`` (walks the few question terms, not ``held``)."""
    return sum(w for t, w in weights.items() if t in held) / total if total > 0 else 0.0


def candidate_features(view: Reading, question: str, query_vector: np.ndarray, hits: list[Hit],
                       quoted: frozenset[int] = frozenset(), depth: int = READ_DEPTH,
                       answer_vector: np.ndarray | None = None) -> Candidates:
    """Features of the first ``depth`` hits for ``question`` (its own words and vector; ``answer_vector``: its
    vector from the answer tower, embeddings/answer_tower.py, else its own). ``view``: the collection as entered for
    the question."""
    hits = hits[:depth]
    terms = query_terms(question)
    idf = view.term_weights(terms)
    kind = question_kind(question)
    known = question_words(question)
    unit, sure = unit_pattern(question) if kind == "amount" else (None, False)
    vector = np.asarray(query_vector, dtype=np.float32)
    aim = np.asarray(answer_vector, dtype=np.float32) if answer_vector is not None else vector
    texts = view.paragraphs([h.paragraph_id for h in hits])
    cache: dict[str, tuple[dict[str, int], int]] = {}
    rows, sentence_rows = [], []
    parts = [view.sentences(h.row) if h.row >= 0 else (np.zeros((0, 2), dtype=np.int64),
                                                                np.zeros((0, len(vector)), dtype=np.float32))
             for h in hits]
    articles = [texts[h.paragraph_id].article_id if h.paragraph_id in texts else "" for h in hits]
    centres: dict[str, np.ndarray] = {}
    for key in set(articles):
        stacked = [v for (_, v), a in zip(parts, articles, strict=True) if a == key and len(v)]
        if stacked:
            mean = np.vstack(stacked).mean(axis=0)
            centres[key] = mean / max(float(np.linalg.norm(mean)), 1e-9)
    top_order = hits[0].order if hits else 0.0
    top_article = None
    missing = 0.0
    for rank, hit in enumerate(hits):
        if rank and rank % CHECKPOINT_EVERY == 0:
            view.checkpoint()  # with a pause, a quieter server's question goes between (retrieval/query/ranking.py)
        paragraph = texts.get(hit.paragraph_id)
        text = paragraph.text if paragraph is not None else ""
        key = paragraph.article_id if paragraph is not None else ""
        if rank == 0:
            top_article = key
        weights = article_weights(view, key, terms, cache)
        local = local_weights(view, key, terms, cache)
        total, local_total = sum(weights.values()), sum(local.values())
        if rank == 0:
            missing = sum(v for t, v in idf.items() if not weights.get(t))
        spans, vectors = parts[rank]
        sims = vectors @ vector if len(spans) else np.zeros(0)
        inside = len(spans) and key in centres
        beyond = residual(vectors, vector, centres[key]) if inside else np.zeros(len(spans))
        aimed = residual(vectors, aim, centres[key]) if inside else np.zeros(len(spans))
        words_p: set[str] = set()
        per_sentence = []
        for s, (a, b) in enumerate(spans.tolist()):
            held = view.sentence_terms(hit.paragraph_id, s, text[a:b])
            words_p |= held
            typed = holds(kind, text[a:b], known) if kind in KINDS else False
            per_sentence.append([float(sims[s]), _share(held, idf, 1.0), _share(held, weights, total),
                                 float(len(held & set(terms))), float(beyond[s]), _share(held, local, local_total),
                                 float(holds_unit(unit, text[a:b])),
                                 float(kind in ("person", "name") and holds_full_name(text[a:b], known)),
                                 float(aimed[s]),
                                 *(float(typed and kind == k) for k in KINDS)])
        present = max(1, len(words_p & set(terms)))
        matrix = np.asarray(per_sentence, dtype=np.float64).reshape(-1, len(SENTENCE_FEATURES))
        if len(matrix):
            matrix[:, 3] /= present
        pooled = matrix.max(axis=0) if len(matrix) else np.zeros(len(SENTENCE_FEATURES))
        typed_any = float(pooled[-len(KINDS):].max() > 0) if len(matrix) else 0.0
        number = paragraph.number if paragraph is not None else 1
        rows.append([hit.score, hit.order - top_order, math.log(1 + rank), _share(words_p, idf, 1.0),
                     _share(words_p, weights, total), typed_any,
                     float(number == 1), math.log(number), float(hit.paragraph_id in quoted),
                     float(key == top_article), math.log(1 + len(text.split())), *pooled.tolist()])
        sentence_rows.append(matrix)
    features = np.asarray(rows, dtype=np.float64).reshape(-1, len(FEATURES))
    return Candidates(hits, features, sentence_rows, kind, missing, sure, tuple(articles), asks_count(question))


@dataclass(frozen=True)
class ReadOrder:
    """The reader's order of the candidates (the highlight moved to the reader's sentence) and its verdict."""

    hits: list[Hit]
    answers: bool | None  # None: no model, the ranking's threshold decides


#: The highlight: the ranking's sentence score (0.5 cosine + 0.5 idf overlap), plus the cosine to the question's
#: answer vector beyond the article's subject and a small bonus for holding the kind of answer asked
#: (docs/benchmarks.md "The reader", "The answer tower").
HIGHLIGHT_ANSWER, HIGHLIGHT_TYPED = 0.6, 0.1


def highlight(sentences: np.ndarray) -> int:
    """The sentence of a candidate to highlight (rows: :data:`SENTENCE_FEATURES`)."""
    names = {name: i for i, name in enumerate(SENTENCE_FEATURES)}
    base = 0.5 * sentences[:, names["sim"]] + 0.5 * sentences[:, names["overlap"]]
    typed = sentences[:, names["unit"]] + sentences[:, len(SENTENCE_FEATURES) - len(KINDS):].max(axis=1)
    return int(np.argmax(base + HIGHLIGHT_ANSWER * sentences[:, names["answer"]] + HIGHLIGHT_TYPED * (typed > 0)))


def answers(candidates: Candidates, chosen: int) -> bool:
    """Whether the chosen candidate can answer. Two checks of the kind of answer asked, both the near-miss on an
    article's subject ("How much are tickets for the tour?" on the tour's announcement):

    - a question asking "how many" or "how much" is not answered by a chosen paragraph holding no number it does
      not already give ("How many protesters were arrested?" on a paragraph about the protests that gives no count);
    - a question asking for an amount in a sure unit (a price, a duration, an age, a percentage) is not answered by
      an article none of whose candidates holds one.

    Other kinds (a date, a name, a place, a reason) are not checked: their patterns match too much prose to tell
    (measured on squad-dev and newsqa-dev, docs/benchmarks.md "Reader (round 7)")."""
    if not len(candidates.features):
        return True
    if candidates.count and candidates.kind == "amount" and candidates.features[chosen, FEATURES.index("p_holds")] <= 0:
        return False
    if not candidates.unit or not candidates.articles:
        return True
    column = FEATURES.index("max_unit")
    article = candidates.articles[chosen]
    return any(candidates.features[i, column] > 0 for i, key in enumerate(candidates.articles) if key == article)


#: Below the reader's first pick, candidates follow the reader's score minus ``REST_PRIOR`` × ln(1 + the ranking's
#: rank): the reader's own order cost R@5 on coqa-dev and cnn-news, the ranking's order cost newsqa-dev's answer@3
#: (docs/benchmarks.md "Reader (round 7)").
REST_PRIOR = 0.5


def reading_order(scores: np.ndarray, articles: tuple[str, ...]) -> np.ndarray:
    """The candidates' order given the reader's ``scores`` (ranking order) and each candidate's article: first the
    best-scored candidate of the ranking's first article (which article answers is the ranking's call: measured on
    cnn-news and squad-dev), then the rest by score with the ranking's order as a prior (:data:`REST_PRIOR`)."""
    if not len(scores):
        return np.zeros(0, dtype=np.int64)
    same = np.asarray([key == articles[0] for key in articles], dtype=bool) if articles else np.zeros(0, bool)
    first = int(np.flatnonzero(same)[np.argmax(scores[same])]) if same.any() else 0
    below = scores - REST_PRIOR * np.log1p(np.arange(len(scores)))
    return np.asarray([first, *[i for i in np.argsort(-below, kind="stable").tolist() if i != first]])


def read(view: Reading, question: str, query_vector: np.ndarray, hits: list[Hit],
         quoted: frozenset[int] = frozenset(), model: ReaderModel | None = None,
         answer_vector: np.ndarray | None = None, follows_up: bool = False) -> ReadOrder:
    """Re-order the first :data:`READ_DEPTH` ``hits`` by the reader (the rest follow as ranked) and say whether the
    chosen one answers (:func:`answers`). ``view``: the collection as entered for the question; ``answer_vector``:
    the question's vector from the answer tower (embeddings/answer_tower.py), None for its own; ``follows_up``:
    whether the question is read as a follow-up of the conversation (:meth:`ReaderModel.for_turn`)."""
    model = model if model is not None else load_model()
    if model is None or not hits or not model.fits(view.model):  # fitted for another model: the ranking stands
        return ReadOrder(hits, None)
    candidates = candidate_features(view, question, query_vector, hits, quoted, answer_vector=answer_vector)
    scores = model.for_turn(follows_up).paragraph_scores(candidates.features)
    order = reading_order(scores, candidates.articles)
    read_hits = []
    for i in order.tolist():
        hit, sentences = candidates.hits[i], candidates.sentences[i]
        if len(sentences):
            hit = replace(hit, sentence=highlight(sentences))
        read_hits.append(hit)
    return ReadOrder(read_hits + hits[len(candidates.hits):], answers(candidates, int(order[0])))
