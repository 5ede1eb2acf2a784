"""A collection built for an evaluation set: exactly the given articles and paragraphs (evaluation sets come
pre-split), in a throwaway store of its own."""

from __future__ import annotations

from pathlib import Path

from retrieval.collection import VECTORS_DIR, Collection, Progress
from retrieval.index.identity import text_hash
from retrieval.index.store import Store
from retrieval.index.vectors.factory import IndexSettings, fit_kind, new_index
from retrieval.models import ArticleMeta, Paragraph
from retrieval.text.sentences import sentence_spans


def build_collection(folder: Path, articles: list[tuple[ArticleMeta, str]], paragraphs: list[Paragraph], embedder,
                     progress: Progress | None = None, index: IndexSettings | None = None) -> Collection:
    """A collection of exactly these articles and paragraphs (evaluation sets come pre-split), with its own store
    in the new ``folder`` (kept open: quotes are read from it); its dense index of the kind ``index`` asks for
    (default: exact)."""
    folder.mkdir(parents=True, exist_ok=False)
    store = Store(folder / "store.sqlite")
    store.skip_fsync()  # a throwaway store: no need to survive a power cut
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
