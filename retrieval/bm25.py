"""BM25 over paragraphs (bm25s), with English stop words and Snowball stemming, saved beside the store."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import bm25s
import numpy as np

_TOKEN = re.compile(r"(?u)\b\w\w+\b")


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens without English stop words, stemmed."""
    words = [w for w in _TOKEN.findall(text.lower()) if w not in _stopwords()]
    return _stemmer().stemWords(words)


class BM25Index:
    """Scores every paragraph for a query; ``normalised_scores`` divides by the query's best attainable score."""

    def __init__(self, model: bm25s.BM25, k1: float, doc_freq: np.ndarray) -> None:
        self.model = model
        self.k1 = k1
        self.vocab: dict[str, int] = model.vocab_dict
        self.doc_freq = doc_freq
        self.size = int(model.scores["num_docs"])

    @classmethod
    def build(cls, texts: list[str], k1: float = 1.2, b: float = 0.75) -> BM25Index:
        model = bm25s.BM25(k1=k1, b=b)
        tokens = [tokenize(t) or ["__empty__"] for t in texts]
        model.index(tokens, show_progress=False)
        return cls(model, k1, cls._doc_freq(model))

    @staticmethod
    def _doc_freq(model: bm25s.BM25) -> np.ndarray:
        return np.diff(np.asarray(model.scores["indptr"])).astype(np.float64)

    def save(self, folder: Path) -> None:
        self.model.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path) -> BM25Index:
        model = bm25s.BM25.load(str(folder), show_progress=False, verbosity=0)
        return cls(model, float(model.k1), cls._doc_freq(model))

    def _idf(self, token_ids: list[int]) -> np.ndarray:
        df = self.doc_freq[token_ids]
        return np.log(1.0 + (self.size - df + 0.5) / (df + 0.5))

    def query_tokens(self, query: str) -> list[str]:
        """The query's tokens that occur in the collection."""
        return [t for t in tokenize(query) if t in self.vocab]

    def normalised_scores(self, query: str) -> np.ndarray:
        """BM25 of every paragraph divided by the most any paragraph could score (0..1, absolute)."""
        tokens = self.query_tokens(query)
        if not tokens:
            return np.zeros(self.size, dtype=np.float32)
        scores = np.asarray(self.model.get_scores(tokens), dtype=np.float64)
        best = float(self._idf([self.vocab[t] for t in tokens]).sum() * (self.k1 + 1.0))
        return (scores / best).astype(np.float32) if best > 0 else np.zeros(self.size, dtype=np.float32)
