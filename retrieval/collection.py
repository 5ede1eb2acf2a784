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

import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from retrieval.bm25 import BM25Index, Grow, Vocab, ranges
from retrieval.index.datadir import fsync_dir
from retrieval.index.mappings import LazyMapping, RowParagraphs
from retrieval.index.prepare import Prepared, Progress, prepare
from retrieval.index.sentence_vectors import SentenceVectors
from retrieval.index.snapshot import SNAPSHOT_FORMAT, pack, prefixed, unpack, write_snapshot
from retrieval.index.store import Store, StoredArticle
from retrieval.index.vectors.base import VectorIndex
from retrieval.index.vectors.flat import FlatIndex
from retrieval.models import ArticleMeta, Paragraph
from retrieval.reading import Reading
from retrieval.shared_lock import SharedLock
from retrieval.text.tokens import tokenize

VECTORS_DIR = "vectors"  # the dense index's own save folder beside the snapshot (``VectorIndex.save``)
OPEN_BATCH = 2000  # articles computed per batch when the snapshot lacks them (bounded memory)
PARAGRAPH_CACHE = 4096  # paragraphs (with text) kept after a look-up
SENTENCE_TERMS_CACHE = 100_000


@dataclass
class Sentences:
    """One paragraph's sentences: offsets inside the paragraph text and unit vectors."""

    spans: np.ndarray  # (n, 2) int
    vectors: np.ndarray  # (n, dim) float32


@dataclass
class ApplyReport:
    """What loading or refreshing changed in memory, and what it had to repair."""

    added: int = 0  # paragraphs
    removed: int = 0
    computed: int = 0  # paragraphs whose vectors/tokens were not in the snapshot
    repairs: list[str] = field(default_factory=list)
    orphans: int = 0  # snapshot paragraphs the store no longer has


class Collection:
    """The loaded articles and indexes; read from several threads at once under a share of ``lock`` (``reading()``),
    changed under ``lock`` alone (``with collection.lock:``)."""

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
        self.lock = SharedLock()  # questions read side by side (``reading()``); ``with lock:`` writes alone
        self._cache_lock = threading.Lock()  # the paragraph and sentence-term caches readers fill side by side
        self._sorted = True  # row ids ascend (then a row is found by binary search)
        self._order: tuple | None = None
        self._paragraphs: OrderedDict[int, Paragraph] = OrderedDict()
        self._sentence_terms: dict[tuple[int, int], frozenset[str]] = {}
        self._changes = 0
        self.derived: dict[str, tuple] = {}  # per-row arrays queries derive, with the version they belong to

    def reading(self) -> Reading:
        """The read-only view queries use; entered, it holds a share of ``lock``."""
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
        else:  # ordered over the live rows only: a re-added paragraph's id is also on its dead row
            entry = self._order  # built once per change; readers that race build the same and keep their own
            if entry is None or entry[0] != (len(known), self._changes):
                live = np.flatnonzero(self.bm25.alive)
                order = live[np.argsort(known[live], kind="stable")]
                entry = self._order = ((len(known), self._changes), known[order], order)
            _, ordered, order = entry
            if not len(order):
                return np.full(len(ids), -1, dtype=np.int64)
            pos = np.minimum(np.searchsorted(ordered, ids), len(ordered) - 1)
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
        return LazyMapping(self.row_of, lambda: map(int, self.live_ids()), lambda: self.bm25.size)

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
    def ids_by_article(self) -> Mapping[str, list[int]]:
        """Each article's paragraph ids, in paragraph order."""
        def get(key):
            rows = self.article_rows(key)
            return self.id_of_slot.data[rows.start:rows.stop].tolist() if key in self.article_slot else None
        return LazyMapping(get, lambda: iter(self.article_slot), lambda: len(self.article_slot))

    @property
    def cached_paragraphs(self) -> int:
        """How many paragraph texts are held in memory (read from the store on demand, at most PARAGRAPH_CACHE)."""
        return len(self._paragraphs)

    @property
    def paragraph_count(self) -> int:
        return self.bm25.size

    # -- texts (from the store) --------------------------------------------------------------------------------
    def fetch(self, ids) -> dict[int, Paragraph]:
        """The paragraphs with these ids that the store still has (one query for those not cached)."""
        found: dict[int, Paragraph] = {}
        missing = []
        with self._cache_lock:  # readers share the cache: its order changes on every look-up
            for i in map(int, ids):
                p = self._paragraphs.get(i)
                if p is None:
                    missing.append(i)
                else:
                    self._paragraphs.move_to_end(i)
                    found[i] = p
        if missing and self.store is not None:
            read = self.store.paragraphs_by_id(missing)  # outside the guard: the store has its own lock
            with self._cache_lock:
                for i, p in read.items():
                    found[i] = self._paragraphs[i] = p
                while len(self._paragraphs) > PARAGRAPH_CACHE:
                    self._paragraphs.popitem(last=False)
        return found

    def paragraph(self, paragraph_id: int) -> Paragraph | None:
        """An indexed paragraph with its text, or None (not indexed, or gone from the store)."""
        if self.row_of(paragraph_id) is None:
            return None
        return self.fetch([paragraph_id]).get(int(paragraph_id))

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
    def paragraphs(self) -> RowParagraphs:
        """Paragraphs by row, as long as the score arrays; a removed paragraph's row stays (masked by
        ``bm25.alive``)."""
        return RowParagraphs(self)

    def paragraphs_of(self, key: str) -> list[Paragraph]:
        """An article's paragraphs in order."""
        rows = self.article_rows(key)
        ids = self.id_of_slot.data[rows.start:rows.stop].tolist()
        found = self.fetch(ids)
        return [found[i] for i in ids if i in found]

    @property
    def texts(self) -> Mapping[str, str]:
        """Article texts by key, read from the store."""
        return LazyMapping(lambda k: self.store.article_text(k) if self.store is not None and k in self.articles
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
        return LazyMapping(get, lambda: map(int, self.live_ids()), lambda: self.bm25.size)

    def sentence_text(self, paragraph_id: int, index: int) -> str:
        row = self.row_of(paragraph_id)
        first = int(self.sentence_first.data[row])
        start, end = self.sentence_spans.data[first + index]
        return self.fetch([paragraph_id])[int(paragraph_id)].text[int(start):int(end)]

    def sentence_terms(self, paragraph_id: int, index: int, text: str | None = None) -> frozenset[str]:
        """The BM25 tokens of one sentence (computed once; ``text`` saves a look-up)."""
        key = (int(paragraph_id), index)
        terms = self._sentence_terms.get(key)  # one dict look-up: atomic, readers share the cache
        if terms is None:
            terms = frozenset(tokenize(text if text is not None else self.sentence_text(paragraph_id, index)))
            with self._cache_lock:
                if len(self._sentence_terms) >= SENTENCE_TERMS_CACHE:
                    self._sentence_terms.clear()
                self._sentence_terms[key] = terms
        return terms

    # -- building ----------------------------------------------------------------------------------------------
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
        with self._cache_lock:
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
        prepared, report.computed = prepare(changed, embedder, progress)
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
        self.load_arrays(self.live_arrays(sentences=False), sentences=False)

    # -- live arrays (compaction and snapshot) -------------------------------------------------------------------
    def live_arrays(self, sentences: bool = True) -> dict[str, np.ndarray]:
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
            "article_keys": pack([self.article_keys[a] for a in arts]),
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
        out["vocab"] = pack(self.vocab.words)
        return out

    def load_arrays(self, arrays: dict[str, np.ndarray], sentences: bool = True) -> None:
        """Replace the row arrays and BM25 indexes with ``arrays`` (from :meth:`live_arrays` or a snapshot);
        with ``sentences`` the sentence arrays too."""
        if "vocab" in arrays and sentences:
            self.vocab = Vocab(unpack(arrays["vocab"]))
        self.bm25 = BM25Index.from_arrays(prefixed(arrays, "bm25_"), self.vocab)
        self.article_bm25 = BM25Index.from_arrays(prefixed(arrays, "abm25_"), self.vocab)
        self.id_of_slot = Grow(np.int64, base=arrays["ids"])
        self.article_of_slot = Grow(np.int32, base=arrays["article"])
        self.row_number = Grow(np.int32, base=arrays["number"])
        self.sentence_first = Grow(np.int64, base=arrays["sentence_first"])
        self.sentence_count = Grow(np.int32, base=arrays["sentence_count"])
        if sentences:
            self.sentence_spans = Grow(np.int32, width=2, base=arrays["sentence_spans"])
            self.sentence_vectors = SentenceVectors(self.dimension, arrays["sentence_vectors"], self.spill_dir)
        keys = arrays["article_keys"]
        self.article_keys = unpack(keys) if isinstance(keys, np.ndarray) and keys.dtype == np.uint8 else list(keys)
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
            arrays = self.live_arrays()
            rows = np.flatnonzero(self.bm25.alive)
            firsts, counts = self.sentence_first.view()[rows], self.sentence_count.view()[rows]
            source = self.sentence_vectors
            self.dense.save(path.parent / VECTORS_DIR)  # paragraph vectors: the index's own files
            info = {"format": SNAPSHOT_FORMAT, "model": self.model, "seq": self.seq, "written_at": time.time()}
            chunk = 20_000
            vectors = (source.take(ranges(firsts[n:n + chunk], firsts[n:n + chunk] + counts[n:n + chunk]))
                       for n in range(0, len(rows), chunk))
            write_snapshot(path, info, arrays,
                           {"sentence_vectors": ((int(counts.sum()), self.dimension), np.float16, vectors)})
        fsync_dir(path.parent)
