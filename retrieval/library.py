"""The data directory: which index generation is current, re-indexing aside with an atomic swap, status."""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

from embeddings import CachedEmbedder, EmbeddingCache, make_embedder
from retrieval.answerer import Answerer
from retrieval.articles import read_articles
from retrieval.collection import Collection, Progress
from retrieval.errors import IndexMissingError, ModelChangedError, ReindexBusyError
from retrieval.models import Summary, newest_first
from retrieval.paragraphs import ParagraphSplitter
from retrieval.settings import RetrievalSettings, SplitterSettings, for_model
from retrieval.summaries import summarize

CURRENT_FILE = "CURRENT"
GENERATIONS_DIR = "index"
REPORT_FILE = "last_index.json"
CACHE_FILE = "embeddings.sqlite"


@dataclass
class IndexReport:
    """What a (re-)index did."""

    articles: int
    paragraphs: int
    embedded: int  # paragraphs and sentences that needed the model (the rest came from the cache)
    seconds: float
    skipped: list[tuple[str, str]] = field(default_factory=list)
    finished_at: float = 0.0
    ok: bool = True
    error: str = ""

    def to_json(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        if not self.ok:
            return f"re-index failed: {self.error}"
        text = (
            f"indexed {self.articles} article(s), {self.paragraphs} paragraph(s) in {self.seconds:.1f} s "
            f"({self.embedded} text(s) embedded, the rest from cache)"
        )
        if self.skipped:
            text += f"; skipped {len(self.skipped)} file(s)"
        return text


def fsync_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically: temporary file, fsync, ``os.replace``."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def open_embedder(model: str, data_dir: Path, batch_size: int = 32) -> CachedEmbedder:
    """The model (loaded lazily, once) behind the persistent embedding cache in ``data_dir``."""
    data_dir.mkdir(parents=True, exist_ok=True)
    return CachedEmbedder(make_embedder(model, batch_size=batch_size), EmbeddingCache(data_dir / CACHE_FILE))


class Library:
    """The articles as indexed in ``data_dir``; answers from the current generation while a new one is built."""

    def __init__(
        self,
        data_dir: Path,
        embedder: CachedEmbedder,
        retrieval: RetrievalSettings | None = None,
        splitter: SplitterSettings | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.embedder = embedder
        self.retrieval = for_model(retrieval or RetrievalSettings(), embedder.name)
        self.splitter = ParagraphSplitter(splitter)
        self._collection: Collection | None = None
        self._load_lock = threading.Lock()
        self._index_lock = threading.Lock()

    # -- reading -------------------------------------------------------------------------------------------
    def current_path(self) -> Path | None:
        marker = self.data_dir / CURRENT_FILE
        if not marker.exists():
            return None
        name = marker.read_text(encoding="utf-8").strip()
        return self.data_dir / GENERATIONS_DIR / name if name else None

    def collection(self) -> Collection:
        """The current generation, loaded once; ``IndexMissingError`` when there is none."""
        with self._load_lock:
            if self._collection is None:
                path = self.current_path()
                if path is None:
                    raise IndexMissingError(f"no index in {self.data_dir}: run `citebot index` first")
                collection = Collection.open(path)
                if collection.model != self.embedder.name:
                    raise ModelChangedError(collection.model, self.embedder.name)
                self._collection = collection
            return self._collection

    def has_index(self) -> bool:
        return self.current_path() is not None

    def answerer(self) -> Answerer:
        """An answerer over the current generation (taken at call time)."""
        return Answerer(self.collection(), self.embedder, self.retrieval)

    def ask(self, question: str, k: int | None = None, **options):
        """``Answerer.ask`` over the current generation (options: history, window, today)."""
        return self.answerer().ask(question, k, **options)

    def summary(self, sentences: int, article: str | None = None, topic: str | None = None, **options) -> Summary:
        """Key sentences of ``article`` (id or title), about ``topic``, or of the latest article (options: window,
        a digest of the period when neither is given)."""
        return summarize(self.answerer(), sentences, article=article, topic=topic, **options)

    @property
    def indexing(self) -> bool:
        return self._index_lock.locked()

    def last_report(self) -> IndexReport | None:
        path = self.data_dir / REPORT_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            data["skipped"] = [tuple(s) for s in data.get("skipped", [])]
            return IndexReport(**data)
        except (OSError, ValueError, TypeError):
            return None

    # -- writing -------------------------------------------------------------------------------------------
    def index(self, folders: list[Path], progress: Progress | None = None) -> IndexReport:
        """Read, split, embed and index every article under ``folders``, then swap it in atomically.

        Raises ``ReindexBusyError`` when another re-index is running. The old generation keeps answering
        until the swap; a failure leaves it untouched.
        """
        if not self._index_lock.acquire(blocking=False):
            raise ReindexBusyError("a re-index is already running; wait for it to finish")
        started = time.time()
        try:
            articles, skipped = read_articles(folders)
            if progress:
                progress("read", len(articles), len(articles))
            pairs, paragraphs = [], []
            for article in articles:
                parts = self.splitter.split(article.meta.article_id, article.text)
                if not parts:
                    skipped.append((article.meta.path or article.meta.article_id, "no quotable paragraphs"))
                    continue
                pairs.append((article.meta, article.text))
                paragraphs.extend(parts)
            report = self._build(pairs, paragraphs, progress, skipped, started)
        except Exception as exc:
            report = IndexReport(0, 0, 0, time.time() - started, ok=False, error=str(exc), finished_at=time.time())
            self._save_report(report)
            raise
        finally:
            self._index_lock.release()
        return report

    def _build(self, pairs, paragraphs, progress, skipped, started) -> IndexReport:
        before = self.embedder.computed
        generations = self.data_dir / GENERATIONS_DIR
        generations.mkdir(parents=True, exist_ok=True)
        name = time.strftime("gen-%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]
        folder = generations / name
        try:
            collection = Collection.build(folder, pairs, paragraphs, self.embedder, progress)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        fsync_write(self.data_dir / CURRENT_FILE, name + "\n")
        with self._load_lock:
            self._collection = collection
        self._remove_old_generations(keep=name)
        report = IndexReport(
            articles=len(pairs),
            paragraphs=len(paragraphs),
            embedded=self.embedder.computed - before,
            seconds=time.time() - started,
            skipped=skipped,
            finished_at=time.time(),
        )
        self._save_report(report)
        return report

    def _remove_old_generations(self, keep: str) -> None:
        for child in (self.data_dir / GENERATIONS_DIR).iterdir():
            if child.is_dir() and child.name != keep:
                shutil.rmtree(child, ignore_errors=True)

    def _save_report(self, report: IndexReport) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        fsync_write(self.data_dir / REPORT_FILE, json.dumps(report.to_json(), indent=1))

    # -- describing ----------------------------------------------------------------------------------------
    def sources(self) -> list[dict]:
        """Indexed articles with publisher, date and paragraph count, newest first."""
        collection = self.collection()
        return [
            {
                "article_id": meta.article_id,
                "title": meta.title,
                "source": meta.source,
                "published": meta.published,
                "url": meta.url,
                "paragraphs": len(collection.rows_by_article.get(meta.article_id, [])),
            }
            for meta in newest_first(collection.articles.values())
        ]

    def status(self) -> dict:
        """Counts, index age, model and the last re-index result."""
        info: dict = {"data_dir": str(self.data_dir), "model": self.embedder.name, "indexing": self.indexing}
        try:
            collection = self.collection()
            info.update({
                "articles": len(collection.articles),
                "paragraphs": len(collection.paragraphs),
                "built_at": collection.built_at,
                "age_seconds": max(0.0, time.time() - collection.built_at),
                "index_model": collection.model,
            })
        except IndexMissingError as exc:
            info["error"] = str(exc)
        report = self.last_report()
        info["last_index"] = report.to_json() if report else None
        return info
