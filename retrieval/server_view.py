"""One server's view of a :class:`~retrieval.library.Library`: asked, summarised, listed and written to as that
server (its articles only; see retrieval/tenants.py for how memberships are stored)."""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Iterable

from retrieval.errors import CitebotError, IndexMissingError
from retrieval.index.report import IndexReport
from retrieval.models import ArticleMeta, Summary, newest_first
from retrieval.query.answerer import Answerer
from retrieval.scoped import Scopes
from retrieval.sources.subscriptions import of_server
from retrieval.summaries import summarize
from retrieval.tenants import Memberships, Tenant, check_room, is_server_origin, remove_for
from retrieval.text.articles import Article
from retrieval.threads import use_query_threads

_CACHES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def caches(library) -> tuple[Memberships, Scopes]:
    """The per-library caches every view of ``library`` shares: who sees which articles (per membership change)
    and each server's scoped collection (its mask per collection version)."""
    with _CACHES_LOCK:
        found = _CACHES.get(library)
        if found is None:
            found = _CACHES[library] = (Memberships(), Scopes())
        return found


class ServerView:
    """``library`` as ``tenant`` sees it. ``max_articles`` (0: none) limits what the tenant itself holds. Views are
    cheap to make per request: what they read is cached per library (:func:`caches`)."""

    def __init__(self, library, tenant: Tenant, max_articles: int = 0) -> None:
        self.library = library
        self.tenant = tenant
        self.max_articles = max_articles
        self.memberships, self.scopes = caches(library)

    # -- reading -------------------------------------------------------------------------------------------------
    def keys(self) -> frozenset[str]:
        """The articles this tenant sees."""
        return self.memberships.keys(self.library.store, self.tenant)

    def sees_everything(self) -> bool:
        """Whether every stored article is visible (then no mask is needed: the single-server case)."""
        return self.memberships.sees_everything(self.library.store, self.tenant)

    def readable(self):
        """The collection (brought up to date), restricted to this tenant's articles unless it sees them all."""
        collection = self.library.collection()
        if self.sees_everything():
            return collection
        keys = self.keys()
        if not keys:
            raise IndexMissingError("this server has no articles yet: an admin can add one with /add")
        return self.scopes.scoped(self.tenant, collection, keys)

    def answerer(self) -> Answerer:
        return Answerer(self.readable(), self.library.embedder, self.library.retrieval)

    def ask(self, question: str, k: int | None = None, **options):
        """``Answerer.ask`` over this tenant's articles (options: history, window, today)."""
        use_query_threads()
        return self.answerer().ask(question, k, **options)

    def summary(self, sentences: int, article: str | None = None, topic: str | None = None, **options) -> Summary:
        """``Library.summary`` over this tenant's articles."""
        use_query_threads()
        return summarize(self.answerer(), sentences, article=article, topic=topic, **options)

    def metas(self) -> list[ArticleMeta]:
        """The visible articles, newest first."""
        readable = self.readable()
        with readable.reading() as view:
            return newest_first(view.articles())

    def match_titles(self, typed: str, limit: int = 25) -> list[ArticleMeta]:
        """Visible articles for autocomplete (the caller orders them by what was typed); [] when none."""
        if self.sees_everything():
            return self.library.match_titles(typed, limit)
        try:
            return self.metas()
        except IndexMissingError:
            return []

    def article_page(self, limit: int) -> tuple[list[dict], int]:
        """The first ``limit`` visible articles, newest first, and how many are visible (``Library.article_page``)."""
        if self.sees_everything():
            return self.library.article_page(limit)
        try:
            readable = self.readable()
        except IndexMissingError:
            return [], 0
        with readable.reading() as view:
            metas = newest_first(view.articles())
            rows = [{"article_id": m.article_id, "title": m.title, "source": m.source, "published": m.published,
                     "url": m.url, "paragraphs": len(view.article_rows(m.article_id))} for m in metas[:limit]]
        return rows, len(metas)

    def status(self) -> dict:
        """``Library.status`` with this tenant's article and paragraph counts."""
        info = self.library.status()
        if self.tenant.server is not None:
            info["last_index"] = None  # the config collection's, not this server's
        if self.sees_everything() or "error" in info:
            return info
        try:
            readable = self.readable()
        except IndexMissingError as exc:
            return {**info, "articles": 0, "paragraphs": 0, "error": str(exc)}
        with readable.reading() as view:
            info["articles"] = len(view.articles())
            info["paragraphs"] = int(view.alive.sum())
        return info

    def source_status(self, sources: list | None = None) -> list[dict]:
        """``Library.source_status`` of the sources this tenant sees (never another server's feeds); a server's own
        feeds under their own names, its hand-added articles as "added on this server"."""
        subs = of_server(self.library.data_dir, self.tenant.server) if self.tenant.server is not None else []
        own = {sub.spec().name: sub.name for sub in subs}
        rows = []
        for row in self.library.source_status(list(sources or []) + [sub.spec() for sub in subs]):
            if row["name"] in own:
                rows.append({**row, "name": own[row["name"]]})
            elif not is_server_origin(row["name"]) and (self.tenant.server is None or self.tenant.include_config):
                rows.append(row)
        if self.tenant.server is None:
            return rows
        held = len(self.library.store.keys_of_origin(self.tenant.origin))
        if held:
            rows.append({"name": "added on this server", "kind": "added", "location": "", "articles": held,
                         "last_poll": None, "last_ok": None, "last_error": None})
        return rows

    # -- writing -------------------------------------------------------------------------------------------------
    def upsert(self, articles: Iterable[Article]) -> IndexReport:
        """Add or update ``articles`` as this tenant's own (stored once: an article another server or the config
        holds gains a membership, nothing is fetched or embedded again). ``LimitError`` past ``max_articles``."""
        articles = list(articles)
        check_room(self.library.store, self.tenant, self.max_articles, len(articles))
        if self.tenant.server is None:
            return self.library.upsert(articles, self.tenant.origin)
        return self.write(articles)

    def write(self, articles: list[Article], progress=None) -> IndexReport:
        """Upsert ``articles`` as this server's own without touching the data folder's last report (which the
        config collection's /status shows: one server's pages are not another's business)."""
        started = time.time()
        report = IndexReport(0, 0, 0, 0.0)
        indexer = self.library.indexer
        with indexer.active():
            with indexer.writing():
                indexer.upsert_locked(articles, self.tenant.origin, progress, report)
                indexer.after_write()
        report.articles = len(self.keys())
        report.seconds = time.time() - started
        report.finished_at = time.time()
        return report

    def add_url(self, url: str, fetch) -> tuple[str, str]:
        """Add the page at ``url`` as this tenant's own: (its key, 'added'|'updated'|'already indexed (unchanged)'|
        'added from the shared store'). A page the store already holds (any server's, or the config's) gains a
        membership without being fetched or embedded again; otherwise ``fetch(url) -> Article`` reads it."""
        store = self.library.store
        known = store.find(url) if url else []
        if len(known) == 1:
            key = known[0]
            if any(self.tenant.owns(o) for o in store.origins(key)):
                return key, "already indexed (unchanged)"
            check_room(store, self.tenant, self.max_articles)
            indexer = self.library.indexer
            with indexer.active():
                with indexer.writing():
                    store.touch(key, None, self.tenant.origin, [])
                    indexer.after_write()
            return key, "added from the shared store"
        article = fetch(url)
        report = self.upsert([article])
        if report.skipped:
            raise CitebotError(report.skipped[0][1])
        key = self.library.indexer.resolve(article.meta.article_id)
        key = key or (report.titles[0] if report.titles else article.meta.article_id)
        status = "added" if report.added else "updated" if report.updated else "already indexed (unchanged)"
        return key, status

    def remove(self, ref: str) -> list[ArticleMeta]:
        """Remove this tenant's memberships of the article ``ref`` (the article itself only when nothing else holds
        it: the config collection's removal leaves a server's copy); the operator's shared articles are refused to
        a server."""
        if self.tenant.server is None and self.sees_everything():  # no server holds anything: as always
            return self.library.remove(ref)
        return remove_for(self.library.indexer, self.tenant, ref, self.keys())

    def own_keys(self, origin_filter=None) -> dict[str, str]:
        """This tenant's own articles: key -> URL (what a re-read of its pages fetches)."""
        store = self.library.store
        out: dict[str, str] = {}
        for origin in store.all_origins():
            if self.tenant.owns(origin) and (origin_filter is None or origin_filter(origin)):
                for key in store.keys_of_origin(origin):
                    state = store.article_state(key)
                    if state and state[1].url:
                        out[key] = state[1].url
        return out

    def refetch(self, fetch, progress=None) -> IndexReport:
        """Re-read this server's own pages (``fetch(url) -> Article``); a page that fails keeps its article.
        Nothing another server holds is touched beyond the shared article's text."""
        started = time.time()
        urls = self.own_keys()
        articles, report = [], IndexReport(0, 0, 0, 0.0)
        for n, url in enumerate(urls.values()):
            if progress:
                progress("fetch", n, len(urls))
            try:
                articles.append(fetch(url))
            except Exception as exc:  # noqa: BLE001 - one page failing never stops the others
                report.source_errors.append((url, f"{type(exc).__name__}: {exc}; its article is kept"))
        if articles:
            done = self.write(articles, progress)
            done.source_errors = report.source_errors
            report = done
        report.articles = len(self.keys())
        report.seconds = time.time() - started
        return report
