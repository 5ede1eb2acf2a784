"""The data directory: the store, the in-memory collection kept current, writing one article at a time, sources.

Layout of ``data_dir``::

    citebot.sqlite     the store (articles, aliases, origins, paragraphs, sentences, change log, source status)
    index.npz          snapshot: row arrays, float16 sentence vectors, both BM25 indexes (uncompressed .npy members,
                       memory-mapped or read by offset on load; a cache of work keyed by paragraph id, never wrong)
    vectors/           the dense index's own files (``[index] kind``; ``VectorIndex.save``), never wrong either
    embeddings.sqlite  the embedding cache
    write.lock         one writer at a time across processes (names its holder)
    last_index.json    the last index/sync report

Writing (``upsert``, ``remove``, ``index``, ``sync``) holds the write lock, embeds new text into the cache
first, then commits each article in one store transaction. Reading (``ask``, ``summary``) loads the collection
once and, before each use, applies what the store's change log says changed since — this process's writes and
other processes' alike.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

from embeddings import CachedEmbedder, EmbeddingCache
from embeddings.choice import make_cached_embedder
from retrieval.collection import VECTORS_DIR, Collection, Progress, read_snapshot
from retrieval.errors import CitebotError, IndexMissingError, ModelChangedError
from retrieval.index.datadir import fsync_write, set_aside
from retrieval.index.identity import normalise_url, text_hash
from retrieval.index.lock import WriteLock
from retrieval.index.report import IndexReport
from retrieval.index.store import ADDED, Store, StoreError
from retrieval.index.vectors.factory import IndexSettings, fit_kind, open_index
from retrieval.models import ArticleMeta, Summary, newest_first
from retrieval.query.answerer import Answerer
from retrieval.settings import RetrievalSettings, SplitterSettings, for_model
from retrieval.summaries import ArticleNotFoundError, summarize
from retrieval.text.articles import Article, read_articles
from retrieval.text.paragraphs import ParagraphSplitter
from retrieval.text.sentences import sentence_spans
from retrieval.threads import use_query_threads

log = logging.getLogger("citebot.library")

STORE_FILE = "citebot.sqlite"
SNAPSHOT_FILE = "index.npz"
REPORT_FILE = "last_index.json"
CACHE_FILE = "embeddings.sqlite"
OLD_FORMAT = ("CURRENT", "index")  # the generation folders of citebot before the incremental store
UPSERT_BATCH = 500  # articles split, embedded and committed together by a write
CHECKPOINT_MIN_ARTICLES = 20  # rewrite the snapshot once this many articles (and 5 %) changed since the last one


def open_embedder(model: str, data_dir: Path, batch_size: int = 32, query_runtime: str = "onnx") -> CachedEmbedder:
    """The model (loaded lazily, once) behind the persistent embedding cache in ``data_dir``; questions through
    ONNX Runtime (exported once into ``data_dir/onnx``) unless ``query_runtime="torch"``."""
    data_dir.mkdir(parents=True, exist_ok=True)
    return make_cached_embedder(model, EmbeddingCache(data_dir / CACHE_FILE), batch_size, query_runtime,
                                data_dir / "onnx")


def article_aliases(article: Article) -> list[str]:
    """Every name an article can be found by: its id, its normalised URLs (fetched, canonical, aliases), its
    file path."""
    urls = [article.meta.url, *getattr(article, "aliases", [])]
    names = [normalise_url(u) for u in urls if u]
    names += [u for u in urls if u]
    if article.meta.path:
        names.append(article.meta.path)
    return list(dict.fromkeys(n for n in names if n))


@dataclass(frozen=True)
class FolderSource:
    """A folder of article files as a source (``[articles] folders`` in config)."""

    location: str
    name: str | None = None
    kind: str = "folder"
    keep_days: int = 0


def source_name(spec) -> str:
    """A source's name: ``name`` from config, else its location."""
    return str(getattr(spec, "name", None) or getattr(spec, "location", ""))


def _older_than(published: str | None, first_seen: float, keep_days: int) -> bool:
    if keep_days <= 0:
        return False
    cutoff = date.today() - timedelta(days=keep_days)
    try:
        when = date.fromisoformat(published) if published else date.fromtimestamp(first_seen)
    except ValueError:
        when = date.fromtimestamp(first_seen)
    return when < cutoff


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
        self.write_timeout = write_timeout
        self.on_wait = None  # called with the holder's description when a writer has to wait for the lock
        self.allow_model_change = False  # re-embed on load when the index was built with another model
        self.repairs: list[str] = []  # what opening had to repair (shown by the CLI, logged by the bot)
        self._store: Store | None = None
        self._collection: Collection | None = None
        self._load_lock = threading.RLock()
        self._writers = 0
        self._writers_lock = threading.Lock()

    # -- the store -----------------------------------------------------------------------------------------
    @property
    def store(self) -> Store:
        """The store, opened once; an old-format data directory is set aside, a damaged store set aside."""
        with self._load_lock:
            return self._open_store()

    def _open_store(self) -> Store:
        if self._store is None:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            self._migrate_old_format()
            path = self.data_dir / STORE_FILE
            try:
                self._store = Store(path)
                self._store.counts()
            except StoreError:
                raise
            except Exception as exc:  # sqlite3.DatabaseError and friends: garbage, truncated
                if self._store is not None:
                    self._store.close()
                    self._store = None
                self.repairs.append(set_aside(path, f"{type(exc).__name__}: {exc}") +
                                    "; run `citebot index` to re-read the sources (articles added by hand must be "
                                    "added again)")
                self._store = Store(path)
            self._check_cache()
        return self._store

    def _migrate_old_format(self) -> None:
        """Generation folders from before the incremental store are set aside; the sources are read again."""
        found = [self.data_dir / name for name in OLD_FORMAT if (self.data_dir / name).exists()]
        if not found or (self.data_dir / STORE_FILE).exists():
            return
        target = self.data_dir / f"old-format-{time.strftime('%Y%m%d-%H%M%S')}"
        target.mkdir()
        for path in found:
            os.replace(path, target / path.name)
        message = (f"the index in {self.data_dir} has the old format: set aside in {target.name}; "
                   "it is rebuilt from the sources (`citebot index`), unchanged text from the embedding cache")
        log.warning("%s", message)
        self.repairs.append(message)

    def _check_cache(self) -> None:
        cache = getattr(self.embedder, "cache", None)
        repaired = getattr(cache, "repaired", None)
        if repaired:
            self.repairs.append(repaired)
            cache.repaired = None

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

    def loaded_collection(self) -> Collection | None:
        """The collection if it is loaded (never loads, refreshes or waits: safe on an event loop)."""
        return self._collection

    def loaded_store(self) -> Store | None:
        """The store if it is open (never opens it nor waits: safe on an event loop)."""
        return self._store

    def _load(self, store: Store) -> Collection:
        started = time.monotonic()
        path = self.data_dir / SNAPSHOT_FILE
        for stale in self.data_dir.glob(f".{SNAPSHOT_FILE}.*.tmp"):  # a write cut short
            stale.unlink(missing_ok=True)
        try:
            _, info = read_snapshot(path, self.embedder.name)
        except Exception as exc:  # noqa: BLE001 - any damage: set aside, recompute from store and cache
            self.repairs.append(set_aside(path, f"{type(exc).__name__}: {exc}"))
            info = {}
        if info and info.get("model") != self.embedder.name and not (self.allow_model_change or self._writers):
            raise ModelChangedError(info.get("model"), self.embedder.name)
        if info and info.get("model") != self.embedder.name:
            self.repairs.append(f"the index files were built with the model {info.get('model')!r}; "
                                f"re-embedding with {self.embedder.name!r}")
        folder = self.data_dir / VECTORS_DIR

        def opened(snapshot: Path | None):
            dense = open_index(self.index_settings, self.embedder.dimension, folder, self.embedder.name)
            return Collection.open(store, snapshot, self.embedder, dense=dense)

        try:
            collection, report, info = opened(path if path.exists() else None)
        except (ValueError, OSError, KeyError, IndexError) as exc:  # damage the first read did not see
            self.repairs.append(set_aside(path, f"{type(exc).__name__}: {exc}"))
            collection, report, info = opened(None)
        dense = collection.dense
        collection.dense = fit_kind(dense, self.index_settings, folder)
        moved = collection.dense is not dense  # another kind now: save it so the next start loads it as is
        orphans = report.orphans
        if info and (report.computed or orphans):
            log.info("the index snapshot was behind the store: %d paragraph(s) added from the embedding cache, "
                     "%d no longer stored dropped", report.computed, orphans)
        log.info("loaded %d article(s), %d paragraph(s) in %.1f s", len(collection.articles),
                 collection.paragraph_count, time.monotonic() - started)
        if (report.computed >= max(CHECKPOINT_MIN_ARTICLES, 0.05 * max(1, collection.paragraph_count)) or orphans
                or moved):
            self._checkpoint(collection)
        return collection

    def _checkpoint(self, collection: Collection) -> None:
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

    @property
    def indexing(self) -> bool:
        """Whether this process is writing now."""
        return self._writers > 0

    def last_report(self) -> IndexReport | None:
        path = self.data_dir / REPORT_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            data["skipped"] = [tuple(s) for s in data.get("skipped", [])]
            return IndexReport(**data)
        except (OSError, ValueError, TypeError):
            return None

    # -- writing -------------------------------------------------------------------------------------------
    def writing(self, timeout: float | None = None, on_wait=None) -> WriteLock:
        """The data directory's write lock (``timeout`` default: ``write_timeout``)."""
        return WriteLock(self.data_dir, self.write_timeout if timeout is None else timeout,
                         on_wait=on_wait or self.on_wait)

    def _enter(self) -> None:
        with self._writers_lock:
            self._writers += 1

    def _leave(self) -> None:
        with self._writers_lock:
            self._writers -= 1

    def upsert(self, articles: Iterable[Article], origin: str = ADDED, progress: Progress | None = None,
               report: IndexReport | None = None) -> IndexReport:
        """Add or update ``articles`` (each one its own transaction), recording ``origin`` for each; unchanged
        articles are only marked seen. Takes the write lock."""
        started = time.time()
        report = report or IndexReport(0, 0, 0, 0.0)
        self._enter()
        try:
            with self.writing():
                self._upsert(list(articles), origin, progress, report)
                self._after_write()
        finally:
            self._leave()
        return self._finish(report, started)

    def _upsert(self, articles: list[Article], origin: str, progress: Progress | None, report: IndexReport) -> None:
        """Split, embed and commit ``articles`` a batch at a time (memory bounded by the batch, not the corpus)."""
        if progress:
            progress("read", len(articles), len(articles))
        for n in range(0, len(articles), UPSERT_BATCH):
            self._upsert_batch(articles[n:n + UPSERT_BATCH], origin, progress, report)

    def _upsert_batch(self, articles: list[Article], origin: str, progress: Progress | None,
                      report: IndexReport) -> None:
        store = self.store
        plans = []
        seen: set[str] = set()
        for article in articles:
            aliases = article_aliases(article)
            digest = text_hash(article.text)
            key = store.resolve(article.meta.article_id, aliases, digest) or article.meta.article_id
            if key in seen:  # the same story twice in one batch
                store.touch(key, None, origin, aliases)
                report.unchanged += 1
                continue
            seen.add(key)
            meta = replace(article.meta, article_id=key)
            state = store.article_state(key)
            if state is not None and state[0] == digest:
                own = key == article.meta.article_id
                store.touch(key, meta if own and state[1] != meta else None, origin, aliases)
                report.unchanged += 1
                continue
            paragraphs = self.splitter.split(key, article.text)
            if not paragraphs:
                report.skipped.append((article.meta.path or article.meta.url or key, "no quotable paragraphs"))
                continue
            if state is not None and key != article.meta.article_id:
                meta = replace(meta, url=state[1].url or meta.url)  # keep the first URL the story came by
            spans = [sentence_spans(p.text) for p in paragraphs]
            plans.append((meta, article.text, digest, paragraphs, spans, aliases, state is None))
        # embed everything new first (the cache is what readers load vectors from), then commit article by article
        before = self.embedder.computed
        texts = [p.text for plan in plans for p in plan[3]]
        sentences = [p.text[s:e] for plan in plans for p, sp in zip(plan[3], plan[4], strict=True) for s, e in sp]
        self.embedder.encode(texts, progress=(lambda d, t: progress("paragraphs", d, t)) if progress else None)
        self.embedder.encode(sentences, progress=(lambda d, t: progress("sentences", d, t)) if progress else None)
        report.embedded += self.embedder.computed - before
        for meta, text, digest, paragraphs, spans, aliases, new in plans:
            store.put(meta, text, digest, paragraphs, spans, origin, aliases)
            report.titles.append(meta.article_id)
            if new:
                report.added += 1
                report.new.append(meta.article_id)
            else:
                report.updated += 1

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
                self._checkpoint(collection)

    def _finish(self, report: IndexReport, started: float) -> IndexReport:
        report.articles, report.paragraphs = self.store.counts()
        report.seconds = time.time() - started
        report.finished_at = time.time()
        self._save_report(report)
        return report

    def remove(self, ref: str) -> list[ArticleMeta]:
        """Remove the article named by ``ref`` (id, title, or any URL it was reached by); returns what went."""
        keys = self.store.find(ref)
        if not keys:
            raise ArticleNotFoundError(f"no indexed article matches “{ref.strip()}” (see `citebot sources`)")
        if len(keys) > 1:
            raise CitebotError(f"“{ref.strip()}” names {len(keys)} articles ({', '.join(keys[:5])}): give an id")
        removed = []
        self._enter()
        try:
            with self.writing():
                state = self.store.article_state(keys[0])
                if self.store.delete(keys[0]) and state:
                    removed.append(state[1])
                self._after_write()
        finally:
            self._leave()
        return removed

    def index(self, paths: list[Path], progress: Progress | None = None) -> IndexReport:
        """``citebot index PATH``: add or update the articles under ``paths`` (they survive a re-index); nothing
        else changes."""
        started = time.time()
        articles, skipped = read_articles(paths)
        report = IndexReport(0, 0, 0, 0.0, skipped=list(skipped))
        if not articles and not self.has_index():
            what = ", ".join(map(str, paths)) or "(nothing)"
            raise CitebotError(f"nothing to index in {what}: no readable article files "
                               f"({len(skipped)} skipped)" + (f", e.g. {skipped[0][0]}: {skipped[0][1]}"
                                                              if skipped else ""))
        report = self.upsert(articles, ADDED, progress, report)
        report.seconds = time.time() - started
        return report

    def sync(self, sources: list, client=None, progress: Progress | None = None, *, prune: bool = True,
             refetch: bool = True) -> IndexReport:
        """Re-read every source once: folders (files gone from a folder are removed), feeds and URLs (through
        ``retrieval.sources``; pages answering 404/410 are removed; ``refetch`` also re-fetches pages already
        known, to see changes). With ``prune``, articles of sources no longer configured are removed (unless
        another source or a hand-add also holds them), and so are articles past a source's ``keep_days``.
        Per-source status is recorded."""
        started = time.time()
        report = IndexReport(0, 0, 0, 0.0)
        self._enter()
        try:
            with self.writing():
                store = self.store
                for spec in sources:
                    self._sync_source(spec, client, progress, report, refetch)
                if prune:
                    names = {source_name(s) for s in sources}
                    for origin in store.all_origins() - names - {ADDED}:
                        for key in store.keys_of_origin(origin):
                            report.removed += int(store.drop_origin(key, origin))
                    for old in set(store.source_rows()) - names:
                        store.forget_source(old)
                self._after_write()
                if prune and store.counts()[0] == 0:
                    raise CitebotError("nothing to index: the configured sources hold no readable articles "
                                       f"({'; '.join(f'{p}: {r}' for p, r in report.skipped[:3]) or 'empty'})")
        except CitebotError as exc:
            report.ok, report.error = False, str(exc)
            self._finish(report, started)
            raise
        finally:
            self._leave()
        return self._finish(report, started)

    def _sync_source(self, spec, client, progress, report: IndexReport, refetch: bool = True) -> None:
        store = self.store
        name = source_name(spec)
        kind = getattr(spec, "kind", "folder")
        now = time.time()
        row = store.source_rows().get(name, {})
        failures: list[tuple[str, str]] = []
        error = None
        try:
            if kind == "folder":
                articles, failures = read_articles([Path(spec.location)])
                gone = set(store.keys_of_origin(name))
            else:
                from retrieval.sources import collect  # the fetching half ([sources]); imported when needed

                state = json.loads(row.get("state") or "{}")
                state["known"] = sorted(store.aliases_of_origin(name))
                state["refetch"] = refetch
                result = collect(client, spec, state)
                articles, failures = result.articles, list(result.failures)
                store.save_source(name, state=json.dumps({k: state.get(k) for k in ("etag", "modified")}))
                gone = set()
                for url in getattr(result, "gone", []):
                    for key in store.find(str(url)):
                        report.removed += int(store.delete(key))
            kept: set[str] = set()
            self._upsert(articles, name, progress, report)
            for article in articles:
                key = store.resolve(article.meta.article_id, article_aliases(article))
                if key:
                    kept.add(key)
            if kind == "folder":  # a file deleted from the folder is no longer an article of it
                for key in gone - kept:
                    report.removed += int(store.drop_origin(key, name))
            keep_days = int(getattr(spec, "keep_days", 0) or 0)
            for key, (published, first_seen) in store.keys_of_origin(name).items():
                if _older_than(published, first_seen, keep_days):
                    report.removed += int(store.drop_origin(key, name))
        except CitebotError as exc:
            error = str(exc)
        except Exception as exc:  # noqa: BLE001 - one source failing never aborts the others
            log.exception("source %s failed", name)
            error = f"{type(exc).__name__}: {exc}"
        report.skipped.extend((str(item), str(reason)) for item, reason in failures)
        if error:
            report.skipped.append((name, error))
        store.save_source(name, kind=kind, location=str(getattr(spec, "location", "")), last_poll=now,
                          last_error=error or (f"{len(failures)} item(s) failed: {failures[0][1]}" if failures
                                               else None),
                          **({} if error else {"last_ok": now}))

    def _save_report(self, report: IndexReport) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        fsync_write(self.data_dir / REPORT_FILE, json.dumps(report.to_json(), indent=1))

    # -- describing ----------------------------------------------------------------------------------------
    def sources(self) -> list[dict]:
        """Indexed articles with publisher, date and paragraph count, newest first."""
        collection = self.collection()
        with collection.lock:
            metas = list(collection.articles.values())
            counts = {key: len(ids) for key, ids in collection.ids_by_article.items()}
        return [
            {
                "article_id": meta.article_id,
                "title": meta.title,
                "source": meta.source,
                "published": meta.published,
                "url": meta.url,
                "paragraphs": counts.get(meta.article_id, 0),
            }
            for meta in newest_first(metas)
        ]

    def source_status(self, sources: list | None = None) -> list[dict]:
        """Each source (configured ones first, then any others recorded) with its article count, last poll, last
        successful poll and last error; hand-added articles as the source "added"."""
        store = self.store
        rows = store.source_rows()
        counts = store.origin_counts()
        names = [source_name(s) for s in sources or []]
        names += [n for n in rows if n not in names]
        if counts.get(ADDED):
            names.append(ADDED)
        out = []
        specs = {source_name(s): s for s in sources or []}
        for name in names:
            row = rows.get(name, {})
            spec = specs.get(name)
            out.append({
                "name": name,
                "kind": getattr(spec, "kind", None) or row.get("kind") or ("added" if name == ADDED else None),
                "location": str(getattr(spec, "location", "") or row.get("location") or ""),
                "articles": counts.get(name, 0),
                "last_poll": row.get("last_poll"),
                "last_ok": row.get("last_ok"),
                "last_error": row.get("last_error"),
            })
        return out

    def status(self) -> dict:
        """Counts, index age, model and the last re-index result."""
        info: dict = {"data_dir": str(self.data_dir), "model": self.embedder.name, "indexing": self.indexing}
        try:
            collection = self.collection()
            with collection.lock:
                info.update({
                    "articles": len(collection.articles),
                    "paragraphs": collection.paragraph_count,
                    "built_at": collection.loaded_at,
                    "age_seconds": max(0.0, time.time() - collection.loaded_at),
                    "index_model": collection.model,
                })
        except IndexMissingError as exc:
            info["error"] = str(exc)
        report = self.last_report()
        info["last_index"] = report.to_json() if report else None
        if report and report.finished_at:
            info["age_seconds"] = max(0.0, time.time() - report.finished_at)
        return info

