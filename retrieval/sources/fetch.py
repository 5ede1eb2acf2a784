"""Fetch one article page, poll one feed, collect one source: the three things the index asks of the web."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from retrieval.sources.feeds import FeedEntry, parse_feed
from retrieval.sources.fullcontent import MIN_PARAGRAPHS, article_from_content, full_paragraphs
from retrieval.sources.http import FetchError, HttpClient
from retrieval.sources.pages import NotAnArticle, PageFallback, article_from_html
from retrieval.sources.retry import RetryBook
from retrieval.sources.spec import SourceSpec
from retrieval.text.articles import Article, read_articles
from retrieval.text.urls import url_key

HTML_TYPES = {"text/html", "application/xhtml+xml", ""}
FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, application/xml;q=0.8, */*;q=0.5"


class FailureReason(str):
    """A failure's reason: a plain string that also says whether the page is gone (404/410 on re-fetch)."""

    gone: bool = False

    def __new__(cls, text: str, gone: bool = False) -> FailureReason:
        reason = super().__new__(cls, text)
        reason.gone = gone
        return reason


@dataclass
class FeedPoll:
    """One poll of a feed: its entries (feed order), the validators for the next conditional GET, and whether
    the server answered 304 Not Modified (then ``entries`` is empty)."""

    entries: list[FeedEntry] = field(default_factory=list)
    etag: str | None = None
    modified: str | None = None
    not_modified: bool = False
    title: str | None = None  # the feed's own title (a publisher name, often)
    problem: str | None = None  # a malformed feed's parse error (the entries are those that could be read)


@dataclass
class SourceState:
    """What the index remembers of a source between collections."""

    etag: str | None = None  # feeds: validators of the last poll
    modified: str | None = None
    known: set[str] = field(default_factory=set)  # url_key of every page already indexed: not fetched again
    refetch: bool = False  # fetch known pages too (a full re-index: picks up changes, and 404/410 removals)


@dataclass
class CollectResult:
    """The outcome of collecting one source. Unpacks as ``articles, failures = collect(...)``."""

    articles: list[Article] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)  # (url or path, FailureReason)
    gone: list[str] = field(default_factory=list)  # URLs that answered 404/410: remove their articles
    skipped: list[str] = field(default_factory=list)  # entries not fetched: already known, or older than keep_days
    etag: str | None = None
    modified: str | None = None
    not_modified: bool = False
    error: str | None = None  # the source itself could not be read (feed unreachable or not a feed)
    problem: str | None = None  # read, but not cleanly: a malformed feed's parse error
    retry: RetryBook | None = None  # feeds: the items failing now (retried on later polls), after this collection

    def __iter__(self) -> Iterator:
        return iter((self.articles, self.failures))


def _looks_like_html(body: bytes) -> bool:
    head = body[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head or b"<body" in head


def fetch_article(client: HttpClient, url: str, fallback: FeedEntry | PageFallback | None = None) -> Article:
    """Fetch ``url`` and extract its article. ``fallback`` (a feed entry) fills what the page lacks.
    Raises ``FetchError`` (with ``.gone`` for 404/410) or ``NotAnArticle``, each with a short ``reason``."""
    if isinstance(fallback, FeedEntry):
        fallback = PageFallback(fallback.title, fallback.author, fallback.published, None, fallback.link)
    fallback = fallback or PageFallback(link=url)
    if fallback.link is None:
        fallback = PageFallback(fallback.title, fallback.author, fallback.published, fallback.source, url)
    response = client.get(url)
    if response.not_modified:
        raise NotAnArticle(url, "not modified")
    if response.content_type not in HTML_TYPES and not (
        response.content_type in ("text/plain", "application/octet-stream") and _looks_like_html(response.body)
    ):
        raise NotAnArticle(url, f"not a web page ({response.content_type})")
    if not response.body.strip():
        raise NotAnArticle(url, "the page is empty")
    return article_from_html(response.text, response.url, fallback)


def poll_feed(
    client: HttpClient, spec: SourceSpec | str, etag: str | None = None, modified: str | None = None
) -> FeedPoll:
    """Fetch and parse a feed (conditional GET when ``etag``/``modified`` are given). Raises ``FetchError``
    (also when the document is not a feed)."""
    url = spec if isinstance(spec, str) else spec.location
    response = client.get(url, etag=etag, modified=modified, accept=FEED_ACCEPT)
    new_etag = response.headers.get("etag") or etag
    new_modified = response.headers.get("last-modified") or modified
    if response.not_modified:
        return FeedPoll([], new_etag, new_modified, True)
    try:
        feed = parse_feed(response.body, response.url, response.headers.get("content-type"))
    except ValueError as exc:
        raise FetchError(url, str(exc)) from exc
    return FeedPoll(feed.entries, new_etag, new_modified, False, feed.title, feed.problem)


def _too_old(published: str | None, keep_days: int) -> bool:
    if not keep_days or not published:
        return False
    try:
        return date.fromisoformat(published) < date.today() - timedelta(days=keep_days)
    except ValueError:
        return False


def _reason(exc: Exception) -> FailureReason:
    if isinstance(exc, FetchError):
        return FailureReason(exc.reason, exc.gone)
    if isinstance(exc, NotAnArticle):
        return FailureReason(exc.reason)
    return FailureReason(f"cannot extract ({type(exc).__name__}: {exc})")


def _state(state: SourceState | dict | None) -> SourceState:
    if isinstance(state, SourceState):
        return state
    state = state or {}
    return SourceState(state.get("etag"), state.get("modified"), set(state.get("known") or ()),
                       bool(state.get("refetch", False)))


def feed_targets(entries: list[FeedEntry], spec: SourceSpec, state: SourceState, feed_title: str | None = None,
                 skipped: list[str] | None = None) -> list[tuple[str, PageFallback]]:
    """The pages to fetch for a feed's entries: the first ``spec.max_items`` (0: all), each URL once (linear: one
    set of URL keys), known pages (unless ``state.refetch``) and entries older than ``keep_days`` left out and
    added to ``skipped``."""
    if spec.max_items:
        entries = entries[: spec.max_items]
    targets: list[tuple[str, PageFallback]] = []
    seen: set[str] = set()
    for entry in entries:
        key = url_key(entry.link)
        if _too_old(entry.published, spec.keep_days) or (key in state.known and not state.refetch):
            if skipped is not None:
                skipped.append(entry.link)
        elif key not in seen:
            seen.add(key)
            targets.append((entry.link, PageFallback(entry.title, entry.author, entry.published, feed_title,
                                                     entry.link)))
    return targets


def collect(
    client: HttpClient | None,
    spec: SourceSpec,
    state: SourceState | dict | None = None,
    progress: Callable[..., None] | None = None,
    now: float | None = None,
) -> CollectResult:
    """Everything one source holds now. Folder: its article files. URL: its page. Feed: each entry's page (the
    first ``max_items`` entries; known pages and entries older than ``keep_days`` are skipped unless
    ``state.refetch``), entry fields as fallback, the entry's own full text when the page fails. Items that
    failed before are retried with back-off (``retry.RetryBook``), also when the feed answers 304. One bad item
    is a failure with its reason, never an abort; a feed that cannot be fetched at all is one failure naming the
    feed. ``progress(done, total, failed)`` after each page.

    ``state`` may be a ``SourceState`` or a JSON-able dict (keys ``etag``, ``modified``, ``known``, ``refetch``,
    ``failed``); a dict is updated in place with the new ``etag``, ``modified`` and ``failed`` so the caller can
    store it as it is."""
    raw_state = state if isinstance(state, dict) else None
    book = RetryBook.from_state(raw_state)
    state = _state(state)
    result = _collect(client, spec, state, progress, book, time.time() if now is None else now)
    result.retry = book
    if raw_state is not None:
        raw_state.update({k: v for k, v in (("etag", result.etag), ("modified", result.modified)) if v})
        raw_state["failed"] = book.to_state()
    return result


def _fetch_entry(client, url: str, fallback: PageFallback | None, content: str | None) -> Article:
    """The page at ``url``; when it cannot be fetched or extracted, the feed item's own full text if it has one."""
    try:
        return fetch_article(client, url, fallback)
    except (FetchError, NotAnArticle):
        if full_paragraphs(content) < MIN_PARAGRAPHS or fallback is None:
            raise
        return article_from_content(content, fallback)


def _collect(client, spec: SourceSpec, state: SourceState, progress, book: RetryBook, now: float) -> CollectResult:
    result = CollectResult(etag=state.etag, modified=state.modified)
    if spec.kind == "folder":
        result.articles, result.failures = read_articles([Path(spec.location)])
        return result
    if client is None:
        raise ValueError("a feed or url source needs an HttpClient")
    contents: dict[str, str | None] = {}
    if spec.kind == "url":
        targets: list[tuple[str, PageFallback | None]] = [(spec.location, None)]
    elif spec.kind == "feed":
        try:
            poll = poll_feed(client, spec, state.etag, state.modified)
        except FetchError as exc:
            result.failures.append((spec.location, _reason(exc)))
            result.error = f"the feed cannot be read ({exc.reason})"
            return result
        result.etag, result.modified, result.not_modified = poll.etag, poll.modified, poll.not_modified
        result.problem = poll.problem
        targets = []
        for link, fallback in feed_targets(poll.entries, spec, state, poll.title, result.skipped):
            if book.waiting(link, now) and not state.refetch:
                result.skipped.append(link)  # failed before: retried when its back-off has passed
            else:
                targets.append((link, fallback))
        contents.update({url_key(e.link): e.content for e in poll.entries if e.content})
        if not poll.not_modified:
            book.forget_given_up({url_key(e.link) for e in poll.entries})
        listed = {url_key(t) for t, _ in targets}
        for item in book.due(now):  # failed before and due again, whether or not the feed changed
            if url_key(item.link) not in listed and url_key(item.link) not in state.known:
                targets.append((item.link, PageFallback(item.title, item.author, item.published, item.source,
                                                        item.link)))
    else:
        raise ValueError(f"unknown source kind {spec.kind!r}")
    failed = 0
    for done, (url, entry) in enumerate(targets, 1):
        try:
            article = _fetch_entry(client, url, entry, contents.get(url_key(url)))
            if _too_old(article.meta.published, spec.keep_days):
                result.skipped.append(url)
            else:
                result.articles.append(article)
            book.succeeded(url)
        except Exception as exc:  # one bad page never aborts the collection
            reason = _reason(exc)
            result.failures.append((url, reason))
            failed += 1
            if spec.kind == "feed":
                book.failed(url, reason, now, entry)
            if isinstance(exc, FetchError) and exc.gone:
                result.gone.append(url)
        if progress:
            progress(done, len(targets), failed)
    return result
