"""Which index kind a collection gets: ``[index] kind`` from config, ``auto`` by the collection's size."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from retrieval.index.vectors.base import VectorIndex, read_meta
from retrieval.index.vectors.flat import FlatIndex
from retrieval.index.vectors.hnsw import HNSWIndex
from retrieval.index.vectors.settings import KINDS, IndexSettings

log = logging.getLogger("citebot.vectors")

CONVERT_BATCH = 50_000


def wanted_kind(settings: IndexSettings, count: int) -> str:
    """The kind for a collection of ``count`` paragraphs."""
    if settings.kind != "auto":
        return settings.kind
    return "hnsw" if count > settings.approximate_above else "exact"


def _options(kind: str, settings: IndexSettings, folder: Path | None) -> dict:
    if kind == "hnsw":
        return {"ef_search": settings.hnsw_ef_search, "exact_below": settings.exact_below}
    if kind == "milvus":
        return {"folder": folder, "uri": settings.milvus_uri, "collection": settings.milvus_collection}
    return {}


def _class(kind: str) -> type[VectorIndex]:
    if kind == "exact":
        return FlatIndex
    if kind == "hnsw":
        return HNSWIndex
    if kind == "milvus":
        from retrieval.index.vectors.milvus import MilvusIndex  # pymilvus is imported only for this kind

        return MilvusIndex
    raise ValueError(f"unknown index kind {kind!r} (known: {', '.join(KINDS)})")


def new_index(settings: IndexSettings, dimension: int, folder: Path | None = None, count: int = 0) -> VectorIndex:
    """An empty index of the kind ``settings`` want for ``count`` paragraphs (a Milvus collection is emptied)."""
    kind = wanted_kind(settings, count)
    if kind == "hnsw":
        return HNSWIndex(dimension, m=settings.hnsw_m, ef_construction=settings.hnsw_ef_construction,
                         ef_search=settings.hnsw_ef_search, exact_below=settings.exact_below)
    index = _class(kind)(dimension, **_options(kind, settings, folder))
    if kind == "milvus":
        index.clear()
    return index


def open_index(settings: IndexSettings, dimension: int, folder: Path, model: str) -> VectorIndex:
    """The index saved in ``folder`` when it was built with ``model`` at this dimension, else an empty one of the
    configured kind. A damaged saved index is logged and replaced by an empty one (the vectors come back from the
    embedding cache). The kind is not changed here: ``fit_kind`` does that once the collection is loaded."""
    folder = Path(folder)
    try:
        meta = read_meta(folder)
        if meta and int(meta.get("dimension", 0)) == dimension and (meta.get("info") or {}).get("model") == model:
            kind = meta["kind"]
            index = _class(kind).load(folder, **_options(kind, settings, folder))
            return index
        if meta:
            log.info("the saved %s index in %s is for another model; starting an empty one", meta.get("kind"), folder)
    except Exception as exc:  # noqa: BLE001 - any damage: start empty, vectors come back from the cache
        log.warning("could not open the saved vector index in %s (%s: %s); rebuilding it", folder,
                    type(exc).__name__, exc)
    index = new_index(settings, dimension, folder)
    index.info["model"] = model
    return index


def fit_kind(index: VectorIndex, settings: IndexSettings, folder: Path | None = None) -> VectorIndex:
    """``index`` itself when it is of the kind ``settings`` want for its size, else a copy of it in that kind."""
    kind = wanted_kind(settings, index.count)
    if kind == index.kind:
        return index
    log.info("moving %d vector(s) from the %s index to a %s index", index.count, index.kind, kind)
    target = new_index(settings, index.dimension, folder, index.count)
    target.info = dict(index.info)
    copy_into(index, target)
    return target


def copy_into(source: VectorIndex, target: VectorIndex) -> None:
    """Every vector of ``source`` upserted into ``target`` (in one batch when the source holds them in memory)."""
    whole = getattr(source, "all_vectors", None)
    if whole is not None:
        ids, vectors = whole()
        target.upsert(ids, vectors)
        return
    ids = np.sort(source.ids())
    for start in range(0, len(ids), CONVERT_BATCH):
        part = ids[start:start + CONVERT_BATCH]
        target.upsert(part, source.vectors_of(part))
