"""``citebot subscribe URL`` and ``citebot unsubscribe URL|NAME``: feeds followed from the command line, stored in
the data folder beside the configured sources (the same as ``/subscribe`` and ``/unsubscribe`` in Discord)."""

from __future__ import annotations

import argparse

from bot.config import Config
from bot.services import http_client
from bot.terminal import printable


def subscribed_text(done) -> str:
    """What a subscription did, in a few lines: the feed chosen (and how it was found), what was indexed."""
    sub, found, report = done.subscription, done.feed, done.report
    lines = [f"subscribed to “{sub.name}”: {sub.location}",
             f"  ({found.how}; {found.items} item(s) listed; polled every {sub.poll_minutes} min)"]
    if len(found.candidates) > 1:
        lines.append(f"  the page links to {len(found.candidates)} feeds; chose the first that works")
    if report is None:
        lines.append("  another write is running: its items are indexed at the next `citebot index` or poll")
    else:
        failed = f", {len(report.skipped)} item(s) failed (retried on later polls)" if report.skipped else ""
        lines.append(f"  {report.added} new article(s) indexed{failed}")
    return "\n".join(lines)


def cmd_subscribe(args, config: Config) -> int:
    from bot.subscribing import subscribe  # the fetching half: imported when needed

    library = args.writer(config, args.wait)
    done = subscribe(config, library, http_client(config), args.url, added_by="command line",
                     poll_minutes=args.every)
    print(printable(subscribed_text(done)))
    return 0


def cmd_unsubscribe(args, config: Config) -> int:
    from bot.subscribing import unsubscribe

    library = args.writer(config, args.wait)
    sub, count = unsubscribe(config, library, args.source, args.delete_articles)
    what = (f"{count} article(s) deleted" if args.delete_articles
            else f"its {count} article(s) kept (as added by hand; `citebot remove` removes one)")
    print(printable(f"unsubscribed from “{sub.name}” ({sub.location}): {what}"))
    return 0


def register(sub, wait_default: float, writer) -> None:
    """Add ``subscribe`` and ``unsubscribe`` to the top-level subcommands (``writer(config, wait)``: the library
    that waits for another writer, as the other writing commands use)."""
    p = sub.add_parser("subscribe", help="follow a feed (or the feed a site's page links to); polled like "
                       "configured feeds")
    p.add_argument("url", metavar="URL")
    p.add_argument("--every", type=int, default=None, metavar="MINUTES", help="poll interval (default 30)")
    p.add_argument("--wait", type=float, default=wait_default, help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_subscribe, writer=writer)

    p = sub.add_parser("unsubscribe", help="stop following a subscribed feed (by URL or name)")
    p.add_argument("source", metavar="URL|NAME")
    p.add_argument("--delete-articles", action="store_true", help="also remove its articles from the index")
    p.add_argument("--wait", type=float, default=wait_default, help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_unsubscribe, writer=writer)
