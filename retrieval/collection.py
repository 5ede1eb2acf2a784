"""The queryable view of the store: paragraph vectors (the dense index, keyed by stable paragraph ids), sentence
vectors, paragraph and article BM25 — as numpy arrays, not per-paragraph Python objects. Texts stay in the store
and are read (by id, through a small cache) when a paragraph is scored sentence by sentence or quoted.

Rows: each indexed paragraph has a row (= its BM25 slot); rows only grow, a removed paragraph's row is dead
(``bm25.alive``). Per row: stable id, article slot, paragraph number, first sentence and sentence count. Per
sentence: offsets inside the paragraph text and a float16 unit vector. An article's rows are contiguous.

The store decides what is in the collection; the snapshot (``index.npz``, an uncompressed zip of ``.npy`` members
that are memory-mapped on load, so opening costs neither reading nor parsing them) only saves work: it holds, per
paragraph id, the paragraph vector, sentence offsets and vectors, and both BM25 indexes. Paragraph ids are never
reused and a paragraph's text never changes under its id, so a snapshot can be incomplete (a crash before it was
rewritten, articles added since) but never wrong: opening keeps what the snapshot has for the store's paragraphs,
computes the rest (embedding cache first, a batch of articles at a time) and masks what the store no longer has.

A running process keeps up with writers (its own or other processes) through the store's change log:
``refresh()`` reloads only the articles changed since the counter it last saw.
"""

from __future__ import annotations

import json
import mmap
import os
import tempfile
import threading
import time
import uuid
import zipfile
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from retrieval.bm25 import BM25Index, Grow, Vocab, ranges
from retrieval.index.datadir import fsync_dir
from retrieval.index.store import Store, StoredArticle
from retrieval.index.vectors.base import VectorIndex
from retrieval.index.vectors.factory import IndexSettings, fit_kind, new_index
from retrieval.index.vectors.flat import FlatIndex
from retrieval.models import ArticleMeta, Paragraph
from retrieval.reading import Reading
from retrieval.text.tokens import tokenize

SNAPSHOT_FORMAT = "2"
VECTORS_DIR = "vectors"  # the dense index's own save folder beside the snapshot (``VectorIndex.save``)
Progress = Callable[[str, int, int], None]  # (stage, done, total)
OPEN_BATCH = 2000  # articles computed per batch when the snapshot lacks them (bounded memory)
PARAGRAPH_CACHE = 4096  # paragraphs (with text) kept after a look-up
SENTENCE_TERMS_CACHE = 100_000
SPILL_ROWS = 262_144  # sentence vectors added in RAM before they go to a spill file (~200 MB at 384 dims)


def bm25_text(paragraph: Paragraph) -> str:
    """What BM25 indexes for a paragraph: its sub-heading as context, then its text.

    The article title was measured neutral on squad-dev (docs/benchmarks.md), so it is left out; the article as a
    whole has its own BM25 index instead.
    """
    return f"{paragraph.context}\n{paragraph.text}" if paragraph.context else paragraph.text


@dataclass
class Sentences:
    """One paragraph's sentences: offsets inside the paragraph text and unit vectors."""

    spans: np.ndarray  # (n, 2) int
    vectors: np.ndarray  # (n, dim) float32


@dataclass
class Prepared:
    """What indexing one paragraph needs beyond its text: its vector, BM25 tokens and sentence vectors."""

    vector: np.ndarray
    tokens: list[str]
    sentence_vectors: np.ndarray


@dataclass
class ApplyReport:
    """What loading or refreshing changed in memory, and what it had to repair."""

    added: int = 0  # paragraphs
    removed: int = 0
    computed: int = 0  # paragraphs whose vectors/tokens were not in the snapshot
    repairs: list[str] = field(default_factory=list)
    orphans: int = 0  # snapshot paragraphs the store no longer has


class _View(Mapping):
    """A read-only mapping computed on demand (keeps old call sites working without per-item objects)."""

    def __init__(self, get, keys, count) -> None:
        self._get, self._keys, self._count = get, keys, count

    def __getitem__(self, key):
        value = self._get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __iter__(self) -> Iterator:
        return iter(self._keys())

    def __len__(self) -> int:
        return self._count()


class _Rows:
    """Paragraphs by row, read from the store on demand (``len`` is the row count, dead rows included)."""

    def __init__(self, collection: Collection) -> None:
        self.collection = collection

    def __len__(self) -> int:
        return self.collection.bm25.slots

    def __getitem__(self, row: int) -> Paragraph:
        return self.collection.paragraph_at(int(row))

    def __iter__(self) -> Iterator[Paragraph]:
        return (self[r] for r in range(len(self)))


class FileRows:
    """Rows of a 2-d ``.npy`` member read with ``pread`` when asked for: nothing mapped, nothing cached by the
    process (the kernel's page cache serves repeated reads), so RSS does not grow with the rows read."""

    def __init__(self, path: Path, offset: int, shape: tuple[int, ...], dtype: np.dtype) -> None:
        self.offset, self.shape, self.dtype = offset, tuple(shape), np.dtype(dtype)
        self.row_bytes = int(np.prod(self.shape[1:])) * self.dtype.itemsize
        self.fd = os.open(path, os.O_RDONLY)  # stays valid when the snapshot is replaced (same inode)

    def __len__(self) -> int:
        return self.shape[0]

    def __del__(self) -> None:
        try:
            os.close(self.fd)
        except (OSError, AttributeError):
            pass

    def __getitem__(self, index):
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            return self.read(start, stop)[::step]
        index = int(index) + (len(self) if int(index) < 0 else 0)
        return self.read(index, index + 1)[0]

    def read(self, start: int, stop: int) -> np.ndarray:
        """Rows ``start:stop``."""
        count = max(0, stop - start)
        data = os.pread(self.fd, count * self.row_bytes, self.offset + start * self.row_bytes)
        if len(data) != count * self.row_bytes:
            raise OSError("the snapshot file is shorter than its header says")
        return np.frombuffer(data, dtype=self.dtype).reshape((count, *self.shape[1:]))


class SentenceVectors:
    """float16 sentence vectors: the snapshot's read from its file on demand, those added since in RAM — or, past
    ``SPILL_ROWS`` of them (a large build), appended to an unnamed temporary file in ``spill_dir`` and read back
    like the snapshot's, so a build never holds the corpus's sentence vectors in memory."""

    def __init__(self, dimension: int, base: FileRows | np.ndarray | None = None,
                 spill_dir: Path | None = None) -> None:
        self.dimension = dimension
        self.segments: list[tuple[int, FileRows | np.ndarray]] = []  # (first row, rows) read from files
        if base is not None and len(base):
            self.segments.append((0, base))
        self.base_rows = len(base) if base is not None else 0  # rows in segments
        self.tail = Grow(np.float16, width=dimension)
        self.spill_dir = spill_dir
        self._spill = None

    def __len__(self) -> int:
        return self.base_rows + len(self.tail)

    @property
    def base(self):
        return self.segments[0][1] if self.segments else None

    def extend(self, values: np.ndarray) -> None:
        self.tail.extend(values)
        if self.spill_dir is not None and len(self.tail) >= SPILL_ROWS:
            self._spill_tail()

    def _spill_tail(self) -> None:
        if self._spill is None:
            self._spill = tempfile.TemporaryFile(dir=self.spill_dir, prefix=".sentences-")  # gone when closed
        rows = self.tail.view()
        offset = os.fstat(self._spill.fileno()).st_size
        os.pwrite(self._spill.fileno(), np.ascontiguousarray(rows).tobytes(), offset)
        segment = FileRows.__new__(FileRows)
        segment.offset, segment.shape, segment.dtype = offset, (len(rows), self.dimension), np.dtype(np.float16)
        segment.row_bytes, segment.fd = self.dimension * 2, os.dup(self._spill.fileno())
        self.segments.append((self.base_rows, segment))
        self.base_rows += len(rows)
        self.tail = Grow(np.float16, width=self.dimension)

    def _segment(self, row: int) -> tuple[int, FileRows | np.ndarray]:
        for first, rows in reversed(self.segments):
            if row >= first:
                return first, rows
        raise IndexError(row)

    def rows(self, first: int, count: int) -> np.ndarray:
        """Rows ``first:first + count`` (one paragraph's sentences never straddle two segments)."""
        if first >= self.base_rows:
            first -= self.base_rows
            return self.tail.data[first:first + count]
        start, rows = self._segment(first)
        return np.asarray(rows[first - start:first - start + count])

    def take(self, indices: np.ndarray) -> np.ndarray:
        """Rows at ascending ``indices`` (each file segment read as one span)."""
        indices = np.asarray(indices, dtype=np.int64)
        out = np.zeros((len(indices), self.dimension), dtype=np.float16)
        bounds = [first for first, _ in self.segments] + [self.base_rows]
        for (first, rows), stop in zip(self.segments, bounds[1:], strict=True):
            inside = (indices >= first) & (indices < stop)
            if inside.any():
                picked = indices[inside] - first
                lo, hi = int(picked.min()), int(picked.max()) + 1
                out[inside] = np.asarray(rows[lo:hi])[picked - lo]
        in_tail = indices >= self.base_rows
        if in_tail.any():
            out[in_tail] = self.tail.data[indices[in_tail] - self.base_rows]
        return out


class Collection:
    """The loaded articles and indexes; queried from several threads under ``lock``."""

    def __init__(self, model: str, dimension: int, store: Store | None = None,
                 dense: VectorIndex | None = None, spill_dir: Path | None = None) -> None:
        self.model = model
        self.dimension = dimension
        self.store = store
        self.articles: dict[str, ArticleMeta] = {}
        self.vocab = Vocab()
        self.bm25 = BM25Index(vocab=self.vocab)
        self.article_bm25 = BM25Index(vocab=self.vocab)
        self.dense = dense if dense is not None else FlatIndex(dimension)  # any kind (retrieval.index.vectors)
        self.dense.info["model"] = model
        # per row
        self.id_of_slot = Grow(np.int64)
        self.article_of_slot = Grow(np.int32)
        self.row_number = Grow(np.int32)
        self.sentence_first = Grow(np.int64)
        self.sentence_count = Grow(np.int32)
        # per sentence
        self.sentence_spans = Grow(np.int32, width=2)
        self.spill_dir = spill_dir
        self.sentence_vectors = SentenceVectors(dimension, spill_dir=spill_dir)
        # per article slot (the article BM25 slot)
        self.article_keys: list[str] = []
        self.article_first = Grow(np.int64)
        self.article_count = Grow(np.int32)
        self.article_slot: dict[str, int] = {}
        self.seq = 0
        self.loaded_at = time.time()
        self.lock = threading.RLock()
        self._sorted = True  # row ids ascend (then a row is found by binary search)
        self._order: tuple | None = None
        self._paragraphs: OrderedDict[int, Paragraph] = OrderedDict()
        self._sentence_terms: dict[tuple[int, int], frozenset[str]] = {}
        self._changes = 0
        self.derived: dict[str, tuple] = {}  # per-row arrays queries derive, with the version they belong to

    def reading(self) -> Reading:
        """The read-only view queries use; entered, it holds ``lock``."""
        return Reading(self)

    # -- rows and ids ------------------------------------------------------------------------------------------
    @property
    def version(self) -> tuple[int, int, int, int]:
        """Changes whenever the rows change (caches keyed by collection use it)."""
        return (id(self), self.seq, self.bm25.slots, self._changes)

    def rows_of(self, ids) -> np.ndarray:
        """The live row of each paragraph id, -1 where the id is not (or no longer) indexed."""
        ids = np.atleast_1d(np.asarray(ids, dtype=np.int64))
        known = self.id_of_slot.view()
        if not len(known) or not len(ids):
            return np.full(len(ids), -1, dtype=np.int64)
        if self._sorted:
            pos = np.minimum(np.searchsorted(known, ids), len(known) - 1)
            rows = pos
        else:
            if self._order is None or self._order[0] != len(known):
                order = np.argsort(known, kind="stable")
                self._order = (len(known), known[order], order)
            _, ordered, order = self._order
            pos = np.minimum(np.searchsorted(ordered, ids), len(known) - 1)
            rows = order[pos]
        ok = (known[rows] == ids) & self.bm25.alive[rows]
        return np.where(ok, rows, -1).astype(np.int64)

    def row_of(self, paragraph_id: int) -> int | None:
        row = int(self.rows_of([paragraph_id])[0])
        return row if row >= 0 else None

    def live_ids(self) -> np.ndarray:
        return self.id_of_slot.view()[self.bm25.alive]

    @property
    def slot_of(self) -> Mapping[int, int]:
        """Paragraph id -> row."""
        return _View(self.row_of, lambda: map(int, self.live_ids()), lambda: self.bm25.size)

    @property
    def article_of_row(self) -> np.ndarray:
        return self.article_of_slot.view()

    def article_rows(self, key: str) -> range:
        """An article's rows, in paragraph order (empty when it is not indexed)."""
        slot = self.article_slot.get(key)
        if slot is None:
            return range(0)
        first = int(self.article_first.data[slot])
        return range(first, first + int(self.article_count.data[slot]))

    @property
    def rows_by_article(self) -> Mapping[str, list[int]]:
        """Each article's rows, in paragraph order."""
        return _View(lambda k: list(self.article_rows(k)) if k in self.article_slot else None,
                     lambda: iter(self.article_slot), lambda: len(self.article_slot))

    @property
    def ids_by_article(self) -> Mapping[str, list[int]]:
        """Each article's paragraph ids, in paragraph order."""
        def get(key):
            rows = self.article_rows(key)
            return self.id_of_slot.data[rows.start:rows.stop].tolist() if key in self.article_slot else None
        return _View(get, lambda: iter(self.article_slot), lambda: len(self.article_slot))

    @property
    def paragraph_count(self) -> int:
        return self.bm25.size

    # -- texts (from the store) --------------------------------------------------------------------------------
    def fetch(self, ids) -> dict[int, Paragraph]:
        """The paragraphs with these ids that the store still has (one query for those not cached)."""
        found: dict[int, Paragraph] = {}
        missing = []
        for i in map(int, ids):
            p = self._paragraphs.get(i)
            if p is None:
                missing.append(i)
            else:
                self._paragraphs.move_to_end(i)
                found[i] = p
        if missing and self.store is not None:
            for i, p in self.store.paragraphs_by_id(missing).items():
                found[i] = self._paragraphs[i] = p
            while len(self._paragraphs) > PARAGRAPH_CACHE:
                self._paragraphs.popitem(last=False)
        return found

    def paragraph(self, paragraph_id: int) -> Paragraph | None:
        """An indexed paragraph with its text, or None (not indexed, or gone from the store)."""
        if self.row_of(paragraph_id) is None:
            return None
        return self.fetch([paragraph_id]).get(int(paragraph_id))

    @property
    def by_id(self) -> Mapping[int, Paragraph]:
        """Live paragraphs by stable id (texts read from the store on demand)."""
        return _View(self.paragraph, lambda: map(int, self.live_ids()), lambda: self.bm25.size)

    def paragraph_at(self, slot: int) -> Paragraph:
        """The paragraph in a row (rankings are by row); a dead row's paragraph may have no text any more."""
        pid = int(self.id_of_slot.data[slot])
        p = self.fetch([pid]).get(pid)
        if p is None:
            key = self.article_keys[int(self.article_of_slot.data[slot])]
            p = Paragraph(pid="", article_id=key, number=int(self.row_number.data[slot]), text="", start=0, end=0,
                          id=pid)
        return p

    @property
    def paragraphs(self) -> _Rows:
        """Paragraphs by row, as long as the score arrays; a removed paragraph's row stays (masked by
        ``bm25.alive``)."""
        return _Rows(self)

    def paragraphs_of(self, key: str) -> list[Paragraph]:
        """An article's paragraphs in order."""
        rows = self.article_rows(key)
        ids = self.id_of_slot.data[rows.start:rows.stop].tolist()
        found = self.fetch(ids)
        return [found[i] for i in ids if i in found]

    @property
    def texts(self) -> Mapping[str, str]:
        """Article texts by key, read from the store."""
        return _View(lambda k: self.store.article_text(k) if self.store is not None and k in self.articles
                     else None, lambda: iter(self.articles), lambda: len(self.articles))

    def row_of_pid(self, pid: str, article_id: str | None = None) -> int | None:
        """The live row of a paragraph named by its text id (``article:digest``, or any id of a paragraph of
        ``article_id``)."""
        key = article_id or pid.rsplit(":", 1)[0]
        if self.store is None or key not in self.article_slot:
            return None
        found = self.store.paragraph_id_of_pid(key, pid)
        return None if found is None else self.row_of(found)

    # -- sentences ---------------------------------------------------------------------------------------------
    def sentence_rows(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        """(spans (n, 2), float32 vectors (n, dim)) of the paragraph in ``row``."""
        first, count = int(self.sentence_first.data[row]), int(self.sentence_count.data[row])
        return (self.sentence_spans.data[first:first + count].astype(np.int64),
                self.sentence_vectors.rows(first, count).astype(np.float32))

    @property
    def sentences(self) -> Mapping[int, Sentences]:
        """Sentences by paragraph id (built on demand from the arrays)."""
        def get(pid):
            row = self.row_of(pid)
            return None if row is None else Sentences(*self.sentence_rows(row))
        return _View(get, lambda: map(int, self.live_ids()), lambda: self.bm25.size)

    def sentence_text(self, paragraph_id: int, index: int) -> str:
        row = self.row_of(paragraph_id)
        first = int(self.sentence_first.data[row])
        start, end = self.sentence_spans.data[first + index]
        return self.fetch([paragraph_id])[int(paragraph_id)].text[int(start):int(end)]

    def sentence_terms(self, paragraph_id: int, index: int, text: str | None = None) -> frozenset[str]:
        """The BM25 tokens of one sentence (computed once; ``text`` saves a look-up)."""
        key = (int(paragraph_id), index)
        terms = self._sentence_terms.get(key)
        if terms is None:
            if len(self._sentence_terms) >= SENTENCE_TERMS_CACHE:
                self._sentence_terms.clear()
            terms = self._sentence_terms[key] = frozenset(
                tokenize(text if text is not None else self.sentence_text(paragraph_id, index)))
        return terms

    # -- building ----------------------------------------------------------------------------------------------
    def _prepare(self, articles: list[StoredArticle], embedder, progress: Progress | None
                 ) -> tuple[dict[int, Prepared], int]:
        """Vectors, tokens and sentence vectors of every paragraph of ``articles`` (embedding cache first). Runs
        without the lock."""
        prepared: dict[int, Prepared] = {}
        todo = [(p, article.sentences[p.id]) for article in articles for p in article.paragraphs]
        if todo:
            def report(stage):
                return (lambda done, total: progress(stage, done, total)) if progress else None
            vectors = embedder.encode([p.text for p, _ in todo], progress=report("paragraphs"))
            sentence_texts = [p.text[s:e] for p, spans in todo for s, e in spans]
            sentence_vectors = embedder.encode(sentence_texts, progress=report("sentences"))
            offset = 0
            for (p, spans), vector in zip(todo, vectors, strict=True):
                prepared[p.id] = Prepared(vector, tokenize(bm25_text(p)), sentence_vectors[offset:offset + len(spans)])
                offset += len(spans)
        return prepared, len(todo)

    def _remove_article(self, key: str) -> int:
        slot = self.article_slot.pop(key, None)
        self.articles.pop(key, None)
        if slot is None:
            return 0
        rows = self.article_rows_of_slot(slot)
        rows = rows[self.bm25.alive[rows]]
        ids = self.id_of_slot.data[rows]
        self.bm25.remove_many(rows)
        self.dense.delete(ids)
        self.article_bm25.remove(slot)
        for i in ids.tolist():
            self._paragraphs.pop(i, None)
        self._changes += 1
        return len(rows)

    def article_rows_of_slot(self, slot: int) -> np.ndarray:
        first = int(self.article_first.data[slot])
        return np.arange(first, first + int(self.article_count.data[slot]), dtype=np.int64)

    def _add_articles(self, articles: list[StoredArticle], prepared: dict[int, Prepared]) -> int:
        """Index articles whose paragraphs are all in ``prepared``: articles by first paragraph id, each one's
        paragraphs contiguous and in order (with ids given in that order, rows are in id order)."""
        articles = sorted((a for a in articles if a.paragraphs), key=lambda a: min(p.id for p in a.paragraphs))
        paragraphs = [p for a in articles for p in a.paragraphs]
        if not paragraphs:
            return 0
        ids = np.asarray([p.id for p in paragraphs], dtype=np.int64)
        known = self.id_of_slot.view()
        self._sorted = self._sorted and bool(np.all(np.diff(ids) > 0)) and (not len(known) or ids[0] > known[-1])
        self._order = None
        first_row = self.bm25.slots
        self.bm25.add_many([prepared[p.id].tokens for p in paragraphs])
        self.id_of_slot.extend(ids)
        self.row_number.extend([p.number for p in paragraphs])
        counts = [len(a.sentences[p.id]) for a in articles for p in a.paragraphs]
        first_sentence = len(self.sentence_spans)
        self.sentence_first.extend(first_sentence + np.cumsum([0] + counts[:-1]))
        self.sentence_count.extend(counts)
        spans = [s for a in articles for p in a.paragraphs for s in a.sentences[p.id]]
        self.sentence_spans.extend(np.asarray(spans, dtype=np.int32).reshape(-1, 2))
        if sum(counts):
            self.sentence_vectors.extend(np.concatenate(
                [np.asarray(prepared[p.id].sentence_vectors, dtype=np.float32).reshape(-1, self.dimension)
                 for p in paragraphs]).astype(np.float16))
        self.dense.upsert(ids, np.stack([prepared[p.id].vector for p in paragraphs]))
        slots = self.article_bm25.add_many([[t for p in a.paragraphs for t in prepared[p.id].tokens]
                                            for a in articles])
        row = first_row
        for article, slot in zip(articles, slots, strict=True):
            key = article.meta.article_id
            self.articles[key] = article.meta
            self.article_slot[key] = slot
            self.article_keys.append(key)
            self.article_first.extend([row])
            self.article_count.extend([len(article.paragraphs)])
            self.article_of_slot.extend(np.full(len(article.paragraphs), slot, dtype=np.int32))
            row += len(article.paragraphs)
        self._changes += 1
        return len(paragraphs)

    def apply(self, stored: dict[str, StoredArticle], seq: int, embedder, *, full: bool = False,
              requested: set[str] | None = None, progress: Progress | None = None) -> ApplyReport:
        """Make memory match ``stored``: articles whose paragraph ids changed are re-indexed, others only get
        their attribution refreshed; with ``full`` every article not in ``stored`` is dropped, else only the
        ``requested`` keys missing from it."""
        report = ApplyReport()
        with self.lock:
            current = {key: self.ids_by_article[key] for key in stored if key in self.article_slot}
            present = set(self.article_slot) if full else set()
        changed = [a for key, a in stored.items() if current.get(key) != [p.id for p in a.paragraphs]]
        prepared, report.computed = self._prepare(changed, embedder, progress)
        gone = (present - set(stored)) if full else ((requested or set()) - set(stored))
        with self.lock:
            for key in gone:
                report.removed += self._remove_article(key)
            for article in changed:
                report.removed += self._remove_article(article.meta.article_id)
            report.added = self._add_articles(changed, prepared)
            for key, article in stored.items():
                self.articles[key] = article.meta
            self.seq = max(self.seq, seq) if not full else seq
            self._maybe_compact()
        return report

    def refresh(self, store: Store, embedder) -> ApplyReport | None:
        """Apply what writers changed in the store since this collection last looked (None when nothing)."""
        now, keys = store.changed_since(self.seq)
        if now == self.seq:
            return None
        if not keys:
            self.seq = now
            return None
        _, stored = store.load(keys)
        report = self.apply(stored, now, embedder, requested=keys)
        with self.lock:
            self.seq = max(self.seq, now)
        return report

    def _maybe_compact(self) -> None:
        """Drop dead rows (removed paragraphs) from the row arrays and both BM25 indexes when they outnumber a
        third of the rows. Sentence arrays are left as they are (rows point into them)."""
        dead = self.bm25.slots - self.bm25.size
        if dead < 1000 or dead * 3 < self.bm25.slots:
            return
        self._load_arrays(self._live_arrays(sentences=False), sentences=False)

    # -- live arrays (compaction and snapshot) -------------------------------------------------------------------
    def _live_arrays(self, sentences: bool = True) -> dict[str, np.ndarray]:
        """The live rows and articles as fresh arrays (what a snapshot holds, sentence vectors aside)."""
        rows = np.flatnonzero(self.bm25.alive)
        arts = np.flatnonzero(self.article_bm25.alive)
        new_slot = np.full(max(1, self.article_bm25.slots), -1, dtype=np.int64)
        new_slot[arts] = np.arange(len(arts))
        counts = self.sentence_count.view()[rows]
        out = {
            "ids": self.id_of_slot.view()[rows].astype(np.int64),
            "article": new_slot[self.article_of_slot.view()[rows]].astype(np.int32),
            "number": self.row_number.view()[rows].astype(np.int32),
            "sentence_count": counts.astype(np.int32),
            "article_keys": _pack([self.article_keys[a] for a in arts]),
            "article_count": self.article_count.view()[arts].astype(np.int32),
        }
        firsts = self.sentence_first.view()[rows]
        if sentences:
            out["sentence_first"] = (np.cumsum(counts) - counts).astype(np.int64)
            out["sentence_spans"] = self.sentence_spans.data[ranges(firsts, firsts + counts)]
        else:
            out["sentence_first"] = firsts.astype(np.int64)
        for prefix, index, keep in (("bm25_", self.bm25, rows), ("abm25_", self.article_bm25, arts)):
            for name, array in index.subset(keep).items():
                out[prefix + name] = array
        out["vocab"] = _pack(self.vocab.words)
        return out

    def _load_arrays(self, arrays: dict[str, np.ndarray], sentences: bool = True) -> None:
        """Replace the row arrays and BM25 indexes with ``arrays`` (from :meth:`_live_arrays` or a snapshot);
        with ``sentences`` the sentence arrays too."""
        if "vocab" in arrays and sentences:
            self.vocab = Vocab(_unpack(arrays["vocab"]))
        self.bm25 = BM25Index.from_arrays(_prefixed(arrays, "bm25_"), self.vocab)
        self.article_bm25 = BM25Index.from_arrays(_prefixed(arrays, "abm25_"), self.vocab)
        self.id_of_slot = Grow(np.int64, base=arrays["ids"])
        self.article_of_slot = Grow(np.int32, base=arrays["article"])
        self.row_number = Grow(np.int32, base=arrays["number"])
        self.sentence_first = Grow(np.int64, base=arrays["sentence_first"])
        self.sentence_count = Grow(np.int32, base=arrays["sentence_count"])
        if sentences:
            self.sentence_spans = Grow(np.int32, width=2, base=arrays["sentence_spans"])
            self.sentence_vectors = SentenceVectors(self.dimension, arrays["sentence_vectors"], self.spill_dir)
        keys = arrays["article_keys"]
        self.article_keys = _unpack(keys) if isinstance(keys, np.ndarray) and keys.dtype == np.uint8 else list(keys)
        counts = np.asarray(arrays["article_count"], dtype=np.int32)
        self.article_count = Grow(np.int32, base=counts.copy())
        self.article_first = Grow(np.int64, base=(np.cumsum(counts) - counts).astype(np.int64))
        self.article_slot = {key: n for n, key in enumerate(self.article_keys)}
        ids = self.id_of_slot.view()
        self._sorted = bool(np.all(np.diff(ids) > 0))
        self._order = None
        self._changes += 1

    # -- snapshot ------------------------------------------------------------------------------------------------
    def save_snapshot(self, path: Path) -> None:
        """Write the snapshot aside, fsync, and ``os.replace`` it over ``path`` (atomic). Sentence and paragraph
        vectors are streamed in chunks, never copied whole."""
        with self.lock:
            arrays = self._live_arrays()
            rows = np.flatnonzero(self.bm25.alive)
            firsts, counts = self.sentence_first.view()[rows], self.sentence_count.view()[rows]
            source = self.sentence_vectors
            self.dense.save(path.parent / VECTORS_DIR)  # paragraph vectors: the index's own files
            dimension = self.dimension
            info = {"format": SNAPSHOT_FORMAT, "model": self.model, "seq": self.seq, "written_at": time.time()}
            tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
            try:
                with open(tmp, "wb") as handle:
                    with zipfile.ZipFile(handle, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
                        _write_member(archive, "info", np.asarray(json.dumps(info)))
                        for name, array in arrays.items():
                            _write_member(archive, name, array)
                        chunk = 20_000
                        _write_member(archive, "sentence_vectors", shape=(int(counts.sum()), dimension),
                                      dtype=np.float16, chunks=(
                            source.take(ranges(firsts[n:n + chunk], firsts[n:n + chunk] + counts[n:n + chunk]))
                            for n in range(0, len(rows), chunk)))
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, path)
            finally:
                tmp.unlink(missing_ok=True)
        fsync_dir(path.parent)

    @classmethod
    def open(cls, store: Store, snapshot: Path | None, embedder, progress: Progress | None = None,
             dense: VectorIndex | None = None) -> tuple[Collection, ApplyReport, dict]:
        """The collection of everything in ``store``: the snapshot's arrays (memory-mapped) for the paragraphs it
        has and ``dense`` (loaded from its own files) holds, the rest computed a batch of articles at a time;
        vectors of paragraphs no longer stored are deleted from ``dense``. Raises on a damaged snapshot (the
        caller sets it aside and calls again with ``snapshot=None``)."""
        collection = cls(embedder.name, embedder.dimension, store, dense, spill_dir=store.path.parent)
        report = ApplyReport()
        arrays, info = read_snapshot(snapshot, embedder.name) if snapshot is not None else (None, {})
        seq = store.seq()
        metas = store.article_metas()
        stored_ids = store.paragraph_id_array()
        if arrays is not None:
            collection._load_arrays(arrays)
            ids = collection.id_of_slot.view()
            alive = np.isin(ids, stored_ids, assume_unique=True)
            held = collection.dense.contains(ids) if len(ids) else np.zeros(0, dtype=bool)
            # an article is kept only whole and while the store still has it with exactly these paragraphs
            slots = collection.article_of_slot.view()
            whole = np.bincount(slots[alive & held], minlength=len(collection.article_keys)) == \
                collection.article_count.view()  # every paragraph stored, its vector in the dense index
            keep = whole & np.asarray([k in metas for k in collection.article_keys], dtype=bool)
            dead_articles = np.flatnonzero(~keep)
            dead_rows = np.flatnonzero(~keep[slots] | ~alive)
            report.orphans = int((~alive).sum())
            collection.bm25.remove_many(dead_rows)
            collection.article_bm25.remove_many(dead_articles)
            collection.dense.delete(ids[dead_rows])
            for a in dead_articles.tolist():
                collection.article_slot.pop(collection.article_keys[a], None)
            collection.articles = {k: metas[k] for k in collection.article_slot}
            have = ids[collection.bm25.alive]
        else:
            have = np.zeros(0, dtype=np.int64)
        missing = np.setdiff1d(stored_ids, have, assume_unique=True)
        keys = sorted(store.keys_of_paragraphs(missing.tolist())) if len(missing) else []
        listed = set(keys)
        keys += [k for k in metas if k not in collection.article_slot and k not in listed]
        for n in range(0, len(keys), OPEN_BATCH):
            _, stored = store.load(keys[n:n + OPEN_BATCH])
            part = collection.apply(stored, seq, embedder, requested=set(keys[n:n + OPEN_BATCH]), progress=progress)
            report.computed += part.computed
            report.added += part.added
        collection.articles.update({k: metas[k] for k in collection.article_slot if k in metas})
        collection.seq = seq
        held = collection.dense.ids()
        unstored = held[~np.isin(held, collection.live_ids())]
        if len(unstored):  # saved before their articles were removed
            collection.dense.delete(unstored)
            report.orphans += len(unstored)
        return collection, report, info


def _pack(words: list[str]) -> np.ndarray:
    """Strings as one NUL-separated UTF-8 byte array (a snapshot member)."""
    return np.frombuffer("\x00".join(words).encode("utf-8"), dtype=np.uint8) if words else np.zeros(0, np.uint8)


def _unpack(blob: np.ndarray) -> list[str]:
    return np.asarray(blob).tobytes().decode("utf-8").split("\x00") if len(blob) else []


def _prefixed(arrays: dict[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    return {name[len(prefix):]: array for name, array in arrays.items() if name.startswith(prefix)}


def _write_member(archive: zipfile.ZipFile, name: str, array: np.ndarray | None = None, *, shape=None, dtype=None,
                  chunks=None) -> None:
    """One ``.npy`` member, stored (not compressed) so it can be memory-mapped; ``chunks`` streams its rows."""
    if array is not None:
        array = np.ascontiguousarray(array)
        shape, dtype, chunks = array.shape, array.dtype, [array]
    header = {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)), "fortran_order": False,
              "shape": tuple(int(s) for s in shape)}
    with archive.open(f"{name}.npy", "w", force_zip64=True) as out:
        np.lib.format.write_array_header_2_0(out, header)
        for chunk in chunks:
            out.write(np.ascontiguousarray(chunk, dtype=dtype).tobytes())


def _map_members(path: Path, by_reads: tuple[str, ...] = ()) -> dict[str, np.ndarray]:
    """Every ``.npy`` member of an uncompressed ``.npz`` as a read-only memory map (0-d and empty ones read; those
    named in ``by_reads`` as a :class:`FileRows`, read with ``pread``)."""
    out: dict[str, np.ndarray] = {}
    with open(path, "rb") as handle, zipfile.ZipFile(handle) as archive:
        for member in archive.infolist():
            if member.compress_type != zipfile.ZIP_STORED or not member.filename.endswith(".npy"):
                raise ValueError(f"snapshot member {member.filename} is not a stored .npy")
            handle.seek(member.header_offset)
            local = handle.read(30)
            if local[:4] != b"PK\x03\x04":
                raise ValueError("snapshot member header is damaged")
            start = member.header_offset + 30 + int.from_bytes(local[26:28], "little") + \
                int.from_bytes(local[28:30], "little")
            handle.seek(start)
            version = np.lib.format.read_magic(handle)
            read = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
                np.lib.format.read_array_header_2_0
            shape, fortran, dtype = read(handle)
            offset = handle.tell()
            name = member.filename[:-4]
            count = int(np.prod(shape)) if shape else 1
            if offset + count * dtype.itemsize > start + member.file_size:
                raise ValueError(f"snapshot member {name} is truncated")
            if name in by_reads and len(shape) == 2 and count:
                out[name] = FileRows(path, offset, shape, dtype)
            elif not shape or dtype.kind in "UO" or count == 0:
                handle.seek(offset)
                data = np.frombuffer(handle.read(count * dtype.itemsize), dtype=dtype, count=count)
                out[name] = data.reshape(shape).copy()
            else:
                mapped = np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape,
                                   order="F" if fortran else "C")
                _random_access(mapped)
                out[name] = np.asarray(mapped)  # a plain ndarray over the map (no memmap indexing overhead)
    return out


def _random_access(mapped: np.memmap) -> None:
    """Tell the kernel reads are random: no read-ahead, so RSS grows by the pages a query reads, not megabytes
    around each of them."""
    handle = getattr(mapped, "_mmap", None)
    if handle is not None and hasattr(handle, "madvise") and hasattr(mmap, "MADV_RANDOM"):
        try:
            handle.madvise(mmap.MADV_RANDOM)
        except OSError:
            pass


SNAPSHOT_MEMBERS = ("ids", "article", "number", "sentence_count", "sentence_first", "sentence_spans",
                    "sentence_vectors", "article_keys", "article_count", "vocab")


def read_snapshot(path: Path, model: str) -> tuple[dict[str, np.ndarray] | None, dict]:
    """The snapshot's arrays, memory-mapped (None when the file is missing, of another format or for another
    model); raises on a damaged file."""
    if not path.exists():
        return None, {}
    arrays = _map_members(path, by_reads=("sentence_vectors",))
    info = json.loads(str(np.asarray(arrays.pop("info")).reshape(-1)[0]))
    if info.get("format") != SNAPSHOT_FORMAT or info.get("model") != model:
        return None, info
    missing = [m for m in SNAPSHOT_MEMBERS if m not in arrays]
    if missing:
        raise ValueError(f"the snapshot lacks {', '.join(missing)}")
    rows, sentences = len(arrays["ids"]), len(arrays["sentence_spans"])
    counts = np.asarray(arrays["sentence_count"])
    if not (len(arrays["article"]) == len(arrays["number"]) == len(counts) == rows
            == len(arrays["bm25_lengths"]) and len(arrays["sentence_vectors"]) == sentences == int(counts.sum())
            and len(_unpack(arrays["article_keys"])) == len(arrays["article_count"]) == len(arrays["abm25_lengths"])
            and int(np.asarray(arrays["article_count"]).sum()) == rows
            and arrays["bm25_fwd_start"][-1] == len(arrays["bm25_fwd_terms"])
            and arrays["bm25_inv_start"][-1] == len(arrays["bm25_inv_slots"])
            and len(arrays["bm25_df"]) <= len(_unpack(arrays["vocab"]))):
        raise ValueError("the snapshot's arrays disagree in length")
    return arrays, info


def build_collection(folder: Path, articles: list[tuple[ArticleMeta, str]], paragraphs: list[Paragraph], embedder,
                     progress: Progress | None = None, index: IndexSettings | None = None) -> Collection:
    """A collection of exactly these articles and paragraphs (evaluation sets come pre-split), with its own store
    in the new ``folder`` (kept open: quotes are read from it); its dense index of the kind ``index`` asks for
    (default: exact)."""
    from retrieval.index.identity import text_hash
    from retrieval.text.sentences import sentence_spans

    folder.mkdir(parents=True, exist_ok=False)
    store = Store(folder / "store.sqlite")
    store._conn.execute("PRAGMA synchronous=OFF")  # a throwaway store: no need to survive a power cut
    by_article: dict[str, list[Paragraph]] = {}
    for p in paragraphs:
        by_article.setdefault(p.article_id, []).append(p)
    for meta, text in articles:
        parts = by_article.get(meta.article_id, [])
        store.put(meta, text, text_hash(text), parts, [sentence_spans(p.text) for p in parts], "eval", [])
    seq, stored = store.load()
    settings = index or IndexSettings(kind="exact")
    collection = Collection(embedder.name, embedder.dimension, store,
                            new_index(settings, embedder.dimension, folder / VECTORS_DIR, len(paragraphs)))
    collection.apply(stored, seq, embedder, full=True, progress=progress)
    collection.dense = fit_kind(collection.dense, settings, folder / VECTORS_DIR)
    return collection
