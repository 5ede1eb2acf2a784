"""The articles of one data directory (its files: retrieval/index/datadir.py): opened (and repaired), asked,
summarised, described; writes go through its ``Indexer`` (retrieval/index/indexer.py) and ``SourceSync``
(retrieval/sources/sync.py).

Reading (``ask``, ``summary``) loads the collection once and, before each use, applies what the store's change log
says changed since — this process's writes and other processes' alike.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from pathlib import Path

from embeddings import CachedEmbedder
from retrieval.collection import Collection, Progress
from retrieval.errors import IndexMissingError
from retrieval.index.indexer import Indexer
from retrieval.index.report import IndexReport
from retrieval.index.store import ADDED, Store
from retrieval.index.vectors.factory import IndexSettings
from retrieval.models import ArticleMeta, Summary, newest_first
from retrieval.opening import CACHE_FILE, load_collection, open_embedder, open_store  # noqa: F401 (re-exported)
from retrieval.query.answerer import Answerer
from retrieval.query.fusion import for_model
from retrieval.settings import RetrievalSettings, SplitterSettings
from retrieval.sources.sync import SourceSync
from retrieval.summaries import summarize
from retrieval.text.articles import Article
from retrieval.text.paragraphs import ParagraphSplitter
from retrieval.threads import use_query_threads

log = logging.getLogger("citebot.library")

STORE_FILE = "citebot.sqlite"
SNAPSHOT_FILE = "index.npz"
CHECKPOINT_MIN_ARTICLES = 20  # rewrite the snapshot once this many articles (and 5 %) changed since the last one


class Library:
    """The articles as indexed in ``data_dir``: answers from the collection while writers add and remove."""

    def __init__(
        self,
        data_dir: Path,
        embedder: CachedEmbedder,
        retrieval: RetrievalSettings | None = None,
        splitter: SplitterSettings | None = None,
        write_timeout: float = 0.0,
        index: IndexSettings | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.index_settings = index or IndexSettings()  # the dense index's kind ([index])
        self.embedder = embedder
        self.retrieval = for_model(retrieval or RetrievalSettings(), embedder.name)
        self.splitter = ParagraphSplitter(splitter)
        self.indexer = Indexer(self.data_dir, lambda: self.store, embedder, self.splitter, write_timeout,
                               has_index=self.has_index, after_write=self._after_write)
        self.sources_sync = SourceSync(self.indexer)
        self.allow_model_change = False  # re-embed on load when the index was built with another model
        self.repairs: list[str] = []  # what opening had to repair (shown by the CLI, logged by the bot)
        self._store: Store | None = None
        self._collection: Collection | None = None
        self._load_lock = threading.RLock()

    # the indexer's: seconds a writer waits for another process's lock, and what it is told while it waits
    write_timeout = property(lambda self: self.indexer.write_timeout,
                             lambda self, value: setattr(self.indexer, "write_timeout", value))
    on_wait = property(lambda self: self.indexer.on_wait, lambda self, value: setattr(self.indexer, "on_wait", value))

    # -- the store -----------------------------------------------------------------------------------------
    @property
    def store(self) -> Store:
        """The store, opened once; an old-format data directory is set aside, a damaged store set aside."""
        with self._load_lock:
            return self._open_store()

    def _open_store(self) -> Store:
        if self._store is None:
            self._store = open_store(self.data_dir, STORE_FILE, self.repairs)
            cache = getattr(self.embedder, "cache", None)
            if getattr(cache, "repaired", None):
                self.repairs.append(cache.repaired)
                cache.repaired = None
        return self._store

    # -- reading -------------------------------------------------------------------------------------------
    def has_index(self) -> bool:
        """Whether any article is indexed."""
        if not (self.data_dir / STORE_FILE).exists():
            return False
        try:
            return self.store.counts()[0] > 0
        except Exception:  # noqa: BLE001 - a damaged store counts as none (it is repaired on open)
            return False

    def collection(self) -> Collection:
        """The collection, loaded once and brought up to date with the store before each use;
        ``IndexMissingError`` when nothing is indexed."""
        with self._load_lock:
            if self._store is None and not (self.data_dir / STORE_FILE).exists():  # reading never creates it
                raise IndexMissingError(f"no articles are indexed in {self.data_dir}: run `citebot index`")
            store = self._open_store()
            if self._collection is None:
                if store.counts()[0] == 0 and not store.all_origins():
                    repaired = "".join(f"{m}; " for m in self.repairs)
                    raise IndexMissingError(f"{repaired}no articles are indexed in {self.data_dir}: "
                                            "run `citebot index`")
                self._collection = self._load(store)
            else:
                report = self._collection.refresh(store, self.embedder)
                if report and (report.added or report.removed):
                    log.info("applied changes from the store: +%d/-%d paragraph(s)", report.added, report.removed)
            return self._collection

    def _load(self, store: Store) -> Collection:
        collection, report, moved = load_collection(self.data_dir / SNAPSHOT_FILE, store, self.embedder,
                                                    self.index_settings, self.repairs,
                                                    self.allow_model_change or self.indexer.indexing)
        if (report.computed >= max(CHECKPOINT_MIN_ARTICLES, 0.05 * max(1, collection.paragraph_count))
                or report.orphans or moved):
            self.checkpoint(collection)
        return collection

    def checkpoint(self, collection: Collection) -> None:
        """Rewrite the snapshot from the collection (any process may: a snapshot is never wrong)."""
        try:
            collection.save_snapshot(self.data_dir / SNAPSHOT_FILE)
            self.store.set_meta("snapshot_seq", str(collection.seq))
        except OSError as exc:
            log.warning("could not write the index snapshot: %s", exc)

    def answerer(self) -> Answerer:
        """An answerer over the collection (brought up to date at call time)."""
        return Answerer(self.collection(), self.embedder, self.retrieval)

    def ask(self, question: str, k: int | None = None, **options):
        """``Answerer.ask`` over the current generation (options: history, window, today)."""
        use_query_threads()
        return self.answerer().ask(question, k, **options)

    def summary(self, sentences: int, article: str | None = None, topic: str | None = None, **options) -> Summary:
        """Key sentences of ``article`` (id or title), about ``topic``, or of the latest article (options: window,
        a digest of the period when neither is given)."""
        use_query_threads()
        return summarize(self.answerer(), sentences, article=article, topic=topic, **options)

    indexing = property(lambda self: self.indexer.indexing, doc="Whether this process is writing now.")

    # -- writing (the indexer and the source sync; see retrieval/index/indexer.py, retrieval/sources/sync.py) ----
    def upsert(self, articles: Iterable[Article], origin: str = ADDED, progress: Progress | None = None,
               report: IndexReport | None = None) -> IndexReport:
        """``Indexer.upsert``: add or update ``articles``."""
        return self.indexer.upsert(articles, origin, progress, report)

    def name_article(self, ref: str) -> tuple[str, set[str]]:
        """The key of the one article ``ref`` names (``naming.resolve_article``: id, short id, URL, title or an
        unambiguous part of it; "did you mean" otherwise) and the sources that provide it."""
        from retrieval.index.naming import resolve_article

        key = resolve_article(self.store, ref)
        return key, self.store.origins(key)

    def remove(self, ref: str) -> list[ArticleMeta]:
        """``Indexer.remove``: remove the article named by ``ref``; returns what went."""
        return self.indexer.remove(ref)

    def index(self, paths: list[Path], progress: Progress | None = None) -> IndexReport:
        """``Indexer.index``: add or update the article files under ``paths``."""
        return self.indexer.index(paths, progress)

    def sync(self, sources: list, client=None, progress: Progress | None = None, *, prune: bool = True,
             refetch: bool = True, confirmed: bool = False) -> IndexReport:
        """``SourceSync.sync``: re-read every source once, prune what left them (more than half of the index only
        when ``confirmed``)."""
        return self.sources_sync.sync(sources, client, progress, prune=prune, refetch=refetch, confirmed=confirmed)

    def source_status(self, sources: list | None = None) -> list[dict]:
        """``SourceSync.status``: each source with its article count, last poll, last success, last error."""
        return self.sources_sync.status(sources)

    def _after_write(self) -> None:
        """Bring a loaded collection up to date; rewrite the snapshot when many articles changed since it."""
        store = self.store
        since = int(store.get_meta("snapshot_seq") or 0)
        _, changed = store.changed_since(since)
        articles = store.counts()[0]
        due = len(changed) >= max(CHECKPOINT_MIN_ARTICLES, 0.05 * articles) or (
            changed and not (self.data_dir / SNAPSHOT_FILE).exists())
        if self._collection is not None or due:
            try:
                collection = self.collection()
            except IndexMissingError:
                return
            if due:
                self.checkpoint(collection)

    # -- describing ----------------------------------------------------------------------------------------
    def indexed_articles(self, keys: Iterable[str], loaded_only: bool = False) -> dict[str, tuple[ArticleMeta, int]]:
        """The attribution and paragraph count of each of ``keys`` that is indexed; with ``loaded_only`` from the
        collection only if it is loaded (never loads nor refreshes it), else ``{}``."""
        collection = self._collection if loaded_only else self.collection()
        if collection is None:
            return {}
        with collection.lock.read():  # a share: questions go on meanwhile
            return {key: (collection.articles[key], len(collection.ids_by_article.get(key, [])))
                    for key in keys if key in collection.articles}

    def article_page(self, limit: int) -> tuple[list[dict], int]:
        """The first ``limit`` stored articles, newest first (``Store.article_page``), and how many are stored."""
        return self.store.article_page(limit), self.store.article_count()

    def match_titles(self, typed: str, limit: int = 25) -> list[ArticleMeta]:
        """Stored articles whose titles match what was typed (``Store.match_titles``); [] while the store is not
        open (never opens it)."""
        store = self._store
        return [] if store is None else store.match_titles(typed, limit)

    def sources(self) -> list[dict]:
        """Indexed articles with publisher, date and paragraph count, newest first."""
        collection = self.collection()
        with collection.lock.read():  # a share: questions go on meanwhile
            metas = list(collection.articles.values())
            counts = {key: len(ids) for key, ids in collection.ids_by_article.items()}
        return [{"article_id": meta.article_id, "title": meta.title, "source": meta.source, "published": meta.published,
                 "url": meta.url, "paragraphs": counts.get(meta.article_id, 0)} for meta in newest_first(metas)]

    def status(self) -> dict:
        """Counts, index age, model and the last re-index result."""
        info: dict = {"data_dir": str(self.data_dir), "model": self.embedder.name, "indexing": self.indexing}
        try:
            collection = self.collection()
            with collection.lock.read():  # a share: questions go on meanwhile
                info.update({
                    "articles": len(collection.articles),
                    "paragraphs": collection.paragraph_count,
                    "built_at": collection.loaded_at,
                    "age_seconds": max(0.0, time.time() - collection.loaded_at),
                    "index_model": collection.model,
                })
        except IndexMissingError as exc:
            info["error"] = str(exc)
        report = self.indexer.last_report()
        info["last_index"] = report.to_json() if report else None
        if report and report.finished_at:
            info["age_seconds"] = max(0.0, time.time() - report.finished_at)
        return info

