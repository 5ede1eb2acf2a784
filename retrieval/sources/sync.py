"""Syncing the configured sources into the store: each source read once (folders, feeds, URLs), what left a source
removed, what outlived ``keep_days`` pruned, and each source's status recorded."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from retrieval.errors import CitebotError, ModelUnavailableError
from retrieval.index.indexer import Indexer, Progress, article_aliases
from retrieval.index.removals import RemovalPlan
from retrieval.index.report import IndexReport
from retrieval.index.store import ADDED
from retrieval.tenants import is_server_origin
from retrieval.text.articles import read_articles

log = logging.getLogger("citebot.library")


@dataclass(frozen=True)
class FolderSource:
    """A folder of article files as a source (``[articles] folders`` in config)."""

    location: str
    name: str | None = None
    kind: str = "folder"
    keep_days: int = 0


def source_name(spec) -> str:
    """A source's name: ``name`` from config, else its location."""
    return str(getattr(spec, "name", None) or getattr(spec, "location", ""))


def fetch_stage(source: str, failed: int = 0) -> str:
    """The progress stage while a source's pages are fetched: 'fetching NAME' or 'fetching NAME (N failed)'."""
    return f"fetching {source}" + (f" ({failed} failed)" if failed else "")


def older_than(published: str | None, first_seen: float, keep_days: int) -> bool:
    """Whether an article published (or first seen) then is past ``keep_days`` (0: kept for ever)."""
    if keep_days <= 0:
        return False
    cutoff = date.today() - timedelta(days=keep_days)
    try:
        when = date.fromisoformat(published) if published else date.fromtimestamp(first_seen)
    except ValueError:
        when = date.fromtimestamp(first_seen)
    return when < cutoff


def folder_error(folder: Path, articles: list, failures: list[tuple[str, str]], empty_ok: bool = False) -> str | None:
    """Why a folder source counts as not read this time (its articles are then kept), or None."""
    if not folder.exists():
        return f"the folder {folder} does not exist (a disk not mounted, a folder renamed?)"
    if not folder.is_dir():
        return f"{folder} is not a folder"
    if articles:
        return None
    if failures:
        return f"no readable article file in {folder} ({len(failures)} failed, e.g. {failures[0][1]})"
    return None if empty_ok else (f"the folder {folder} holds no article files (to empty the source on purpose, "
                                  "run `citebot index --prune`)")


class SourceSync:
    """Sync and status of the sources of one data directory, writing through its :class:`Indexer`."""

    def __init__(self, indexer: Indexer) -> None:
        self.indexer = indexer

    def sync(self, sources: list, client=None, progress: Progress | None = None, *, prune: bool = True,
             refetch: bool = True, confirmed: bool = False) -> IndexReport:
        """Re-read every source once: folders (files gone from a folder are removed), feeds and URLs (through
        ``retrieval.sources``; pages answering 404/410 are removed; ``refetch`` also re-fetches pages already
        known, to see changes). With ``prune``, articles of sources no longer configured are removed (unless
        another source or a hand-add also holds them), and so are articles past a source's ``keep_days``.

        A source that cannot be read (folder missing or empty, feed unreachable or unparsable, every item failing)
        keeps its articles and is listed in ``report.source_errors``. Removals are planned first: more than half of
        the index is removed only when ``confirmed`` (else ``LargeRemovalError``, after the additions). An empty
        source list is refused. Per-source status is recorded."""
        started = time.time()
        report = IndexReport(0, 0, 0, 0.0)
        indexer = self.indexer
        with indexer.active():
            try:
                with indexer.writing():
                    store = indexer.store
                    if prune and not sources:
                        raise CitebotError("no sources are configured ([articles] folders and [[sources]] are "
                                           "empty): nothing was read and nothing removed; configure a folder or a "
                                           "feed")
                    plan = RemovalPlan()
                    for spec in sources:
                        self._sync_source(spec, client, progress, report, refetch, plan, confirmed)
                    if prune:
                        names = {source_name(s) for s in sources}
                        for origin in store.all_origins() - names - {ADDED}:
                            if is_server_origin(origin):  # a server's own articles are not the config's to prune
                                continue
                            for key in store.keys_of_origin(origin):
                                plan.drop(key, origin)
                    try:
                        plan.check(store, confirmed)
                    finally:
                        indexer.after_write()  # what was added stays, even when the removals wait for confirmation
                    report.removed += plan.apply(store)
                    if prune:
                        for old in set(store.source_rows()) - {source_name(s) for s in sources}:
                            store.forget_source(old)
                    indexer.after_write()
                    if prune and store.counts()[0] == 0:
                        why = "; ".join(f"{p}: {r}" for p, r in (report.source_errors + report.skipped)[:3])
                        raise CitebotError("nothing to index: the configured sources hold no readable articles "
                                           f"({why or 'empty'})")
            except CitebotError as exc:
                report.ok, report.error = False, str(exc)
                indexer.finish(report, started)
                raise
        return indexer.finish(report, started)

    def _sync_source(self, spec, client, progress, report: IndexReport, refetch: bool, plan: RemovalPlan,
                     confirmed: bool = False) -> None:
        """Read one source, add what it holds and plan what it no longer holds. A source that cannot be read
        plans no removal and is recorded in ``report.source_errors``."""
        store = self.indexer.store
        name = source_name(spec)
        kind = getattr(spec, "kind", "folder")
        now = time.time()
        row = store.source_rows().get(name, {})
        failures: list[tuple[str, str]] = []
        error = None
        book = None  # feeds: the items still failing (kept until they succeed or are given up)
        try:
            held = store.keys_of_origin(name)
            if kind == "folder":
                articles, failures = read_articles([Path(spec.location)])
                error = folder_error(Path(spec.location), articles, failures, empty_ok=confirmed)
                partial = any(Path(p).is_dir() for p, _ in failures)  # a folder cut short: files may be missing
            else:
                from retrieval.sources import collect  # the fetching half ([sources]); imported when needed

                state = json.loads(row.get("state") or "{}")
                state["known"] = sorted(store.aliases_of_origin(name))
                state["refetch"] = refetch
                fetching = (lambda done, total, failed=0: progress(fetch_stage(name, failed), done, total)) \
                    if progress else None
                result = collect(client, spec, state, fetching, now)
                articles, failures = result.articles, list(result.failures)
                error = result.error
                gone = list(result.gone)
                tried = len(failures) + len(articles)
                # one item failing is that item's failure; all of several (or a url source's page) the source's
                if error is None and not articles and len(gone) < tried and (tried > 1 or kind == "url"):
                    error = f"all {len(failures)} item(s) failed (e.g. {failures[0][0]}: {failures[0][1]})"
                if result.problem:
                    failures.append((str(spec.location), result.problem))
                book = result.retry
                # the failing items' book always; the validators only when the source could be read
                saved = json.loads(row.get("state") or "{}")
                saved.update({k: state.get(k) for k in (("etag", "modified", "failed") if error is None
                                                        else ("failed",))})
                store.save_source(name, state=json.dumps(saved))
                if error is None:
                    for url in gone:
                        for key in store.find(str(url)):
                            plan.delete(key, name)
                partial = True  # a feed lists its latest items only: what it no longer lists is not gone
            if error is not None:
                location = str(getattr(spec, "location", ""))
                failures = [f for f in failures if f[0] not in (location, str(Path(location)))]
                error += f": its {len(held)} article(s) are kept" if held else ""
            self.indexer.upsert_locked(articles, name, progress, report)
            if error is None and not partial:  # a file deleted from the folder is no longer an article of it
                kept = {store.resolve(a.meta.article_id, article_aliases(a)) for a in articles}
                kept |= {key for path, _ in failures for key in store.find(str(path))}  # there, but unreadable now
                for key in set(held) - kept:
                    plan.drop(key, name)
            keep_days = int(getattr(spec, "keep_days", 0) or 0) if error is None else 0
            for key, (published, first_seen) in store.keys_of_origin(name).items():
                if older_than(published, first_seen, keep_days):
                    plan.drop(key, name)
        except ModelUnavailableError:
            raise  # no source can be indexed: the whole run stops, nothing removed
        except CitebotError as exc:
            error = str(exc)
        except Exception as exc:  # noqa: BLE001 - one source failing never aborts the others
            log.exception("source %s failed", name)
            error = f"{type(exc).__name__}: {exc}"
        report.skipped.extend((str(item), str(reason)) for item, reason in failures)
        if error:
            report.source_errors.append((name, error))
        if book is not None and kind == "feed" and not error:  # the error stays while items keep failing
            notes = [str(reason) for item, reason in failures if item == str(spec.location)]  # a malformed feed
            store.save_source(name, kind=kind, location=str(spec.location), last_poll=now,
                              last_error="; ".join(filter(None, [*notes, book.summary()])) or None, last_ok=now)
            return
        store.save_source(name, kind=kind, location=str(getattr(spec, "location", "")), last_poll=now,
                          last_error=error or (f"{len(failures)} item(s) failed: {failures[0][1]}" if failures
                                               else None),
                          **({} if error else {"last_ok": now}))

    def drop(self, name: str, delete_articles: bool = False) -> int:
        """Forget the source ``name`` (an unsubscribed feed): its articles are deleted (unless another source or
        a hand-add also holds them) with ``delete_articles``, else kept as hand-added. Returns how many articles
        were deleted or kept."""
        indexer = self.indexer
        with indexer.active():
            with indexer.writing():
                store = indexer.store
                count = 0
                for key in store.keys_of_origin(name):
                    if not delete_articles:
                        store.touch(key, None, ADDED, [])
                    count += int(store.drop_origin(key, name) or not delete_articles)
                store.forget_source(name)
                indexer.after_write()
        return count

    def rows(self) -> dict[str, dict]:
        """The recorded state of each source (last poll, last success, last error, fetch state), by name."""
        return self.indexer.store.source_rows()

    def status(self, sources: list | None = None) -> list[dict]:
        """Each source (configured ones first, then any others recorded) with its article count, last poll, last
        successful poll and last error; hand-added articles as the source "added"."""
        store = self.indexer.store
        rows = store.source_rows()
        counts = store.origin_counts()
        names = [source_name(s) for s in sources or []]
        names += [n for n in rows if n not in names]
        if counts.get(ADDED):
            names.append(ADDED)
        out = []
        specs = {source_name(s): s for s in sources or []}
        from retrieval.sources.retry import failing

        for name in names:
            row = rows.get(name, {})
            spec = specs.get(name)
            by_cause, given_up = failing(row.get("state"))
            out.append({
                "name": name,
                "kind": getattr(spec, "kind", None) or row.get("kind") or ("added" if name == ADDED else None),
                "location": str(getattr(spec, "location", "") or row.get("location") or ""),
                "articles": counts.get(name, 0),
                "last_poll": row.get("last_poll"),
                "last_ok": row.get("last_ok"),
                "last_error": row.get("last_error"),
                "failing": by_cause,  # feed items failing now, by cause (retried with back-off)
                "given_up": given_up,
            })
        return out
