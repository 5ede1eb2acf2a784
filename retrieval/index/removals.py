"""Removals a sync plans, counted before any is made: a run that would remove more than half of the index is
refused unless confirmed (``LargeRemovalError``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from retrieval.errors import LargeRemovalError
from retrieval.index.store import Store

#: The share of the index a re-index may remove without being confirmed.
MAX_UNCONFIRMED_SHARE = 0.5


@dataclass
class RemovalPlan:
    """Articles to drop from one origin (deleted when no origin is left) or to delete outright."""

    drops: dict[str, set[str]] = field(default_factory=dict)  # key -> origins that no longer provide it
    deletes: set[str] = field(default_factory=set)  # keys whose page is gone (404/410)
    why: dict[str, str] = field(default_factory=dict)  # source name -> what it removes (for the message)

    def drop(self, key: str, origin: str) -> None:
        self.drops.setdefault(key, set()).add(origin)
        self.why.setdefault(origin, origin)

    def delete(self, key: str, source: str) -> None:
        self.deletes.add(key)
        self.why.setdefault(source, source)

    def doomed(self, store: Store) -> set[str]:
        """Keys that applying the plan would delete (those with no origin left)."""
        out = set(self.deletes)
        for key, origins in self.drops.items():
            if key not in out and not (store.origins(key) - origins):
                out.add(key)
        return out

    def check(self, store: Store, confirmed: bool) -> None:
        """``LargeRemovalError`` when the plan deletes more than half of the articles and is not confirmed."""
        total = store.counts()[0]
        removing = len(self.doomed(store))
        if not confirmed and removing and removing > MAX_UNCONFIRMED_SHARE * total:
            raise LargeRemovalError(removing, total, sorted(self.why))

    def apply(self, store: Store) -> int:
        """Make the removals; returns how many articles were deleted."""
        removed = 0
        for key in sorted(self.deletes):
            removed += int(store.delete(key))
        for key, origins in sorted(self.drops.items()):
            if key in self.deletes:
                continue
            for origin in sorted(origins):
                removed += int(store.drop_origin(key, origin))
        return removed
