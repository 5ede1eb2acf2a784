"""Feeds subscribed at run time (``/subscribe``, ``citebot subscribe``): kept in ``<data>/subscriptions.json``
(written atomically: temporary file, fsync, rename), read back as ``SourceSpec``s beside the configured sources.
A subscription of a server (not the operator's: ``server`` set) is read under that server's origin
(``server:<id>/<name>``, retrieval/tenants.py), so its articles are that server's own."""

from __future__ import annotations

import fcntl
import json
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from retrieval.errors import CitebotError
from retrieval.index.datadir import fsync_write, set_aside
from retrieval.sources.spec import SourceSpec
from retrieval.tenants import server_origin
from retrieval.text.urls import url_key

log = logging.getLogger("citebot.sources")

FILE = "subscriptions.json"
_LOCK = threading.Lock()  # one read-modify-write at a time in this process …


@contextmanager
def _changing(data_dir: Path) -> Iterator[None]:
    """… and across processes (the bot and the command line): an flock on ``subscriptions.json.lock``."""
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    with _LOCK, open(Path(data_dir) / f"{FILE}.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass(frozen=True)
class Subscription:
    """One subscribed feed and who added it when."""

    location: str
    name: str
    poll_minutes: int = 30
    added_by: str = ""
    added_at: float = 0.0
    server: int | None = None  # the server that subscribed (None: the operator's collection)

    def spec(self) -> SourceSpec:
        name = self.name if self.server is None else server_origin(self.server, self.name)
        return SourceSpec("feed", self.location, name=name, poll_minutes=self.poll_minutes)


def _path(data_dir: Path) -> Path:
    return Path(data_dir) / FILE


def load(data_dir: Path) -> list[Subscription]:
    """The subscriptions in ``data_dir`` (none when the file is missing; a damaged file is set aside, logged)."""
    path = _path(data_dir)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return [Subscription(**{k: v for k, v in item.items() if k in Subscription.__dataclass_fields__})
                for item in raw.get("subscriptions", [])]
    except FileNotFoundError:
        return []
    except (OSError, ValueError, TypeError, AttributeError) as exc:
        log.error("%s", set_aside(path, f"{type(exc).__name__}: {exc}"))
        return []


def specs(data_dir: Path) -> list[SourceSpec]:
    """The operator's subscriptions as sources (kind ``feed``)."""
    return [s.spec() for s in load(data_dir) if s.server is None]


def of_server(data_dir: Path, server: int | None) -> list[Subscription]:
    """The subscriptions of ``server`` (None: the operator's)."""
    return [s for s in load(data_dir) if s.server == server]


def server_specs(data_dir: Path) -> list[tuple[int, SourceSpec]]:
    """Every server's subscriptions as (server, source), for the poller."""
    return [(s.server, s.spec()) for s in load(data_dir) if s.server is not None]


def _save(data_dir: Path, items: list[Subscription]) -> None:
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    data = {"version": 1, "subscriptions": [asdict(s) for s in items]}
    fsync_write(_path(data_dir), json.dumps(data, ensure_ascii=False, indent=1))


def find(items: list, ref: str) -> list:
    """The subscriptions (or sources: anything with ``name`` and ``location``) ``ref`` names: by URL (any form of
    it), by name (case-insensitive), else by a part of the name."""
    ref = " ".join(ref.split())
    key = url_key(ref) if ref.startswith(("http://", "https://")) else None
    exact = [s for s in items if (key and url_key(s.location) == key) or s.name.casefold() == ref.casefold()]
    if exact or not ref:
        return exact
    return [s for s in items if ref.casefold() in s.name.casefold()]


def add(data_dir: Path, location: str, name: str, poll_minutes: int = 30, added_by: str = "",
        taken: set[str] = frozenset(), server: int | None = None, max_sources: int = 0) -> Subscription:
    """Subscribe ``server`` (None: the operator) to the feed at ``location`` under ``name`` (made unique against
    its subscriptions and ``taken``, the configured sources' names). Raises ``CitebotError`` when it is already
    subscribed, or when a server already has ``max_sources`` subscriptions (0: no limit)."""
    with _changing(data_dir):
        items = load(data_dir)
        own = [s for s in items if s.server == server]
        same = [s for s in own if url_key(s.location) == url_key(location)]
        if same:
            raise CitebotError(f"already subscribed to {location} (as “{same[0].name}”)")
        if server is not None and max_sources > 0 and len(own) >= max_sources:
            raise CitebotError(f"this server already follows {len(own)} feed(s); the limit is {max_sources} "
                               "([servers] max_sources): /unsubscribe one first")
        names = {s.name.casefold() for s in own} | {n.casefold() for n in taken}
        unique, n = name, 2
        while unique.casefold() in names:
            unique, n = f"{name} ({n})", n + 1
        sub = Subscription(location, unique, max(1, int(poll_minutes)), added_by, time.time(), server)
        _save(data_dir, [*items, sub])
        return sub


def remove(data_dir: Path, ref: str, server: int | None = None) -> Subscription:
    """Unsubscribe ``server`` (None: the operator) from the feed ``ref`` names (URL or name); ``CitebotError``
    naming the choices otherwise."""
    with _changing(data_dir):
        items = load(data_dir)
        own = [s for s in items if s.server == server]
        found = find(own, ref)
        if len(found) != 1:
            names = ", ".join(f"“{s.name}”" for s in (found or own)[:5]) or "none"
            what = "several subscriptions" if found else "no subscription"
            raise CitebotError(f"“{ref.strip()}” names {what} (subscribed: {names})")
        _save(data_dir, [s for s in items if s is not found[0]])
        return found[0]


def forget_server(data_dir: Path, server: int) -> int:
    """Drop every subscription of ``server`` (a server the bot left long enough ago); returns how many."""
    if not _path(data_dir).exists():
        return 0
    with _changing(data_dir):
        items = load(data_dir)
        kept = [s for s in items if s.server != server]
        if len(kept) != len(items):
            _save(data_dir, kept)
        return len(items) - len(kept)
