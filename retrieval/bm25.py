"""Incremental BM25 (Lucene variant, as bm25s scores it) with stemming and stop words, and an absolute
"coverage" score for thresholds.

Documents live in *slots* (positions that only grow); a removed document's slot is dead and scores 0. Document
frequencies, the live document count and the average length are kept from live documents only, so adding or
removing one document touches that document's postings and nothing else, and a collection built by adds and
removes scores exactly like one built from scratch from the same live documents.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from functools import lru_cache

import numpy as np

K1, B = 0.6, 0.6  # tuned on squad-dev and cnn-news together (docs/benchmarks.md)
QUESTION_WORDS = ("what", "when", "where", "who", "whom", "whose", "which", "why", "how", "do", "does", "did",
                  "many", "much")
EMPTY_TOKEN = "__empty__"  # a document without tokens still has length 1 (as bm25s indexed it)
_TOKEN = re.compile(r"(?u)\b\w\w+\b")


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from retrieval.stopwords import english as stopwords_en

    return frozenset(stopwords_en()) | frozenset(QUESTION_WORDS)


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


class _Postings:
    """One term's (slot, tf) pairs: numpy arrays plus a pending Python list, merged on read."""

    __slots__ = ("slots", "tfs", "pending")

    def __init__(self, slots: np.ndarray | None = None, tfs: np.ndarray | None = None) -> None:
        self.slots = slots if slots is not None else np.zeros(0, dtype=np.int64)
        self.tfs = tfs if tfs is not None else np.zeros(0, dtype=np.float32)
        self.pending: list[tuple[int, int]] = []

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        if self.pending:
            add = np.asarray(self.pending, dtype=np.int64).reshape(-1, 2)
            self.slots = np.concatenate([self.slots, add[:, 0]])
            self.tfs = np.concatenate([self.tfs, add[:, 1].astype(np.float32)])
            self.pending = []
        return self.slots, self.tfs


class BM25Index:
    """BM25 over slots; scores are divided by the query's total idf, so they compare across queries."""

    def __init__(self, k1: float = K1, b: float = B) -> None:
        self.k1, self.b = k1, b
        self.postings: dict[str, _Postings] = {}
        self.df: Counter[str] = Counter()
        self.lengths = np.zeros(0, dtype=np.float32)  # per slot; dead slots keep theirs (masked by alive)
        self.alive = np.zeros(0, dtype=bool)
        self.slots = 0  # slots handed out
        self.size = 0  # live documents
        self.total_length = 0.0
        self.terms: dict[int, list[str]] = {}  # distinct terms of each live slot (for removal)

    # -- building ------------------------------------------------------------------------------------------
    def _grow(self, capacity: int) -> None:
        if capacity > len(self.lengths):
            new = max(capacity, 2 * len(self.lengths), 64)
            self.lengths = np.concatenate([self.lengths, np.zeros(new - len(self.lengths), dtype=np.float32)])
            self.alive = np.concatenate([self.alive, np.zeros(new - len(self.alive), dtype=bool)])

    def add(self, tokens: list[str]) -> int:
        """Index one document's tokens in a new slot; returns the slot."""
        return self.add_many([tokens])[0]

    def add_many(self, documents: list[list[str]]) -> list[int]:
        """Index documents in new slots (in order); returns their slots."""
        self._grow(self.slots + len(documents))
        slots = []
        for tokens in documents:
            tokens = tokens or [EMPTY_TOKEN]
            slot = self.slots
            self.slots += 1
            counts = Counter(tokens)
            for term, tf in counts.items():
                postings = self.postings.get(term)
                if postings is None:
                    postings = self.postings[term] = _Postings()
                postings.pending.append((slot, tf))
            self.df.update(counts.keys())
            self.terms[slot] = list(counts)
            self.lengths[slot] = len(tokens)
            self.alive[slot] = True
            self.size += 1
            self.total_length += len(tokens)
            slots.append(slot)
        return slots

    def remove(self, slot: int) -> None:
        """Forget the document in ``slot`` (its postings stay, masked, until the index is rebuilt)."""
        if slot >= self.slots or not self.alive[slot]:
            return
        self.alive[slot] = False
        self.size -= 1
        self.total_length -= float(self.lengths[slot])
        for term in self.terms.pop(slot, []):
            self.df[term] -= 1
            if self.df[term] <= 0:
                del self.df[term]

    @property
    def vocab(self):
        """The terms some live document holds (membership tests)."""
        return self.df

    # -- scoring -------------------------------------------------------------------------------------------
    def idf(self, term: str) -> float:
        """Lucene idf from live counts; a term absent from the collection gets the idf of df = 0."""
        df = self.df.get(term, 0)
        return math.log(1.0 + (self.size - df + 0.5) / (df + 0.5))

    def term_weights(self, terms: list[str]) -> dict[str, float]:
        """Each query term's idf as a share of the query's total idf (they sum to 1)."""
        idfs = {t: self.idf(t) for t in terms}
        total = sum(idfs.values())
        return {t: v / total for t, v in idfs.items()} if total > 0 else {}

    def coverage(self, terms: list[str]) -> np.ndarray:
        """BM25 of every slot divided by the query's total idf (unknown terms included): 0 when nothing matches
        and for dead slots."""
        scores = np.zeros(self.slots, dtype=np.float32)
        known = [t for t in terms if self.df.get(t, 0) > 0]
        if not known or self.size == 0:
            return scores
        total = sum(self.idf(t) for t in terms)
        average = self.total_length / self.size
        norm = self.k1 * ((1 - self.b) + self.b * self.lengths[: self.slots] / np.float32(average))
        for term in known:
            slots, tfs = self.postings[term].arrays()
            part = np.float32(self.idf(term)) * tfs / (norm[slots] + tfs)
            scores[slots] += part.astype(np.float32)  # a slot appears once in a term's postings
        scores = scores / np.float32(total)
        scores[~self.alive[: self.slots]] = 0.0
        return scores.astype(np.float32)
