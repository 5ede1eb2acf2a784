"""BM25 over token lists, kept incrementally, with the formula and tokenisation bm25s uses (Lucene idf), so scores
equal what bm25s gives for the same live documents.

Documents live in *slots* (positions that only grow); a removed document's slot is dead and scores 0. Document
frequencies, the live document count and the average length are kept from live documents only, so adding or
removing one document touches that document's postings and nothing else, and a collection built by adds and
removes scores exactly like one built from scratch from the same live documents.

Storage is numpy arrays, no per-document Python objects: a forward index (slot -> term ids, tfs; used to remove a
document) and an inverted index in CSR form (term id -> slots, tfs) for the slots merged so far, plus a small delta
(the slots added since, scanned from the forward arrays) merged into the CSR once it grows. Scoring a query touches
only the postings of its terms (:meth:`BM25Index.scores`); both indexes can be memory-mapped from a snapshot.
"""

from __future__ import annotations

import math
import threading
from collections import Counter

import numpy as np

K1, B = 0.6, 0.6  # tuned on squad-dev and cnn-news together (docs/benchmarks.md)
EMPTY_TOKEN = "__empty__"  # a document without tokens still has length 1 (as bm25s indexed it)
TF_MAX = np.iinfo(np.uint16).max  # term frequencies are stored as uint16 (clipped)
MERGE_MIN = 200_000  # delta postings merged into the CSR once they pass this and an eighth of the merged ones


class Grow:
    """An append-only numpy array (amortised doubling); ``data[:n]`` is its content. ``base`` may be a read-only
    memory map: it is copied only when something is appended."""

    def __init__(self, dtype, width: int = 0, base: np.ndarray | None = None) -> None:
        self.dtype, self.width = np.dtype(dtype), width
        shape = (0, width) if width else (0,)
        self.data = base if base is not None else np.zeros(shape, dtype=self.dtype)
        self.n = len(self.data)

    def __len__(self) -> int:
        return self.n

    def view(self) -> np.ndarray:
        return self.data[: self.n]

    def reserve(self, extra: int) -> None:
        need = self.n + extra
        if need > len(self.data) or not self.data.flags.writeable:
            size = max(need, 2 * len(self.data), 64) if need > len(self.data) else len(self.data)
            shape = (size, self.width) if self.width else (size,)
            grown = np.zeros(shape, dtype=self.dtype)
            grown[: self.n] = self.data[: self.n]
            self.data = grown

    def extend(self, values) -> None:
        values = np.asarray(values, dtype=self.dtype)
        self.reserve(len(values))
        self.data[self.n : self.n + len(values)] = values
        self.n += len(values)

    def set(self, index: int, value) -> None:
        """``data[index] = value``, growing (zero-filled) as needed."""
        if index >= self.n:
            self.reserve(index + 1 - self.n)
            self.n = index + 1
        elif not self.data.flags.writeable:
            self.reserve(0)
        self.data[index] = value


class Vocab:
    """Term <-> term id (ids only grow); may be shared by several indexes."""

    def __init__(self, words: list[str] | None = None) -> None:
        self.words: list[str] = list(words or [])
        self.ids: dict[str, int] = {w: i for i, w in enumerate(self.words)}

    def __len__(self) -> int:
        return len(self.words)

    def id(self, term: str) -> int:
        i = self.ids.get(term)
        if i is None:
            i = self.ids[term] = len(self.words)
            self.words.append(term)
        return i


class _LiveTerms:
    """``term in index.vocab``: whether some live document holds the term."""

    def __init__(self, index: BM25Index) -> None:
        self.index = index

    def __contains__(self, term: object) -> bool:
        return isinstance(term, str) and self.index.document_frequency(term) > 0


class BM25Index:
    """BM25 over slots; scores are divided by the query's total idf, so they compare across queries."""

    def __init__(self, k1: float = K1, b: float = B, vocab: Vocab | None = None) -> None:
        self.k1, self.b = k1, b
        self.words = vocab if vocab is not None else Vocab()
        self.df = Grow(np.int32)  # per term id, live documents holding it
        self.lengths = Grow(np.float32)  # per slot; dead slots keep theirs (masked by alive)
        self.alive_ = Grow(np.bool_)
        self.fwd_start = Grow(np.int64)  # per slot + 1: where its terms start in fwd_terms/fwd_tfs
        self.fwd_start.extend([0])
        self.fwd_terms = Grow(np.int32)
        self.fwd_tfs = Grow(np.uint16)
        # inverted index of slots < merged, CSR over term ids
        self.inv_start = np.zeros(1, dtype=np.int64)
        self.inv_slots = np.zeros(0, dtype=np.int32)
        self.inv_tfs = np.zeros(0, dtype=np.uint16)
        self.merged = 0
        self.size = 0  # live documents
        self.total_length = 0.0
        self._scratch = np.zeros(0, dtype=np.float32)
        self._scratch_lock = threading.Lock()

    # -- state -----------------------------------------------------------------------------------------------
    @property
    def slots(self) -> int:
        """Slots handed out."""
        return len(self.lengths)

    @property
    def alive(self) -> np.ndarray:
        return self.alive_.view()

    @property
    def vocab(self) -> _LiveTerms:
        """The terms some live document holds (membership tests)."""
        return _LiveTerms(self)

    def document_frequency(self, term: str) -> int:
        i = self.words.ids.get(term)
        return int(self.df.data[i]) if i is not None and i < len(self.df) else 0

    def arrays(self) -> dict[str, np.ndarray]:
        """Everything needed to reopen the index (see :meth:`from_arrays`), the delta merged first."""
        self._merge()
        return {"df": self.df.view(), "lengths": self.lengths.view(), "alive": self.alive,
                "fwd_start": self.fwd_start.view(), "fwd_terms": self.fwd_terms.view(),
                "fwd_tfs": self.fwd_tfs.view(), "inv_start": self.inv_start, "inv_slots": self.inv_slots,
                "inv_tfs": self.inv_tfs}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], vocab: Vocab, k1: float = K1, b: float = B) -> BM25Index:
        """An index over the given arrays (memory maps are fine: they are copied only when written)."""
        index = cls(k1, b, vocab)
        index.df = Grow(np.int32, base=np.array(arrays["df"], dtype=np.int32))  # small and written often
        index.lengths = Grow(np.float32, base=arrays["lengths"])
        index.alive_ = Grow(np.bool_, base=np.array(arrays["alive"], dtype=np.bool_))
        index.fwd_start = Grow(np.int64, base=arrays["fwd_start"])
        index.fwd_terms = Grow(np.int32, base=arrays["fwd_terms"])
        index.fwd_tfs = Grow(np.uint16, base=arrays["fwd_tfs"])
        index.inv_start, index.inv_slots, index.inv_tfs = arrays["inv_start"], arrays["inv_slots"], arrays["inv_tfs"]
        index.merged = len(index.lengths)
        alive = index.alive
        index.size = int(alive.sum())
        index.total_length = float(np.asarray(index.lengths.view(), dtype=np.float64)[alive].sum())
        return index

    # -- building ------------------------------------------------------------------------------------------
    def add(self, tokens: list[str]) -> int:
        """Index one document's tokens in a new slot; returns the slot."""
        return self.add_many([tokens])[0]

    def add_many(self, documents: list[list[str]]) -> list[int]:
        """Index documents in new slots (in order); returns their slots."""
        first = self.slots
        terms: list[int] = []
        tfs: list[int] = []
        starts: list[int] = []
        lengths: list[int] = []
        word_id = self.words.id
        end = len(self.fwd_terms)
        for tokens in documents:
            tokens = tokens or [EMPTY_TOKEN]
            counts = Counter(tokens)
            terms.extend(word_id(t) for t in counts)
            tfs.extend(counts.values())
            end += len(counts)
            starts.append(end)
            lengths.append(len(tokens))
        terms_a = np.asarray(terms, dtype=np.int32)
        self.fwd_terms.extend(terms_a)
        self.fwd_tfs.extend(np.minimum(np.asarray(tfs, dtype=np.int64), TF_MAX))
        self.fwd_start.extend(starts)
        self.lengths.extend(lengths)
        self.alive_.extend(np.ones(len(documents), dtype=bool))
        if len(self.df) < len(self.words):
            self.df.extend(np.zeros(len(self.words) - len(self.df), dtype=np.int32))
        np.add.at(self.df.data, terms_a, 1)
        self.size += len(documents)
        self.total_length += float(sum(lengths))
        delta = len(self.fwd_terms) - int(self.fwd_start.data[self.merged])
        if delta > max(MERGE_MIN, len(self.inv_slots) // 8):
            self._merge()
        return list(range(first, self.slots))

    def remove(self, slot: int) -> None:
        """Forget the document in ``slot`` (its postings stay, masked, until the index is rebuilt)."""
        self.remove_many([slot])

    def remove_many(self, slots) -> None:
        """Forget the documents in ``slots`` (dead or unknown slots are ignored)."""
        slots = np.asarray([s for s in slots if 0 <= s < self.slots], dtype=np.int64)
        if not len(slots):
            return
        slots = np.unique(slots[self.alive[slots]])
        if not len(slots):
            return
        self.alive_.reserve(0)
        self.alive_.data[slots] = False
        self.size -= len(slots)
        self.total_length -= float(np.asarray(self.lengths.view()[slots], dtype=np.float64).sum())
        starts, ends = self.fwd_start.data[slots], self.fwd_start.data[slots + 1]
        terms = self.fwd_terms.data[ranges(starts, ends)]
        np.subtract.at(self.df.data, terms, 1)

    def _merge(self) -> None:
        """Fold the delta (slots from ``merged`` on) into the CSR: O(merged postings + delta log delta)."""
        if self.merged == self.slots:
            return
        lo = int(self.fwd_start.data[self.merged])
        d_terms = self.fwd_terms.view()[lo:]
        d_tfs = self.fwd_tfs.view()[lo:]
        counts_per_slot = np.diff(self.fwd_start.view()[self.merged:])
        d_slots = np.repeat(np.arange(self.merged, self.slots, dtype=np.int32), counts_per_slot)
        order = np.argsort(d_terms, kind="stable")
        d_terms, d_slots, d_tfs = d_terms[order], d_slots[order], d_tfs[order]
        terms = len(self.words)
        old_counts = np.zeros(terms, dtype=np.int64)
        old_counts[: len(self.inv_start) - 1] = np.diff(self.inv_start)
        new_counts = np.bincount(d_terms, minlength=terms).astype(np.int64)
        start = np.zeros(terms + 1, dtype=np.int64)
        np.cumsum(old_counts + new_counts, out=start[1:])
        total = int(start[-1])
        slots = np.empty(total, dtype=np.int32)
        tfs = np.empty(total, dtype=np.uint16)
        # old postings of term t go first in t's new range, then the delta's (whose slots are all larger)
        shift = np.zeros(terms, dtype=np.int64)
        np.cumsum(new_counts[:-1], out=shift[1:])
        old_pos = np.arange(len(self.inv_slots), dtype=np.int64)
        old_pos += np.repeat(shift[: len(old_counts)], old_counts)
        slots[old_pos] = self.inv_slots
        tfs[old_pos] = self.inv_tfs
        del old_pos
        new_pos = np.repeat(start[:-1] + old_counts, new_counts) + (
            np.arange(len(d_terms), dtype=np.int64) - np.repeat(np.cumsum(new_counts) - new_counts, new_counts))
        slots[new_pos] = d_slots
        tfs[new_pos] = d_tfs
        self.inv_start, self.inv_slots, self.inv_tfs = start, slots, tfs
        self.merged = self.slots

    def _postings(self, term_id: int) -> tuple[np.ndarray, np.ndarray]:
        """(slots, tfs) of one term: its CSR range, then the delta's matches."""
        if term_id + 1 < len(self.inv_start):
            a, b = int(self.inv_start[term_id]), int(self.inv_start[term_id + 1])
            slots, tfs = self.inv_slots[a:b], self.inv_tfs[a:b]
        else:
            slots, tfs = np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.uint16)
        if self.merged < self.slots:
            lo = int(self.fwd_start.data[self.merged])
            where = np.flatnonzero(self.fwd_terms.view()[lo:] == term_id)
            if len(where):
                positions = where + lo
                owners = np.searchsorted(self.fwd_start.view(), positions, side="right") - 1
                slots = np.concatenate([slots, owners.astype(np.int32)])
                tfs = np.concatenate([tfs, self.fwd_tfs.data[positions]])
        return slots, tfs

    # -- scoring -------------------------------------------------------------------------------------------
    def idf(self, term: str) -> float:
        """Lucene idf from live counts; a term absent from the collection gets the idf of df = 0."""
        df = self.document_frequency(term)
        return math.log(1.0 + (self.size - df + 0.5) / (df + 0.5))

    def frequencies_in(self, first: int, stop: int, terms: list[str]) -> dict[str, int]:
        """How many live slots in ``[first, stop)`` hold each of ``terms`` (from the forward index: the work is
        the range's postings, e.g. one article's paragraphs)."""
        ids = {t: self.words.ids.get(t) for t in terms}
        lo, hi = int(self.fwd_start.data[first]), int(self.fwd_start.data[stop])
        held = self.fwd_terms.data[lo:hi]
        if not self.alive[first:stop].all():
            owners = np.repeat(np.arange(first, stop), np.diff(self.fwd_start.data[first:stop + 1]))
            held = held[self.alive[owners]]
        known = [i for i in ids.values() if i is not None]
        counts = {i: int(np.count_nonzero(held == i)) for i in known}
        return {t: int(counts.get(i, 0)) if i is not None else 0 for t, i in ids.items()}

    def term_weights(self, terms: list[str]) -> dict[str, float]:
        """Each query term's idf as a share of the query's total idf (they sum to 1)."""
        idfs = {t: self.idf(t) for t in terms}
        total = sum(idfs.values())
        return {t: v / total for t, v in idfs.items()} if total > 0 else {}

    def scores(self, terms: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(live slots with a positive score, ascending; their BM25 divided by the query's total idf, unknown
        terms included). Work is proportional to the postings of ``terms``, plus one vectorised scan of the
        accumulator (a float per slot) to collect the matches."""
        none = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        known = [t for t in terms if self.document_frequency(t) > 0]
        if not known or self.size == 0:
            return none
        total = sum(self.idf(t) for t in terms)
        average = np.float32(self.total_length / self.size)
        lengths = self.lengths.data
        with self._scratch_lock:  # one accumulator per index, zero between calls
            if len(self._scratch) < self.slots:
                self._scratch = np.zeros(max(self.slots, 2 * len(self._scratch)), dtype=np.float32)
            acc = self._scratch
            for term in known:
                slots, tfs = self._postings(self.words.ids[term])
                keep = self.alive[slots]
                slots, tf = slots[keep], tfs[keep].astype(np.float32)
                norm = self.k1 * ((1 - self.b) + self.b * lengths[slots] / average)
                acc[slots] += (np.float32(self.idf(term)) * tf / (norm + tf)).astype(np.float32)  # once per term
            every = np.flatnonzero(acc[: self.slots])  # every part is > 0 (idf > 0, tf > 0)
            scores = acc[every]
            acc[every] = 0.0
        return every.astype(np.int64), (scores / np.float32(total)).astype(np.float32)

    def coverage(self, terms: list[str]) -> np.ndarray:
        """BM25 of every slot divided by the query's total idf (unknown terms included): 0 when nothing matches
        and for dead slots. O(slots): ranking uses :meth:`scores`."""
        out = np.zeros(self.slots, dtype=np.float32)
        slots, scores = self.scores(terms)
        out[slots] = scores
        return out

    def subset(self, slots: np.ndarray) -> dict[str, np.ndarray]:
        """The arrays of an index holding only ``slots`` (renumbered from 0), inverted index rebuilt."""
        fwd = self.fwd_start.data
        starts, ends = fwd[slots], fwd[slots + 1]
        positions = ranges(starts, ends)
        fresh = BM25Index(self.k1, self.b, self.words)
        counts = (ends - starts).astype(np.int64)
        fresh.fwd_start = Grow(np.int64, base=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64))
        fresh.fwd_terms = Grow(np.int32, base=self.fwd_terms.data[positions].astype(np.int32))
        fresh.fwd_tfs = Grow(np.uint16, base=self.fwd_tfs.data[positions].astype(np.uint16))
        fresh.lengths = Grow(np.float32, base=self.lengths.data[slots].astype(np.float32))
        fresh.alive_ = Grow(np.bool_, base=np.ones(len(slots), dtype=bool))
        df = np.bincount(fresh.fwd_terms.view(), minlength=len(self.words)).astype(np.int32)
        fresh.df = Grow(np.int32, base=df)
        fresh.merged = 0
        fresh._merge()
        return fresh.arrays()


def ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The concatenation of ``arange(s, e)`` for each pair."""
    counts = (ends - starts).astype(np.int64)
    if not counts.sum():
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts - np.cumsum(counts) + counts, counts)
    return offsets + np.arange(int(counts.sum()), dtype=np.int64)


class SparseScores:
    """Scores over ``size`` slots held as (ascending slots, scores): what :meth:`BM25Index.scores` returns, with the
    few array operations callers use (``len``, indexing by slot, ``argmax`` as numpy's: first maximal slot)."""

    def __init__(self, slots: np.ndarray, scores: np.ndarray, size: int) -> None:
        self.slots, self.scores, self.size = slots, scores, size

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, slot):
        slot = np.asarray(slot, dtype=np.int64)
        if not len(self.slots):
            return np.zeros(slot.shape, dtype=np.float32)[()]
        pos = np.minimum(np.searchsorted(self.slots, slot), len(self.slots) - 1)
        return np.where(self.slots[pos] == slot, self.scores[pos], np.float32(0)).astype(np.float32)[()]

    def argmax(self) -> int:
        if not len(self.scores) or self.scores.max() <= 0:
            return 0
        return int(self.slots[int(np.argmax(self.scores))])
