"""The read-only view of a collection that queries use (``Collection.reading()``): everything ranking, fusion,
conversations, time windows and the answerer need, and nothing that changes the collection.

Entered (``with collection.reading() as view:``) it holds a share of the collection's lock (a readers-writer lock,
retrieval/shared_lock.py: questions read side by side, a writer waits for them), so one question is ranked and
quoted from one state even while a writer's change is applied; rows are the collection's rows (BM25 slots), article
slots its article BM25 slots. The view is the only door from ``retrieval.query`` into the index.

A view given a pause (:meth:`Reading.pausing`) lets the lock go at each :meth:`Reading.checkpoint` between the steps
of its reading, calls the pause there (a scheduler may hold the thread while another question is answered), takes
the lock back and raises :class:`Stale` if a writer changed the rows meanwhile: the reading then starts again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from retrieval.bm25 import SparseScores
from retrieval.models import ArticleMeta, Paragraph


class Readable(Protocol):
    """What can be read through a :class:`Reading`: a collection (its model names the embeddings)."""

    model: str

    def reading(self) -> Reading: ...


class Stale(Exception):
    """The collection's rows changed while a reading was paused at a checkpoint: read again."""


class Reading:
    """A collection as queries see it; a context manager that holds a share of the collection's lock while
    entered."""

    def __init__(self, collection: Any) -> None:
        self._collection = collection
        self._pause: Callable[[str], None] | None = None

    def __enter__(self) -> Reading:
        self._collection.lock.acquire_read()
        return self

    def __exit__(self, *exc) -> None:
        self._collection.lock.release_read()

    def pausing(self, pause: Callable[[str], None] | None) -> Reading:
        """This view, calling ``pause`` at its checkpoints (None: they do nothing)."""
        self._pause = pause
        return self

    def checkpoint(self, stage: str = "read") -> None:
        """Between two steps of a reading: with a pause (:meth:`pausing`), let the collection's lock go, call the
        pause with ``stage``, take the lock back; :class:`Stale` when the rows changed meanwhile. Nothing without
        a pause, or when this thread holds the write lock (a writer never pauses)."""
        lock = self._collection.lock
        if self._pause is None or lock.writing():
            return
        version = self.version
        depth = lock.release_reads()
        try:
            self._pause(stage)
        finally:
            lock.acquire_reads(depth)
        if self.version != version:
            raise Stale("the collection changed while the question was paused")

    # -- identity ----------------------------------------------------------------------------------------------
    @property
    def model(self) -> str:
        """The embedding model the collection's vectors come from."""
        return self._collection.model

    @property
    def version(self) -> tuple:
        """Changes whenever the rows change."""
        return self._collection.version

    def cached(self, name: str, compute: Callable[[], Any]) -> Any:
        """``compute()``, kept with the collection until its rows change (per-row arrays derived from it). Readers
        that race compute the same value (the rows cannot change under their shares) and each keeps its own."""
        derived = self._collection.derived
        entry = derived.get(name)
        if entry is None or entry[0] != self.version:
            entry = derived[name] = (self.version, compute())
        return entry[1]

    # -- rows and articles -------------------------------------------------------------------------------------
    @property
    def rows(self) -> int:
        """The number of rows, dead ones included (per-row arrays have this length)."""
        return self._collection.bm25.slots

    @property
    def alive(self) -> np.ndarray:
        """Per row: whether its paragraph is still indexed."""
        return self._collection.bm25.alive

    @property
    def article_slots(self) -> int:
        """The number of article slots, dead ones included."""
        return self._collection.article_bm25.slots

    @property
    def article_of_row(self) -> np.ndarray:
        """Per row: its article's slot."""
        return self._collection.article_of_row

    def article_firsts(self, slots: np.ndarray) -> np.ndarray:
        """The first row of each article slot (an article's rows are contiguous)."""
        return self._collection.article_first.data[slots]

    def article_counts(self, slots: np.ndarray) -> np.ndarray:
        """The number of rows of each article slot."""
        return self._collection.article_count.data[slots]

    def article_rows(self, article_id: str | None) -> np.ndarray:
        """An article's rows in paragraph order (empty when it is not indexed)."""
        rows = self._collection.article_rows(article_id) if article_id else range(0)
        return np.arange(rows.start, rows.stop, dtype=np.int64)

    def article_key(self, slot: int) -> str:
        """The article id in an article slot."""
        return self._collection.article_keys[int(slot)]

    def article(self, article_id: str) -> ArticleMeta:
        """An indexed article's attribution."""
        return self._collection.articles[article_id]

    def articles(self) -> list[ArticleMeta]:
        """Every indexed article's attribution."""
        return list(self._collection.articles.values())

    def article_published(self) -> list[str | None]:
        """Per article slot: its publication date string (None when undated or no longer indexed)."""
        articles = self._collection.articles
        return [getattr(articles.get(key), "published", None) for key in self._collection.article_keys]

    # -- ids and texts -----------------------------------------------------------------------------------------
    def ids(self, rows: np.ndarray) -> np.ndarray:
        """The stable paragraph id of each row."""
        return self._collection.id_of_slot.data[rows]

    def rows_of(self, ids) -> np.ndarray:
        """The live row of each paragraph id, -1 where it is not indexed."""
        return self._collection.rows_of(ids)

    def row_of_pid(self, pid: str, article_id: str | None = None) -> int | None:
        """The live row of a paragraph named by its text id."""
        return self._collection.row_of_pid(pid, article_id)

    def paragraphs(self, ids) -> dict[int, Paragraph]:
        """The paragraphs (with text) of these ids that are still stored."""
        return self._collection.fetch(ids)

    def paragraph(self, paragraph_id: int) -> Paragraph:
        """An indexed paragraph with its text (``KeyError`` when it is not indexed)."""
        found = self._collection.paragraph(paragraph_id)
        if found is None:
            raise KeyError(paragraph_id)
        return found

    def find_paragraph(self, paragraph_id: int) -> Paragraph | None:
        """An indexed paragraph with its text, or None (not indexed, or gone from the store)."""
        return self._collection.paragraph(paragraph_id)

    def paragraphs_of(self, article_id: str) -> list[Paragraph]:
        """An article's paragraphs (with text) in order."""
        return self._collection.paragraphs_of(article_id)

    def paragraph_at(self, row: int) -> Paragraph:
        """The paragraph in a row."""
        return self._collection.paragraph_at(row)

    def sentences(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        """(spans (n, 2), float32 unit vectors (n, dim)) of the sentences of the paragraph in ``row``."""
        return self._collection.sentence_rows(row)

    def sentence_spans(self, paragraph_id: int) -> np.ndarray:
        """The sentence offsets of an indexed paragraph (``KeyError`` when it is not indexed)."""
        return self._collection.sentences[paragraph_id].spans

    def sentence_terms(self, paragraph_id: int, index: int, text: str | None = None) -> frozenset[str]:
        """The BM25 tokens of one sentence."""
        return self._collection.sentence_terms(paragraph_id, index, text)

    # -- lexical -----------------------------------------------------------------------------------------------
    def paragraph_scores(self, terms: list[str]) -> SparseScores:
        """Paragraph BM25 of the question's terms, over rows (only rows holding a term are stored)."""
        bm25 = self._collection.bm25
        return SparseScores(*bm25.scores(terms), bm25.slots)

    def article_scores(self, terms: list[str]) -> SparseScores:
        """Whole-article BM25 of the question's terms, over article slots."""
        bm25 = self._collection.article_bm25
        return SparseScores(*bm25.scores(terms), bm25.slots)

    def paragraph_coverage(self, terms: list[str]) -> np.ndarray:
        """Per row: BM25 of ``terms`` over their total idf."""
        return self._collection.bm25.coverage(terms)

    def article_coverage(self, terms: list[str]) -> np.ndarray:
        """Per article slot: BM25 of ``terms`` over their total idf."""
        return self._collection.article_bm25.coverage(terms)

    def term_weights(self, terms: list[str]) -> dict[str, float]:
        """Each term's share of the terms' total idf."""
        return self._collection.bm25.term_weights(terms)

    def frequencies_in(self, article_id: str, terms: list[str]) -> dict[str, int]:
        """How many of an article's paragraphs hold each of ``terms`` (0 for an article not indexed)."""
        rows = self._collection.article_rows(article_id) if article_id else range(0)
        if not len(rows):
            return dict.fromkeys(terms, 0)
        return self._collection.bm25.frequencies_in(rows.start, rows.stop, terms)

    def idf(self, term: str) -> float:
        return self._collection.bm25.idf(term)

    def knows(self, term: str) -> bool:
        """Whether a live paragraph holds ``term``."""
        return term in self._collection.bm25.vocab

    # -- dense -------------------------------------------------------------------------------------------------
    def search(self, vector: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(rows, cosines) of the ``k`` nearest paragraphs, nearest first; ``allowed`` (a boolean mask over rows)
        filters inside the dense index, before the ``k`` are cut."""
        collection = self._collection
        ids = None if allowed is None else collection.id_of_slot.data[np.flatnonzero(allowed)]
        found, cosines = collection.dense.search(vector, k, allowed=ids)
        rows = collection.rows_of(found)
        live = rows >= 0
        return rows[live], np.asarray(cosines)[live]

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        """The paragraph vectors of ``rows`` (float32, in the same order)."""
        return self._collection.dense.vectors_of(self.ids(rows))

    def cosines(self, vector: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """The cosine of ``vector`` with the paragraph vector of each row."""
        return self._collection.dense.cosines(vector, self.ids(rows))
