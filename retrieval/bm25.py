"""BM25 (bm25s) with stemming and stop words, and an absolute "coverage" score for thresholds."""

from __future__ import annotations

import math
import re
from functools import lru_cache
from pathlib import Path

import bm25s
import numpy as np

K1, B = 0.6, 0.6  # tuned on squad-dev and cnn-news together (docs/benchmarks.md)
QUESTION_WORDS = ("what", "when", "where", "who", "whom", "whose", "which", "why", "how", "do", "does", "did",
                  "many", "much")
_TOKEN = re.compile(r"(?u)\b\w\w+\b")


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN) | frozenset(QUESTION_WORDS)


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens without stop words or question words, Snowball-stemmed."""
    words = [w for w in _TOKEN.findall(text.lower()) if w not in _stopwords()]
    return _stemmer().stemWords(words)


def query_terms(text: str) -> list[str]:
    """The distinct tokens of a query, in order."""
    return list(dict.fromkeys(tokenize(text)))


class BM25Index:
    """BM25 over a list of texts; scores are divided by the query's total idf, so they compare across queries."""

    def __init__(self, model: bm25s.BM25) -> None:
        self.model = model
        self.vocab: dict[str, int] = model.vocab_dict
        self.size = int(model.scores["num_docs"])
        df = np.diff(np.asarray(model.scores["indptr"])).astype(np.float64)  # csc columns are tokens
        self.idf_known = np.log(1.0 + (self.size - df + 0.5) / (df + 0.5))  # bm25s' Lucene idf
        self.idf_unknown = math.log(1.0 + (self.size + 0.5) / 0.5)

    @classmethod
    def build(cls, texts: list[str], k1: float = K1, b: float = B) -> BM25Index:
        model = bm25s.BM25(k1=k1, b=b)
        model.index([tokenize(t) or ["__empty__"] for t in texts], show_progress=False)
        return cls(model)

    def save(self, folder: Path) -> None:
        self.model.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path) -> BM25Index:
        return cls(bm25s.BM25.load(str(folder), show_progress=False, verbosity=0))

    def idf(self, term: str) -> float:
        """Lucene idf; a term absent from the collection gets the idf of df = 0 (the most surprising)."""
        index = self.vocab.get(term)
        return float(self.idf_known[index]) if index is not None else self.idf_unknown

    def term_weights(self, terms: list[str]) -> dict[str, float]:
        """Each query term's idf as a share of the query's total idf (they sum to 1)."""
        idfs = {t: self.idf(t) for t in terms}
        total = sum(idfs.values())
        return {t: v / total for t, v in idfs.items()} if total > 0 else {}

    def coverage(self, terms: list[str]) -> np.ndarray:
        """BM25 of every text divided by the query's total idf (unknown terms included): 0 when nothing matches."""
        known = [t for t in terms if t in self.vocab]
        if not known:
            return np.zeros(self.size, dtype=np.float32)
        total = sum(self.idf(t) for t in terms)
        scores = np.asarray(self.model.get_scores([self.vocab[t] for t in known]), dtype=np.float64)
        return (scores / total).astype(np.float32)
