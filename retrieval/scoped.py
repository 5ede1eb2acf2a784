"""One server's part of the shared collection: a :class:`Reading` that sees only some articles.

Queries read the index through ``reading()`` only, so a server's view is a view whose rows outside the server's
articles are not ``alive`` (ranking, time windows, conversations and summaries then never reach them), whose dense
search is masked to them, and whose article list holds only them. The index, the store and the embedding cache
stay shared: a server costs a boolean mask, not a copy. :class:`Scopes` keeps each server's
``ScopedCollection`` between questions, so the mask is computed once per (server, collection version).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np

from retrieval.models import ArticleMeta
from retrieval.reading import Reading


class ScopedReading(Reading):
    """A :class:`Reading` restricted to the articles ``keys``."""

    def __init__(self, collection: Any, keys: frozenset[str], owner: ScopedCollection) -> None:
        super().__init__(collection)
        self.keys = keys
        self.owner = owner

    def cached(self, name: str, compute: Callable[[], Any]) -> Any:
        """Like ``Reading.cached``, but kept with this server's scoped collection: what it derives from the scoped
        view (dates of its articles only, say) must never be served to another server or to the whole collection."""
        derived = self.owner.derived
        entry = derived.get(name)
        if entry is None or entry[0] != self.version:
            entry = derived[name] = (self.version, compute())
        return entry[1]

    def visible(self) -> np.ndarray:
        """Per row: whether its article is one of ``keys`` (cached while the rows and the keys stay the same)."""
        return self.owner.mask(self)

    @property
    def alive(self) -> np.ndarray:
        return super().alive & self.visible()[: self.rows]

    def articles(self) -> list[ArticleMeta]:
        return [meta for meta in super().articles() if meta.article_id in self.keys]

    def article_published(self) -> list[str | None]:
        return [published if self.article_key(slot) in self.keys else None
                for slot, published in enumerate(super().article_published())]

    def search(self, vector: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        return super().search(vector, k, self.alive if allowed is None else allowed & self.alive[: len(allowed)])


class ScopedCollection:
    """A collection as one server sees it (``Readable``): the shared collection, only the articles ``keys``."""

    def __init__(self, collection: Any, keys: frozenset[str]) -> None:
        self.collection = collection
        self.keys = keys
        self.derived: dict[str, tuple] = {}  # ScopedReading.cached: per-row arrays of this scope, with their version
        self._mask: tuple[tuple, np.ndarray] | None = None

    @property
    def model(self) -> str:
        return self.collection.model

    def reading(self) -> ScopedReading:
        return ScopedReading(self.collection, self.keys, self)

    def mask(self, view: Reading) -> np.ndarray:
        """The rows of ``keys`` in ``view`` (call with the view entered)."""
        version = view.version
        entry = self._mask  # readers of one server that race build the same mask and each keeps its own
        if entry is None or entry[0] != version:
            slots = np.fromiter((view.article_key(s) in self.keys for s in range(view.article_slots)), dtype=bool,
                                count=view.article_slots)
            rows = view.article_of_row[: view.rows]
            mask = np.zeros(view.rows, dtype=bool)
            inside = rows < len(slots)
            mask[inside] = slots[rows[inside]]
            entry = self._mask = (version, mask)
        return entry[1]


class Scopes:
    """Each server's :class:`ScopedCollection`, kept while the shared collection and the server's keys stay the same
    (its mask then is the one computed for the collection's current version). At most ``limit`` servers are kept,
    the least recently asked dropped first: memory stays bounded however many servers ask (a mask is one boolean
    per paragraph row)."""

    def __init__(self, limit: int = 256) -> None:
        self._scoped: OrderedDict[Hashable, ScopedCollection] = OrderedDict()
        self._lock = threading.Lock()
        self.limit = limit

    def scoped(self, name: Hashable, collection: Any, keys: frozenset[str]) -> ScopedCollection:
        """``collection`` restricted to ``keys`` for ``name`` (a tenant): the kept one when nothing changed."""
        with self._lock:
            kept = self._scoped.get(name)
            if kept is None or kept.collection is not collection or (kept.keys is not keys and kept.keys != keys):
                kept = self._scoped[name] = ScopedCollection(collection, keys)
            self._scoped.move_to_end(name)
            while len(self._scoped) > self.limit:
                self._scoped.popitem(last=False)
            return kept
