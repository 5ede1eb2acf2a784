"""Syncing the configured sources into the store: each source read once (folders, feeds, URLs), what left a source
removed, what outlived ``keep_days`` pruned, and each source's status recorded."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from retrieval.errors import CitebotError
from retrieval.index.indexer import Indexer, Progress, article_aliases
from retrieval.index.report import IndexReport
from retrieval.index.store import ADDED
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


class SourceSync:
    """Sync and status of the sources of one data directory, writing through its :class:`Indexer`."""

    def __init__(self, indexer: Indexer) -> None:
        self.indexer = indexer

    def sync(self, sources: list, client=None, progress: Progress | None = None, *, prune: bool = True,
             refetch: bool = True) -> IndexReport:
        """Re-read every source once: folders (files gone from a folder are removed), feeds and URLs (through
        ``retrieval.sources``; pages answering 404/410 are removed; ``refetch`` also re-fetches pages already
        known, to see changes). With ``prune``, articles of sources no longer configured are removed (unless
        another source or a hand-add also holds them), and so are articles past a source's ``keep_days``.
        Per-source status is recorded."""
        started = time.time()
        report = IndexReport(0, 0, 0, 0.0)
        indexer = self.indexer
        with indexer.active():
            try:
                with indexer.writing():
                    store = indexer.store
                    for spec in sources:
                        self._sync_source(spec, client, progress, report, refetch)
                    if prune:
                        names = {source_name(s) for s in sources}
                        for origin in store.all_origins() - names - {ADDED}:
                            for key in store.keys_of_origin(origin):
                                report.removed += int(store.drop_origin(key, origin))
                        for old in set(store.source_rows()) - names:
                            store.forget_source(old)
                    indexer.after_write()
                    if prune and store.counts()[0] == 0:
                        raise CitebotError("nothing to index: the configured sources hold no readable articles "
                                           f"({'; '.join(f'{p}: {r}' for p, r in report.skipped[:3]) or 'empty'})")
            except CitebotError as exc:
                report.ok, report.error = False, str(exc)
                indexer.finish(report, started)
                raise
        return indexer.finish(report, started)

    def _sync_source(self, spec, client, progress, report: IndexReport, refetch: bool = True) -> None:
        store = self.indexer.store
        name = source_name(spec)
        kind = getattr(spec, "kind", "folder")
        now = time.time()
        row = store.source_rows().get(name, {})
        failures: list[tuple[str, str]] = []
        error = None
        try:
            if kind == "folder":
                articles, failures = read_articles([Path(spec.location)])
                gone = set(store.keys_of_origin(name))
            else:
                from retrieval.sources import collect  # the fetching half ([sources]); imported when needed

                state = json.loads(row.get("state") or "{}")
                state["known"] = sorted(store.aliases_of_origin(name))
                state["refetch"] = refetch
                result = collect(client, spec, state)
                articles, failures = result.articles, list(result.failures)
                store.save_source(name, state=json.dumps({k: state.get(k) for k in ("etag", "modified")}))
                gone = set()
                for url in getattr(result, "gone", []):
                    for key in store.find(str(url)):
                        report.removed += int(store.delete(key))
            kept: set[str] = set()
            self.indexer.upsert_locked(articles, name, progress, report)
            for article in articles:
                key = store.resolve(article.meta.article_id, article_aliases(article))
                if key:
                    kept.add(key)
            if kind == "folder":  # a file deleted from the folder is no longer an article of it
                for key in gone - kept:
                    report.removed += int(store.drop_origin(key, name))
            keep_days = int(getattr(spec, "keep_days", 0) or 0)
            for key, (published, first_seen) in store.keys_of_origin(name).items():
                if older_than(published, first_seen, keep_days):
                    report.removed += int(store.drop_origin(key, name))
        except CitebotError as exc:
            error = str(exc)
        except Exception as exc:  # noqa: BLE001 - one source failing never aborts the others
            log.exception("source %s failed", name)
            error = f"{type(exc).__name__}: {exc}"
        report.skipped.extend((str(item), str(reason)) for item, reason in failures)
        if error:
            report.skipped.append((name, error))
        store.save_source(name, kind=kind, location=str(getattr(spec, "location", "")), last_poll=now,
                          last_error=error or (f"{len(failures)} item(s) failed: {failures[0][1]}" if failures
                                               else None),
                          **({} if error else {"last_ok": now}))

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
        for name in names:
            row = rows.get(name, {})
            spec = specs.get(name)
            out.append({
                "name": name,
                "kind": getattr(spec, "kind", None) or row.get("kind") or ("added" if name == ADDED else None),
                "location": str(getattr(spec, "location", "") or row.get("location") or ""),
                "articles": counts.get(name, 0),
                "last_poll": row.get("last_poll"),
                "last_ok": row.get("last_ok"),
                "last_error": row.get("last_error"),
            })
        return out
