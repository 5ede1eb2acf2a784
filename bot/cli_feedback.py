"""``citebot report`` and ``citebot feedback export``: what people asked in Discord and what they thought of it."""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bot.config import Config
from bot.terminal import json_safe, printable
from retrieval.errors import CitebotError
from retrieval.feedback import FEEDBACK_FILE, FeedbackStore
from retrieval.feedback_report import build_report, parse_since


def open_store(config: Config) -> FeedbackStore:
    """The feedback store of the configured data folder; an error naming it when the bot never recorded any."""
    path = config.data_dir / FEEDBACK_FILE
    if not path.is_file():
        raise CitebotError(f"no feedback recorded yet: {path} does not exist (the Discord bot creates it when it "
                           "answers its first question)")
    return FeedbackStore(path)


def render_report(report: dict, period: str) -> str:
    """The report as plain text."""
    asked = report["questions"]

    def share(n: int) -> str:
        return f" ({round(100 * n / asked)}%)" if asked else ""

    since = datetime.fromtimestamp(report["since"], UTC).strftime("%Y-%m-%d %H:%M UTC")
    up, down = report["up"], report["down"]
    rate = f" ({round(100 * up / (up + down))}% 👍)" if up + down else ""
    lines = [f"Questions since {since} ({period}): {asked}",
             f"  answered: {report['answered']}{share(report['answered'])}",
             f"  not covered: {report['not_covered']}{share(report['not_covered'])}",
             f"  votes: {up} 👍 / {down} 👎{rate}", "",
             "Most asked, not covered (what to subscribe to next):"]
    for n, group in enumerate(report["not_covered_groups"], 1):
        lines.append(f"  {n}. “{group['question']}” ×{group['count']}")
        lines += [f"       also: “{e}”" for e in group["examples"]]
    if not report["not_covered_groups"]:
        lines.append("  none")
    lines += ["", "Worst rated:"]
    for row in report["worst_rated"]:
        quoted = f"\n       quoted: “{row['quote']}” ({row['title']})" if row["quote"] else ""
        lines.append(f"  • “{row['question']}”: {row['up']} 👍 / {row['down']} 👎{quoted}")
    if not report["worst_rated"]:
        lines.append("  none")
    return "\n".join(lines)


def cmd_report(args, config: Config) -> int:
    from bot.services import open_library

    since = parse_since(args.since, time.time())
    store = open_store(config)
    try:
        embedder = open_library(config).embedder
        report = build_report(store, since, embedder.encode_query)
    finally:
        store.close()
    if args.json:
        print(json_safe(json.dumps(report, ensure_ascii=False, indent=2)))
    else:
        print(printable(render_report(report, args.since)))
    return 0


def cmd_feedback_export(args, config: Config) -> int:
    since = parse_since(args.since, time.time()) if args.since else None
    store = open_store(config)
    try:
        rows = [json.dumps(row, ensure_ascii=False) for row in store.export(since)]
    finally:
        store.close()
    text = "".join(line + "\n" for line in rows)
    if args.output:
        out = Path(args.output)
        tmp = out.with_name(out.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(out)
        print(f"wrote {len(rows)} question(s) to {out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def register(sub) -> None:
    """Add ``report`` and ``feedback export`` to the top-level subcommands."""
    p = sub.add_parser("report", help="questions asked in Discord: answered, not covered (grouped), votes")
    p.add_argument("--since", default="7d", help="hours, days or weeks back (24h, 7d, 2w) or a day (YYYY-MM-DD); "
                   "default %(default)s")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("feedback", help="the answers' feedback (👍/👎) as evaluation data")
    fb = p.add_subparsers(dest="what", required=True)
    e = fb.add_parser("export", help="one JSON line per recorded question (question, quote, vote, gold_pid...)")
    e.add_argument("--since", default=None, help="only questions since: 24h, 7d, 2w or YYYY-MM-DD (default: all)")
    e.add_argument("--output", "-o", default=None, help="write to this file (default: standard output)")
    e.set_defaults(func=cmd_feedback_export)
