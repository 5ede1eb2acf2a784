"""The in-memory, queryable view of the store: paragraph vectors (FAISS, keyed by stable paragraph ids),
sentence vectors, paragraph and article BM25, and the texts quotes are cut from.

The store decides what is in the collection; the snapshot file (``index.npz``) only saves work: it holds, per
paragraph id, the paragraph vector, its BM25 tokens and its sentence vectors. Paragraph ids are never reused and
a paragraph's text never changes under its id, so a snapshot can be incomplete (a crash before it was rewritten,
articles added since) but never wrong: opening takes what the snapshot has for the store's paragraphs and
computes the rest (embedding cache first), and drops what the store no longer has.

A running process keeps up with writers (its own or other processes) through the store's change log:
``refresh()`` reloads only the articles changed since the counter it last saw.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from retrieval.bm25 import BM25Index, tokenize
from retrieval.index.store import Store, StoredArticle
from retrieval.index.vectors.base import VectorIndex
from retrieval.index.vectors.factory import IndexSettings, fit_kind, new_index
from retrieval.index.vectors.flat import FlatIndex
from retrieval.models import ArticleMeta, Paragraph

SNAPSHOT_FORMAT = "1"
VECTORS_DIR = "vectors"  # the dense index's own save folder beside the snapshot (``VectorIndex.save``)
Progress = Callable[[str, int, int], None]  # (stage, done, total)


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

    vector: np.ndarray | None  # None: the dense index (loaded from its save folder) holds it already
    tokens: list[str]
    sentence_vectors: np.ndarray


@dataclass
class ApplyReport:
    """What loading or refreshing changed in memory, and what it had to repair."""

    added: int = 0  # paragraphs
    removed: int = 0
    computed: int = 0  # paragraphs whose vectors/tokens were not in the snapshot
    repairs: list[str] = field(default_factory=list)


class _Grow:
    """A growable int64 array."""

    def __init__(self) -> None:
        self.data = np.zeros(64, dtype=np.int64)

    def set(self, index: int, value: int) -> None:
        if index >= len(self.data):
            self.data = np.concatenate([self.data, np.zeros(max(index + 1, len(self.data)), dtype=np.int64)])
        self.data[index] = value


class Collection:
    """The loaded articles and indexes; queried from several threads under ``lock``."""

    def __init__(self, model: str, dimension: int, dense: VectorIndex | None = None) -> None:
        self.model = model
        self.dimension = dimension
        self.articles: dict[str, ArticleMeta] = {}
        self.texts: dict[str, str] = {}
        self.by_id: dict[int, Paragraph] = {}  # live paragraphs by stable id
        self._row_paragraphs: list[Paragraph] = []  # per BM25 slot ("row"), removed ones included (masked)
        self.ids_by_article: dict[str, list[int]] = {}
        self.sentences: dict[int, Sentences] = {}
        self.tokens: dict[int, list[str]] = {}
        self.dense = dense if dense is not None else FlatIndex(dimension)  # any kind (retrieval.index.vectors)
        self.dense.info["model"] = model
        self.bm25 = BM25Index()
        self.article_bm25 = BM25Index()
        self.slot_of: dict[int, int] = {}  # paragraph id -> BM25 slot
        self.id_of_slot = _Grow()
        self.article_of_slot = _Grow()  # paragraph slot -> article BM25 slot
        self.article_slot: dict[str, int] = {}
        self.seq = 0
        self.loaded_at = time.time()
        self.lock = threading.RLock()
        self._sentence_terms: dict[tuple[int, int], frozenset[str]] = {}

    # -- queries (callers hold ``lock``) -----------------------------------------------------------------------
    def sentence_text(self, paragraph_id: int, index: int) -> str:
        start, end = self.sentences[paragraph_id].spans[index]
        return self.by_id[paragraph_id].text[start:end]

    def sentence_terms(self, paragraph_id: int, index: int) -> frozenset[str]:
        """The BM25 tokens of one sentence (computed once)."""
        key = (paragraph_id, index)
        terms = self._sentence_terms.get(key)
        if terms is None:
            terms = self._sentence_terms[key] = frozenset(tokenize(self.sentence_text(paragraph_id, index)))
        return terms

    # -- row view: code that ranks over BM25 slots ("rows") sees paragraphs as a sequence --------------------------
    @property
    def paragraphs(self) -> list[Paragraph]:
        """Paragraphs by row (BM25 slot), as long as the score arrays; a removed paragraph's row keeps it, and the
        ranking masks it out (``bm25.alive``)."""
        return self._row_paragraphs[: self.bm25.slots]

    @property
    def article_of_row(self) -> np.ndarray:
        return self.article_of_slot.data[: self.bm25.slots]

    @property
    def rows_by_article(self) -> dict[str, list[int]]:
        """Each article's rows, in paragraph order (computed once per version)."""
        cached = getattr(self, "_rows_by_article", None)
        if cached is None or cached[0] != self.version:
            rows = {key: [self.slot_of[i] for i in ids] for key, ids in self.ids_by_article.items()}
            cached = self._rows_by_article = (self.version, rows)
        return cached[1]

    @property
    def version(self) -> tuple[int, int, int]:
        """Changes whenever the rows change (caches keyed by collection use it)."""
        return (id(self), self.seq, self.bm25.slots)

    def paragraph_at(self, slot: int) -> Paragraph:
        """The paragraph in a BM25 slot (rankings over ``bm25.coverage`` are by slot)."""
        return self.by_id[int(self.id_of_slot.data[slot])]

    def paragraphs_of(self, key: str) -> list[Paragraph]:
        """An article's paragraphs in order."""
        return [self.by_id[i] for i in self.ids_by_article.get(key, [])]

    @property
    def paragraph_count(self) -> int:
        return len(self.by_id)

    # -- building ----------------------------------------------------------------------------------------------
    def _prepare(self, articles: list[StoredArticle], snapshot: dict[int, Prepared], embedder,
                 progress: Progress | None) -> tuple[dict[int, Prepared], int]:
        """Vectors, tokens and sentence vectors of every paragraph of ``articles``: from ``snapshot`` when it has
        them, else computed (embedding cache first). Runs without the lock."""
        prepared: dict[int, Prepared] = {}
        todo: list[tuple[Paragraph, list[tuple[int, int]]]] = []
        held = self._held_by_dense([p.id for a in articles for p in a.paragraphs
                                    if p.id in snapshot and snapshot[p.id].vector is None])
        for article in articles:
            for p in article.paragraphs:
                known = snapshot.get(p.id)
                if (known is not None and len(known.sentence_vectors) == len(article.sentences[p.id])
                        and (known.vector is not None or p.id in held)):
                    prepared[p.id] = known
                else:
                    todo.append((p, article.sentences[p.id]))
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

    def _held_by_dense(self, ids: list[int]) -> set[int]:
        """Those of ``ids`` the dense index holds."""
        if not ids:
            return set()
        array = np.asarray(ids, dtype=np.int64)
        return set(array[self.dense.contains(array)].tolist())

    def _remove_article(self, key: str) -> int:
        ids = self.ids_by_article.pop(key, [])
        for pid in ids:
            self.bm25.remove(self.slot_of.pop(pid))
            self.by_id.pop(pid, None)
            self.sentences.pop(pid, None)
            self.tokens.pop(pid, None)  # cached sentence terms stay: ids are never reused
        self.dense.delete(ids)
        slot = self.article_slot.pop(key, None)
        if slot is not None:
            self.article_bm25.remove(slot)
        self.articles.pop(key, None)
        self.texts.pop(key, None)
        return len(ids)

    def _add_articles(self, articles: list[StoredArticle], prepared: dict[int, Prepared]) -> int:
        """Index articles whose paragraphs are all in ``prepared``; paragraphs go in in id order."""
        paragraphs = sorted((p for a in articles for p in a.paragraphs), key=lambda p: p.id)
        spans = {p.id: a.sentences[p.id] for a in articles for p in a.paragraphs}
        slots = self.bm25.add_many([prepared[p.id].tokens for p in paragraphs])
        for p, slot in zip(paragraphs, slots, strict=True):
            self.by_id[p.id] = p
            if slot == len(self._row_paragraphs):
                self._row_paragraphs.append(p)
            else:
                self._row_paragraphs[slot] = p
            self.slot_of[p.id] = slot
            self.id_of_slot.set(slot, p.id)
            self.tokens[p.id] = prepared[p.id].tokens
            self.sentences[p.id] = Sentences(np.asarray(spans[p.id], dtype=np.int64).reshape(-1, 2),
                                             np.asarray(prepared[p.id].sentence_vectors, dtype=np.float32))
        fresh = [p for p in paragraphs if prepared[p.id].vector is not None]
        if fresh:
            self.dense.upsert(np.asarray([p.id for p in fresh], dtype=np.int64),
                              np.stack([prepared[p.id].vector for p in fresh]))
        for article in articles:
            key = article.meta.article_id
            self.articles[key] = article.meta
            self.texts[key] = article.text
            ids = [p.id for p in article.paragraphs]
            self.ids_by_article[key] = ids
            words = [t for i in ids for t in self.tokens[i]]
            aslot = self.article_slot[key] = self.article_bm25.add(words)
            for i in ids:
                self.article_of_slot.set(self.slot_of[i], aslot)
        return len(paragraphs)

    def apply(self, stored: dict[str, StoredArticle], seq: int, embedder, *, full: bool = False,
              requested: set[str] | None = None, snapshot: dict[int, Prepared] | None = None,
              progress: Progress | None = None) -> ApplyReport:
        """Make memory match ``stored``: articles whose paragraph ids changed are re-indexed, others only get
        their attribution refreshed; with ``full`` every article not in ``stored`` is dropped, else only the
        ``requested`` keys missing from it."""
        report = ApplyReport()
        with self.lock:
            current = {key: list(ids) for key, ids in self.ids_by_article.items()}
        changed = [a for key, a in stored.items() if current.get(key) != [p.id for p in a.paragraphs]]
        prepared, report.computed = self._prepare(changed, snapshot or {}, embedder, progress)
        gone = (set(current) - set(stored)) if full else ((requested or set()) - set(stored))
        with self.lock:
            for key in gone:
                report.removed += self._remove_article(key)
            for article in changed:
                report.removed += self._remove_article(article.meta.article_id)
            report.added = self._add_articles(changed, prepared)
            for key, article in stored.items():
                self.articles[key] = article.meta
                self.texts[key] = article.text
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
        """Rebuild the BM25 slot arrays when dead slots (removed paragraphs) outnumber a third of them."""
        dead = self.bm25.slots - self.bm25.size
        if dead < 1000 or dead * 3 < self.bm25.slots:
            return
        ids = sorted(self.by_id)
        self.bm25, self.article_bm25 = BM25Index(), BM25Index()
        self.slot_of, self.id_of_slot, self.article_of_slot, self.article_slot = {}, _Grow(), _Grow(), {}
        self._row_paragraphs = [self.by_id[i] for i in ids]
        for slot, pid in zip(self.bm25.add_many([self.tokens[i] for i in ids]), ids, strict=True):
            self.slot_of[pid] = slot
            self.id_of_slot.set(slot, pid)
        for key, pids in self.ids_by_article.items():
            aslot = self.article_slot[key] = self.article_bm25.add([t for i in pids for t in self.tokens[i]])
            for i in pids:
                self.article_of_slot.set(self.slot_of[i], aslot)

    # -- snapshot ------------------------------------------------------------------------------------------------
    def save_snapshot(self, path: Path) -> None:
        """Write the snapshot aside, fsync, and ``os.replace`` it over ``path`` (atomic)."""
        with self.lock:
            ids = np.asarray(sorted(self.by_id), dtype=np.int64)
            self.dense.save(path.parent / VECTORS_DIR)  # paragraph vectors: the index's own files
            vocab: dict[str, int] = {}
            token_ids = [vocab.setdefault(t, len(vocab)) for i in ids for t in self.tokens[int(i)]]
            token_first = np.cumsum([0] + [len(self.tokens[int(i)]) for i in ids])
            sentence_first = np.cumsum([0] + [len(self.sentences[int(i)].vectors) for i in ids])
            sentence_vectors = (np.concatenate([self.sentences[int(i)].vectors for i in ids])
                                if len(ids) else np.zeros((0, self.dimension), np.float32))
            info = {"format": SNAPSHOT_FORMAT, "model": self.model, "seq": self.seq, "written_at": time.time()}
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        try:
            with open(tmp, "wb") as handle:
                np.savez(handle, info=np.asarray(json.dumps(info)), ids=ids,
                         vocab=np.asarray(list(vocab), dtype=str), token_ids=np.asarray(token_ids, dtype=np.int32),
                         token_first=token_first.astype(np.int64), sentence_first=sentence_first.astype(np.int64),
                         sentence_vectors=sentence_vectors.astype(np.float32))
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def read_snapshot(path: Path, model: str) -> tuple[dict[int, Prepared], dict]:
    """Per-paragraph prepared data from a snapshot file ({} when it is missing or for another model); raises on
    a damaged file."""
    if not path.exists():
        return {}, {}
    with np.load(path, allow_pickle=False) as data:
        info = json.loads(str(data["info"]))
        if info.get("format") != SNAPSHOT_FORMAT or info.get("model") != model:
            return {}, info
        ids = data["ids"]
        vectors = data["vectors"] if "vectors" in data else None  # older snapshots held the paragraph vectors
        vocab = data["vocab"].tolist()
        token_ids, token_first = data["token_ids"], data["token_first"]
        sentence_first, sentence_vectors = data["sentence_first"], data["sentence_vectors"]
    if not ((vectors is None or len(vectors) == len(ids)) and len(token_first) == len(sentence_first) == len(ids) + 1
            and token_first[-1] == len(token_ids) and sentence_first[-1] == len(sentence_vectors)):
        raise ValueError("the snapshot's arrays disagree in length")
    words = np.asarray(vocab, dtype=object)[token_ids] if len(token_ids) else np.zeros(0, dtype=object)
    prepared = {
        int(pid): Prepared(None if vectors is None else vectors[n], words[token_first[n]:token_first[n + 1]].tolist(),
                           sentence_vectors[sentence_first[n]:sentence_first[n + 1]])
        for n, pid in enumerate(ids)
    }
    return prepared, info


def build_collection(folder: Path, articles: list[tuple[ArticleMeta, str]], paragraphs: list[Paragraph], embedder,
                     progress: Progress | None = None, index: IndexSettings | None = None) -> Collection:
    """A collection of exactly these articles and paragraphs (evaluation sets come pre-split), with its own store
    in the new ``folder``; its dense index of the kind ``index`` asks for (default: exact)."""
    from retrieval.index.identity import text_hash
    from retrieval.sentences import sentence_spans

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
    collection = Collection(embedder.name, embedder.dimension,
                            new_index(settings, embedder.dimension, folder / VECTORS_DIR, len(paragraphs)))
    collection.apply(stored, seq, embedder, full=True, progress=progress)
    collection.dense = fit_kind(collection.dense, settings, folder / VECTORS_DIR)
    store.close()
    return collection
