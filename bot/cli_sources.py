"""``citebot preview`` and ``citebot eval extraction``: what a page or file would become, and how well pages do."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from bot.config import Config
from bot.formats import format_date
from bot.services import http_client
from bot.terminal import emit_metrics
from retrieval.errors import CitebotError


def render_preview(data: dict) -> str:
    """A readable preview: title, attribution, link, then the numbered paragraphs."""
    details = [data["source"] or "unknown publisher", format_date(data["published"]) or "undated"]
    if data["author"]:
        details.insert(1, data["author"])
    lines = [data["title"], "    " + " · ".join(details)]
    if data["url"]:
        lines.append(f"    {data['url']}")
    lines.append(f"    {len(data['paragraphs'])} paragraphs would be indexed:")
    for n, text in enumerate(data["paragraphs"], 1):
        wrapped = textwrap.fill(text, width=100, initial_indent=f"¶{n}  ", subsequent_indent="     ")
        lines += ["", wrapped]
    return "\n".join(lines)


def cmd_preview(args, config: Config) -> int:
    from retrieval.sources.preview import preview

    data = preview(args.target, http_client(config), config.splitter)
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        print(render_preview(data))
    return 0


def cmd_eval_extraction(args, config: Config) -> int:
    from retrieval.evaluation.extraction import evaluate_extraction

    set_dir = Path(args.set)
    if not set_dir.is_dir():
        raise CitebotError(f"no such folder: {set_dir}")
    result = evaluate_extraction(set_dir, config.splitter, limit=args.limit)
    return emit_metrics(args.json, result)


def register(sub, evals) -> None:
    """Add ``preview`` to the top-level subcommands and ``extraction`` to ``eval``'s."""
    p = sub.add_parser("preview", help="show what a URL or article file would be indexed as (stores nothing)")
    p.add_argument("target", metavar="URL|FILE")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_preview)

    e = evals.add_parser("extraction", help="body precision/recall/F1 of web-page extraction against gold")
    e.add_argument("--set", required=True, help="folder with pages/<id>.html and gold.jsonl")
    e.add_argument("--limit", type=int, default=None, help="only the first N pages")
    e.add_argument("--json", action="store_true")
    e.set_defaults(func=cmd_eval_extraction)

