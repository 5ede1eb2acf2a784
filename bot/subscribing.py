"""Subscribing to feeds at run time, shared by ``/subscribe`` and ``citebot subscribe``: find the feed an address
names, store it in the data folder, index what it lists now; and the reverse. Everything blocks (worker thread)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Config
from bot.servers import within_limit
from bot.services import config_sources
from retrieval.errors import CitebotError, ReindexBusyError
from retrieval.index.report import IndexReport
from retrieval.library import Library
from retrieval.sources.discover import FoundFeed, find_feed
from retrieval.sources.subscriptions import Subscription, add, find, of_server, remove
from retrieval.sources.sync import source_name
from retrieval.tenants import Tenant, check_room, drop_source
from retrieval.text.urls import url_key

DEFAULT_POLL_MINUTES = 30


@dataclass
class Subscribed:
    """What ``subscribe`` did: the subscription, the feed found (and how), the first poll's report."""

    subscription: Subscription
    feed: FoundFeed
    report: IndexReport | None  # None: another write was running; indexed at the first poll


def config_names(config: Config) -> set[str]:
    """Names of the sources written in the configuration file (shown as "(config)")."""
    return {source_name(s) for s in config_sources(config)}


def subscribe(config: Config, library: Library, client, url: str, added_by: str = "",
              poll_minutes: int | None = None, server: int | None = None) -> Subscribed:
    """Find the feed at ``url`` (or the one its page links to), subscribe to it and index its items now.
    ``server``: a (non-home) server's own subscription, its articles that server's (``[servers] max_sources``
    limits how many it has); None: the operator's collection."""
    url = url.strip()
    if not url.startswith(("http://", "https://")):
        raise CitebotError(f"“{url}” is not a web address: give the feed's or the site's http(s) URL")
    if poll_minutes is not None and not 1 <= poll_minutes <= 24 * 60:
        raise CitebotError("the poll interval must be between 1 and 1440 minutes")
    limit = config.servers.max_sources
    held = len(of_server(config.data_dir, server)) if server is not None else 0
    if server is not None and 0 < limit <= held:  # said before anything is fetched
        raise CitebotError(f"this server already follows {held} feed(s); the limit is {limit} "
                           "([servers] max_sources): /unsubscribe one first")
    if server is not None:
        check_room(library.store, Tenant(server), config.servers.max_articles)
    found = find_feed(client, url)
    for spec in config_sources(config):
        if server is None and getattr(spec, "kind", "") == "feed" and url_key(spec.location) == url_key(found.url):
            raise CitebotError(f"{found.url} is already a source in the configuration (“{source_name(spec)}”)")
    sub = add(config.data_dir, found.url, found.title or found.url, poll_minutes or DEFAULT_POLL_MINUTES,
              added_by, taken=config_names(config) if server is None else set(), server=server, max_sources=limit)
    spec = within_limit(config, library.store, server, sub.spec())
    try:
        report = library.sync([spec], client, prune=False, refetch=False) if spec is not None else None
    except ReindexBusyError:  # another write holds the index: the poller indexes it at its first poll
        report = None
    return Subscribed(sub, found, report)


def unsubscribe(config: Config, library: Library, ref: str, delete_articles: bool = False,
                server: int | None = None) -> tuple[Subscription, int]:
    """Stop following the subscribed feed ``ref`` names (URL or name) of ``server`` (None: the operator's); its
    articles are deleted with ``delete_articles`` (only where nothing else holds them), else kept. Returns the
    subscription and how many articles were deleted (or kept)."""
    wanted = " ".join(ref.split()).casefold()
    own = of_server(config.data_dir, server)
    for spec in config_sources(config) if server is None else []:
        same = (url_key(str(spec.location)) == url_key(ref) if wanted.startswith(("http://", "https://"))
                else source_name(spec).casefold() == wanted)
        if same and not find(own, ref):
            raise CitebotError(f"“{source_name(spec)}” is a source in the configuration file: remove it there "
                               "(and run `citebot index`)")
    found = find(own, ref)
    if len(found) == 1 and server is None:  # articles first: when the index is busy, nothing has changed
        count = library.sources_sync.drop(found[0].name, delete_articles)
    elif len(found) == 1:  # a server's: kept as its own hand-added articles, never the operator's
        count = drop_source(library.indexer, Tenant(server), found[0].name, delete_articles)
    sub = remove(config.data_dir, ref, server)  # raises, naming the choices, unless ``ref`` names exactly one
    return sub, count


def source_origin(config: Config, name: str) -> str:
    """Where a source comes from: "config" (the configuration file), "subscribed" (/subscribe), else ""."""
    if name in config_names(config):
        return "config"
    return "subscribed" if any(s.name == name for s in of_server(config.data_dir, None)) else ""


def failing_text(row: dict) -> str:
    """'failing items: HTTP 404 Not Found (2), too short to be an article (1); 1 given up' for a status row."""
    counts = ", ".join(f"{cause} ({n})" for cause, n in (row.get("failing") or {}).items())
    if not counts:
        return ""
    given_up = row.get("given_up") or 0
    return f"failing items: {counts}" + (f"; {given_up} given up" if given_up else "")


def feed_hint(url: str, reason: str, command: str) -> str | None:
    """For an address ``/add`` refused as "not a web page" because it is a feed: a line telling to subscribe
    (``command``: how to, e.g. "`/subscribe url:…`"); else None."""
    kind = reason.removeprefix("not a web page (").rstrip(")")
    if kind != reason and any(word in kind for word in ("rss", "atom", "rdf", "xml")):
        return f"it is a news feed, not an article: {command} follows it (new articles indexed as they appear)"
    return None


def comeback_warning(config: Config, origins: set[str], discord: bool = False) -> str | None:
    """For an article just removed: a line saying it comes back while a web source (``url`` or ``feed``) it came
    from still provides it, naming the source and how to remove it; None when none does."""
    from bot.services import configured_sources

    subscribed = {s.name for s in of_server(config.data_dir, None)}
    for spec in configured_sources(config):
        name = source_name(spec)
        if name not in origins or getattr(spec, "kind", "folder") == "folder":
            continue
        if name in subscribed:
            how = "/unsubscribe it" if discord else f"`citebot unsubscribe \"{name}\"`"
        else:
            how = "remove it from the bot's config.toml" if discord else "remove it from config.toml"
        when = "at the next /reindex or poll" if discord else "at the next `citebot index` (or poll)"
        return (f"Note: it comes back {when} while the {spec.kind} source “{name}” provides it: {how} to keep it "
                "out.")
    return None
