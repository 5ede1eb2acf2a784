"""Servers (tenants) over one data directory: every server sees its own articles, all stored once.

The store's ``origins`` table is the membership table: an article a server added is held under the origin
``server:<id>/<source>`` (``server:<id>/added`` for ``/add``), while the operator's own collection (config
``[[sources]]``, ``[articles]``, ``citebot index``) keeps its plain origins (the source's name, ``added``). An
article in two servers is one article with two origins: fetched, split and embedded once. Removing it from one
server drops that server's origin only; the article goes when no origin (no server, nor the operator's config)
holds it any more (``Store.drop_origin``).

A :class:`Tenant` names whose articles a question may quote: one server's own, plus the operator's config
articles when ``include_config`` (``[servers] share_config_articles``); ``Tenant(None)`` is the config collection
alone (a single-server bot, the console, the CLI without ``--server``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass

from retrieval.errors import ArticleNotFoundError, CitebotError
from retrieval.index.indexer import Indexer
from retrieval.index.store import ADDED, Store
from retrieval.models import ArticleMeta

SERVER_PREFIX = "server:"


def server_origin(server: int, source: str = ADDED) -> str:
    """The origin under which ``server`` holds an article (``source``: ``added`` or one of its sources' names)."""
    return f"{SERVER_PREFIX}{int(server)}/{source}"


def origin_server(origin: str) -> int | None:
    """The server an origin belongs to, None for the operator's (config) origins."""
    if not origin.startswith(SERVER_PREFIX):
        return None
    head = origin[len(SERVER_PREFIX):].split("/", 1)[0]
    return int(head) if head.isdigit() else None


def is_server_origin(origin: str) -> bool:
    """Whether ``origin`` is a server's membership (not the operator's config collection)."""
    return origin_server(origin) is not None


class LimitError(CitebotError):
    """A server reached its ``[servers] max_articles`` (or ``max_sources``)."""


@dataclass(frozen=True)
class Tenant:
    """Whose articles are visible: ``server``'s own (None: the config collection's), with the config collection's
    too when ``include_config``."""

    server: int | None = None
    include_config: bool = True

    def owns(self, origin: str) -> bool:
        """Whether ``origin`` is this tenant's own membership (what its admins may add to and drop)."""
        return origin_server(origin) == self.server

    def sees(self, origin: str) -> bool:
        """Whether an article held under ``origin`` is visible to this tenant."""
        return self.owns(origin) or (self.include_config and not is_server_origin(origin))

    @property
    def origin(self) -> str:
        """The origin of an article this tenant's admins add by hand."""
        return ADDED if self.server is None else server_origin(self.server)


def tenant_keys(store: Store, tenant: Tenant) -> frozenset[str]:
    """The keys of the articles ``tenant`` sees."""
    keys: set[str] = set()
    for origin in store.all_origins():
        if tenant.sees(origin):
            keys.update(store.keys_of_origin(origin))
    return frozenset(keys)


def own_count(store: Store, tenant: Tenant) -> int:
    """How many distinct articles ``tenant`` holds itself (what ``max_articles`` limits)."""
    keys: set[str] = set()
    for origin in store.all_origins():
        if tenant.owns(origin):
            keys.update(store.keys_of_origin(origin))
    return len(keys)


class Memberships:
    """Which articles each tenant sees, read from the store once per membership change (``Store.origins_version``:
    an article added, removed, or gaining or losing an origin), not once per question."""

    def __init__(self) -> None:
        self._cache: dict[Tenant, tuple[int, frozenset[str], bool]] = {}
        self._lock = threading.Lock()

    def _entry(self, store: Store, tenant: Tenant) -> tuple[int, frozenset[str], bool]:
        version = store.origins_version()
        with self._lock:
            entry = self._cache.get(tenant)
        if entry is None or entry[0] != version:
            origins = store.all_origins()
            keys = tenant_keys(store, tenant)
            if entry is not None and entry[1] == keys:
                keys = entry[1]  # unchanged for this tenant (another's membership changed): the same object
            entry = (version, keys, all(tenant.sees(o) for o in origins))
            with self._lock:
                self._cache[tenant] = entry
        return entry

    def keys(self, store: Store, tenant: Tenant) -> frozenset[str]:
        """``tenant_keys``, the same frozenset object while the memberships stay the same."""
        return self._entry(store, tenant)[1]

    def sees_everything(self, store: Store, tenant: Tenant) -> bool:
        """Whether ``tenant`` sees every stored article (no mask needed)."""
        return self._entry(store, tenant)[2]


def check_room(store: Store, tenant: Tenant, max_articles: int, adding: int = 1) -> None:
    """``LimitError`` when ``tenant`` (a server) would hold more than ``max_articles`` (0: no limit)."""
    if tenant.server is None or max_articles <= 0:
        return
    held = own_count(store, tenant)
    if held + adding > max_articles:
        raise LimitError(f"this server already holds {held} article(s); the limit is {max_articles} "
                         "([servers] max_articles): /remove some first")


def remove_for(indexer: Indexer, tenant: Tenant, ref: str, visible: Iterable[str]) -> list[ArticleMeta]:
    """Drop ``tenant``'s own memberships of the article named by ``ref`` (id, title or URL, among the ``visible``
    keys); the article is deleted only when nothing else holds it. Returns the articles that left the tenant."""
    store = indexer.store
    seen = set(visible)
    keys = [k for k in store.find(ref) if k in seen]
    if not keys:
        raise ArticleNotFoundError(f"no indexed article matches “{ref.strip()}” (see /sources)")
    if len(keys) > 1:
        raise CitebotError(f"“{ref.strip()}” names {len(keys)} articles ({', '.join(keys[:5])}): give an id")
    key = keys[0]
    own = [o for o in store.origins(key) if tenant.owns(o)]
    if not own:
        raise CitebotError(f"“{ref.strip()}” is one of the bot operator's shared articles: only the operator can "
                           "remove it")
    removed = []
    with indexer.active():
        with indexer.writing():
            state = store.article_state(key)
            for origin in own:
                store.drop_origin(key, origin)
            if state:
                removed.append(state[1])
            indexer.after_write()
    return removed


def drop_server(indexer: Indexer, server: int) -> int:
    """Forget every article ``server`` holds (a server the bot left long enough ago); the articles no other server
    nor the config holds are deleted. Returns how many were deleted."""
    store = indexer.store
    deleted = 0
    with indexer.active():
        with indexer.writing():
            for origin in store.all_origins():
                if origin_server(origin) == server:
                    for key in list(store.keys_of_origin(origin)):
                        deleted += bool(store.drop_origin(key, origin))
            indexer.after_write()
    return deleted


def drop_source(indexer: Indexer, tenant: Tenant, source: str, delete_articles: bool = False) -> int:
    """Forget ``tenant``'s (a server's) source ``source`` (its origin ``server:<id>/<source>``): its articles are
    deleted where nothing else holds them with ``delete_articles``, else kept as the server's hand-added ones.
    Returns how many articles were deleted or kept."""
    store = indexer.store
    origin = server_origin(tenant.server, source)
    count = 0
    with indexer.active():
        with indexer.writing():
            for key in store.keys_of_origin(origin):
                if not delete_articles:
                    store.touch(key, None, tenant.origin, [])
                count += int(store.drop_origin(key, origin) or not delete_articles)
            store.forget_source(origin)
            indexer.after_write()
    return count
