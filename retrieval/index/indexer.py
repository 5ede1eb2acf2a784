"""Writing the store: add or update articles, remove them, index files, one writer at a time, and the report.

Every write holds the data directory's write lock (``write.lock``, across processes), embeds new text into the
embedding cache first (readers load vectors from it), then commits each article in one store transaction; after a
write the owner (``Library``) brings its loaded collection up to date and checkpoints when due.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from embeddings import ModelLoadError
from retrieval.errors import CitebotError, ModelUnavailableError
from retrieval.index.datadir import fsync_write
from retrieval.index.identity import normalise_url, text_hash
from retrieval.index.lock import WriteLock
from retrieval.index.report import IndexReport
from retrieval.index.store import ADDED, Store
from retrieval.models import ArticleMeta
from retrieval.text.articles import Article, read_articles
from retrieval.text.paragraphs import ParagraphSplitter
from retrieval.text.sentences import sentence_spans

REPORT_FILE = "last_index.json"
UPSERT_BATCH = 500  # articles split, embedded and committed together by a write
Progress = Callable[[str, int, int], None]  # (stage, done, total)


def article_aliases(article: Article) -> list[str]:
    """Every name an article can be found by: its id, its normalised URLs (fetched, canonical, aliases), its
    file path."""
    urls = [article.meta.url, *getattr(article, "aliases", [])]
    names = [normalise_url(u) for u in urls if u]
    names += [u for u in urls if u]
    if article.meta.path:
        names.append(article.meta.path)
    return list(dict.fromkeys(n for n in names if n))


class Indexer:
    """The writer of one data directory's store: ``upsert``, ``remove``, ``index``, under the write lock.

    ``store`` opens (or returns) the store; ``has_index`` says whether anything is indexed without creating it;
    ``after_write`` runs after each write, still under the lock.
    """

    def __init__(self, data_dir: Path, store: Callable[[], Store], embedder, splitter: ParagraphSplitter,
                 write_timeout: float = 0.0, has_index: Callable[[], bool] = lambda: True,
                 after_write: Callable[[], None] = lambda: None) -> None:
        self.data_dir = Path(data_dir)
        self.open_store = store
        self.embedder = embedder
        self.splitter = splitter
        self.write_timeout = write_timeout
        self.on_wait = None  # called with the holder's description when a writer has to wait for the lock
        self.has_index = has_index
        self.after_write = after_write
        self._writers = 0
        self._writers_lock = threading.Lock()

    @property
    def store(self) -> Store:
        return self.open_store()

    @property
    def indexing(self) -> bool:
        """Whether this process is writing now."""
        return self._writers > 0

    def writing(self, timeout: float | None = None, on_wait=None) -> WriteLock:
        """The data directory's write lock (``timeout`` default: ``write_timeout``)."""
        return WriteLock(self.data_dir, self.write_timeout if timeout is None else timeout,
                         on_wait=on_wait or self.on_wait)

    @contextmanager
    def active(self) -> Iterator[None]:
        """Counts this process as writing (``indexing``) while entered; the write lock is taken separately."""
        with self._writers_lock:
            self._writers += 1
        try:
            yield
        finally:
            with self._writers_lock:
                self._writers -= 1

    def upsert(self, articles: Iterable[Article], origin: str = ADDED, progress: Progress | None = None,
               report: IndexReport | None = None) -> IndexReport:
        """Add or update ``articles`` (each one its own transaction), recording ``origin`` for each; unchanged
        articles are only marked seen. Takes the write lock."""
        started = time.time()
        report = report or IndexReport(0, 0, 0, 0.0)
        with self.active():
            with self.writing():
                self.upsert_locked(list(articles), origin, progress, report)
                self.after_write()
        return self.finish(report, started)

    def upsert_locked(self, articles: list[Article], origin: str, progress: Progress | None,
                      report: IndexReport) -> None:
        """Split, embed and commit ``articles`` a batch at a time (memory bounded by the batch, not the corpus).
        The caller holds the write lock."""
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
        try:
            self.embedder.encode(texts, progress=(lambda d, t: progress("paragraphs", d, t)) if progress else None)
            self.embedder.encode(sentences,
                                 progress=(lambda d, t: progress("sentences", d, t)) if progress else None)
        except ModelLoadError as exc:
            raise ModelUnavailableError(f"{exc}; nothing was changed") from None
        report.embedded += self.embedder.computed - before
        for meta, text, digest, paragraphs, spans, aliases, new in plans:
            store.put(meta, text, digest, paragraphs, spans, origin, aliases)
            report.titles.append(meta.article_id)
            if new:
                report.added += 1
                report.new.append(meta.article_id)
            else:
                report.updated += 1

    def resolve(self, article_id: str) -> str | None:
        """The key an article id (or any of its aliases) is stored under, None when unknown."""
        return self.store.resolve(article_id, [])

    def finish(self, report: IndexReport, started: float) -> IndexReport:
        """Complete ``report`` (counts, time) and save it as the last report."""
        report.articles, report.paragraphs = self.store.counts()
        report.seconds = time.time() - started
        report.finished_at = time.time()
        self._save_report(report)
        return report

    def remove(self, ref: str) -> list[ArticleMeta]:
        """Remove the article named by ``ref`` (id, short id, any URL it was reached by, its title or a part of
        it only it has: ``naming.resolve_article``); returns what went."""
        from retrieval.index.naming import resolve_article

        keys = [resolve_article(self.store, ref)]
        removed = []
        with self.active():
            with self.writing():
                state = self.store.article_state(keys[0])
                if self.store.delete(keys[0]) and state:
                    removed.append(state[1])
                self.after_write()
        return removed

    def index(self, paths: list[Path], progress: Progress | None = None) -> IndexReport:
        """``citebot index PATH``: add or update the articles under ``paths`` (they survive a re-index); nothing
        else changes."""
        started = time.time()
        articles, skipped = read_articles(paths)
        report = IndexReport(0, 0, 0, 0.0, skipped=list(skipped))
        if not articles:
            what = ", ".join(map(str, paths)) or "(nothing)"
            reasons = "; ".join(f"{p}: {r}" for p, r in skipped[:3]) + ("; …" if len(skipped) > 3 else "")
            raise CitebotError(f"nothing to index in {what}: no readable article file"
                               + (f" ({len(skipped)} failed: {reasons})" if skipped else " (the folder is empty)"))
        report = self.upsert(articles, ADDED, progress, report)
        report.seconds = time.time() - started
        return report

    def _save_report(self, report: IndexReport) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        fsync_write(self.data_dir / REPORT_FILE, json.dumps(report.to_json(), indent=1))

    def last_report(self) -> IndexReport | None:
        """The last index/sync report saved in the data directory (None when there is none)."""
        path = self.data_dir / REPORT_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            data["skipped"] = [tuple(s) for s in data.get("skipped", [])]
            return IndexReport(**data)
        except (OSError, ValueError, TypeError):
            return None
