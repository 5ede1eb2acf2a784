"""Opening a data directory's collection: the snapshot's arrays for what it holds, the rest from the store and the
embedding cache, and nothing the store no longer has (a snapshot is never wrong, only behind)."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import numpy as np

from embeddings import CachedEmbedder, EmbeddingCache
from embeddings.choice import make_cached_embedder
from retrieval.collection import OPEN_BATCH, VECTORS_DIR, ApplyReport, Collection
from retrieval.errors import ModelChangedError
from retrieval.index.datadir import set_aside
from retrieval.index.prepare import Progress
from retrieval.index.snapshot import read_snapshot
from retrieval.index.store import Store, StoreError
from retrieval.index.vectors.base import VectorIndex
from retrieval.index.vectors.factory import IndexSettings, fit_kind, open_index

log = logging.getLogger("citebot.library")  # the name these messages have always been logged under
CACHE_FILE = "embeddings.sqlite"
OLD_FORMAT = ("CURRENT", "index")  # the generation folders of citebot before the incremental store


def open_collection(store: Store, snapshot: Path | None, embedder, progress: Progress | None = None,
                    dense: VectorIndex | None = None) -> tuple[Collection, ApplyReport, dict]:
    """The collection of everything in ``store``: the snapshot's arrays (memory-mapped) for the paragraphs it
    has and ``dense`` (loaded from its own files) holds, the rest computed a batch of articles at a time;
    vectors of paragraphs no longer stored are deleted from ``dense``. Raises on a damaged snapshot (the
    caller sets it aside and calls again with ``snapshot=None``)."""
    collection = Collection(embedder.name, embedder.dimension, store, dense, spill_dir=store.path.parent)
    report = ApplyReport()
    arrays, info = read_snapshot(snapshot, embedder.name) if snapshot is not None else (None, {})
    seq = store.seq()
    metas = store.article_metas()
    stored_ids = store.paragraph_id_array()
    if arrays is not None:
        collection.load_arrays(arrays)
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


def load_collection(snapshot: Path, store: Store, embedder, settings: IndexSettings, repairs: list[str],
                    allow_model_change: bool = False) -> tuple[Collection, ApplyReport, bool]:
    """The collection of ``store`` with the snapshot file ``snapshot`` and the dense index beside it (of the kind
    ``settings`` asks for), a damaged snapshot set aside and noted in ``repairs``; ``ModelChangedError`` when
    the files were built with another model (unless ``allow_model_change``). Returns it, what opening
    computed, and whether the dense index changed kind (then it is due to be saved)."""
    started = time.monotonic()
    path = snapshot
    for stale in snapshot.parent.glob(f".{snapshot.name}.*.tmp"):  # a write cut short
        stale.unlink(missing_ok=True)
    try:
        _, info = read_snapshot(path, embedder.name)
    except Exception as exc:  # noqa: BLE001 - any damage: set aside, recompute from store and cache
        repairs.append(set_aside(path, f"{type(exc).__name__}: {exc}"))
        info = {}
    if info and info.get("model") != embedder.name and not allow_model_change:
        raise ModelChangedError(info.get("model"), embedder.name)
    if info and info.get("model") != embedder.name:
        repairs.append(f"the index files were built with the model {info.get('model')!r}; "
                       f"re-embedding with {embedder.name!r}")
    folder = snapshot.parent / VECTORS_DIR

    def opened(snapshot: Path | None):
        dense = open_index(settings, embedder.dimension, folder, embedder.name)
        return open_collection(store, snapshot, embedder, dense=dense)

    try:
        collection, report, info = opened(path if path.exists() else None)
    except (ValueError, OSError, KeyError, IndexError) as exc:  # damage the first read did not see
        repairs.append(set_aside(path, f"{type(exc).__name__}: {exc}"))
        collection, report, info = opened(None)
    dense = collection.dense
    collection.dense = fit_kind(dense, settings, folder)
    moved = collection.dense is not dense  # another kind now: save it so the next start loads it as is
    orphans = report.orphans
    if info and (report.computed or orphans):
        log.info("the index snapshot was behind the store: %d paragraph(s) added from the embedding cache, "
                 "%d no longer stored dropped", report.computed, orphans)
    log.info("loaded %d article(s), %d paragraph(s) in %.1f s", len(collection.articles),
             collection.paragraph_count, time.monotonic() - started)
    return collection, report, moved


def open_store(data_dir: Path, name: str, repairs: list[str]) -> Store:
    """The store ``data_dir/name``, the folder created when missing; generation folders of the old format and a
    damaged store file are set aside (noted in ``repairs``)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    found = [data_dir / old for old in OLD_FORMAT if (data_dir / old).exists()]
    if found and not (data_dir / name).exists():
        target = data_dir / f"old-format-{time.strftime('%Y%m%d-%H%M%S')}"
        target.mkdir()
        for path in found:
            os.replace(path, target / path.name)
        message = (f"the index in {data_dir} has the old format: set aside in {target.name}; "
                   "it is rebuilt from the sources (`citebot index`), unchanged text from the embedding cache")
        log.warning("%s", message)
        repairs.append(message)
    path = data_dir / name
    store = None
    try:
        store = Store(path)
        store.counts()
    except StoreError:
        raise
    except Exception as exc:  # sqlite3.DatabaseError and friends: garbage, truncated
        if store is not None:
            store.close()
        repairs.append(set_aside(path, f"{type(exc).__name__}: {exc}") +
                       "; run `citebot index` to re-read the sources (articles added by hand must be added again)")
        store = Store(path)
    return store


def open_embedder(model: str, data_dir: Path, batch_size: int = 32, query_runtime: str = "onnx") -> CachedEmbedder:
    """The model (loaded lazily, once) behind the persistent embedding cache in ``data_dir``; questions through
    ONNX Runtime (exported once into ``data_dir/onnx``) unless ``query_runtime="torch"``."""
    data_dir.mkdir(parents=True, exist_ok=True)
    return make_cached_embedder(model, EmbeddingCache(data_dir / CACHE_FILE), batch_size, query_runtime,
                                data_dir / "onnx")
