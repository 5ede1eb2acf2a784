"""The ``citebot`` command line: index, add, remove, ask, sources, chat, run, summary, preview, eval."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from dataclasses import replace
from pathlib import Path

from bot.cli_feedback import register as register_feedback_commands
from bot.cli_sources import register as register_source_commands
from bot.cli_subscriptions import register as register_subscription_commands
from bot.config import Config, load_config
from bot.console import chat, render_answer, render_sources, render_summary
from bot.progress import IndexProgress, failure_lines
from bot.servers import server_view
from bot.services import configured_sources, http_client, open_library
from bot.terminal import emit_metrics, json_safe, printable
from retrieval.errors import CitebotError, ModelChangedError
from retrieval.index.naming import short_id
from retrieval.index.report import IndexReport
from retrieval.index.vectors.settings import KINDS as INDEX_KINDS
from retrieval.library import Library
from retrieval.query.conversation import Turn, extend
from retrieval.query.timefilter import TimeWindow
from retrieval.sources.sync import fetch_stage
from retrieval.threads import configure as configure_threads

#: Seconds a command waits for another process's write to the index before giving up (naming it).
WRITE_WAIT_SECONDS = 600.0


class ProgressBar:
    """tqdm bars for the stages of indexing (on stderr, only at a terminal unless forced)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bars: dict = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled or stage == "read":
            return
        from tqdm import tqdm

        bar = self.bars.get(stage)
        if bar is None:
            bar = self.bars[stage] = tqdm(total=total, desc=f"embedding {stage}", unit="text", file=sys.stderr)
        bar.n = done
        bar.refresh()
        if done >= total:
            bar.close()


def print_report(report: IndexReport) -> None:
    """The report's summary line, then its failures counted by cause with a few examples each."""
    print(printable(report.summary()), file=sys.stderr)
    for line in failure_lines(report.skipped):
        print(line, file=sys.stderr)


def writer_library(config: Config, wait: float = WRITE_WAIT_SECONDS) -> Library:
    """A library that waits up to ``wait`` seconds for another writer, saying who it waits for."""
    library = open_library(config, write_timeout=wait)
    library.on_wait = lambda holder: print(f"waiting for another writer to finish: {holder} …", file=sys.stderr)
    return library


def ensure_index(library: Library, config: Config) -> None:
    """Read the configured sources when nothing is indexed yet (first run); re-embed after a model change."""
    if library.has_index():
        try:
            library.collection()
        except ModelChangedError as exc:
            print(f"{exc.change}: re-embedding the articles with {exc.configured!r} "
                  "(once; vectors are cached per model) …", file=sys.stderr)
            library.allow_model_change = True
            library.collection()
        return
    sources = configured_sources(config)
    names = ", ".join(str(getattr(s, "location", s)) for s in sources)
    print(f"No index yet: indexing {names} …", file=sys.stderr)
    progress = IndexProgress(sys.stderr.isatty())
    report = library.sync(sources, http_client(config), progress)
    progress.close()
    print_report(report)


def cmd_index(args, config: Config) -> int:
    library = writer_library(config, args.wait)
    prepare_questions(library, config, announce=sys.stderr.isatty())  # done now; said at a terminal
    progress = IndexProgress(sys.stderr.isatty() or args.progress)
    if args.paths:
        paths = [Path(p) for p in args.paths]
        missing = [p for p in paths if not p.exists()]
        if missing and len(missing) == len(paths):
            raise CitebotError(f"no such file or folder: {', '.join(map(str, missing))}")
        report = library.index(paths, progress)
    else:
        report = library.sync(configured_sources(config), http_client(config), progress, confirmed=args.prune)
    progress.close()
    print_report(report)
    for name, reason in report.source_errors:
        print(printable(f"citebot: error: source {name}: {reason}"), file=sys.stderr)
    return 1 if report.source_errors else 0


def prepare_questions(library: Library, config: Config, announce: bool = True) -> None:
    """Make the question model's one-time ONNX export now (at index time: not at the first question), saying so
    when ``announce``."""
    from embeddings.onnx import ONNX_FILE

    if config.model.query_runtime != "onnx" or any((library.data_dir / "onnx").glob(f"*/{ONNX_FILE}")):
        return
    if announce:
        print("preparing the question model (a one-time ONNX export, about 10 s) …", file=sys.stderr, flush=True)
    library.embedder.encode_query("warm-up")


def cmd_add(args, config: Config) -> int:
    """Fetch each URL (or read each file) and add or update it; one line per item, exit 1 if any failed."""
    library = writer_library(config, args.wait)
    prepare_questions(library, config, announce=sys.stderr.isatty())  # done now; said at a terminal
    articles, failed = [], []
    client = None
    progress = IndexProgress(sys.stderr.isatty())
    for n, item in enumerate(args.items, 1):
        if n > 1:
            progress(fetch_stage("URLs", len(failed)), n - 1, len(args.items))
        if Path(item).exists():
            from retrieval.text.articles import read_articles

            found, skipped = read_articles([Path(item)])
            articles += found
            failed += skipped
            continue
        try:
            from retrieval.sources import fetch_article  # the fetching half ([sources])
        except ImportError:
            failed.append((item, "fetching URLs is not available in this build"))
            continue
        client = client or http_client(config)
        try:
            articles.append(fetch_article(client, item))
        except CitebotError as exc:
            from bot.subscribing import feed_hint

            reason = getattr(exc, "reason", None) or str(exc)
            failed.append((item, feed_hint(item, reason, f"`citebot subscribe {item}`") or reason))
    progress(fetch_stage("URLs", len(failed)), len(args.items), len(args.items))
    if args.server is not None:  # one server's own articles (stored once; limits apply)
        report = server_view(config, library, args.server).upsert(articles)
    else:
        report = library.upsert(articles, progress=progress)
    progress.close()
    indexed = library.indexed_articles(report.titles) if report.titles else {}
    for key in report.titles:
        if key in indexed:
            meta, paragraphs = indexed[key]
            details = " · ".join(x for x in (meta.source, meta.published, f"{paragraphs} ¶") if x)
            print(printable(f"added {meta.title} — {details} · id {short_id(key)}"))
    if report.unchanged:
        print(f"{report.unchanged} article(s) already indexed, unchanged")
    problems = failed + report.skipped
    if len(problems) <= 3:
        for item, reason in problems:
            print(printable(f"citebot: error: {item}: {reason}"), file=sys.stderr)
    else:
        print(f"citebot: error: {len(problems)} item(s) failed", file=sys.stderr)
        for line in failure_lines(problems):
            print(line, file=sys.stderr)
    return 1 if problems else 0


def for_server(library: Library, config: Config, server: int | None):
    """``library`` itself, or as the server ``server`` sees it (``--server ID``; bot/servers.py)."""
    return library if server is None else server_view(config, library, server)


def cmd_remove(args, config: Config) -> int:
    from bot.subscribing import comeback_warning

    library = writer_library(config, args.wait)
    if args.server is not None:  # that server's membership only (the article stays while another holds it)
        for meta in for_server(library, config, args.server).remove(args.article):
            print(printable(f"removed {meta.title} (id {short_id(meta.article_id)}, {meta.article_id})"))
        return 0
    key, origins = library.name_article(args.article)
    for meta in library.remove(key):
        print(printable(f"removed {meta.title} (id {short_id(meta.article_id)}, {meta.article_id})"))
    warning = comeback_warning(config, origins)
    if warning:
        print(printable(warning), file=sys.stderr)
    return 0


def emit(as_json: bool, data, render) -> int:
    """Print ``data`` as JSON, or ``render(color)`` as terminal text."""
    if as_json:
        print(json_safe(json.dumps(data, ensure_ascii=False, indent=2)))
    else:
        print(render(sys.stdout.isatty()))
    return 0


def cmd_ask(args, config: Config) -> int:
    opened = open_library(config)
    if opened.has_index():
        prepare_questions(opened, config)  # announced: the first question in a fresh data folder waits for it
    library = for_server(opened, config, args.server)
    today = config.today()
    window = TimeWindow.parse(args.since, args.until, today)
    history: list[Turn] = []
    for earlier in args.history or []:  # the conversation so far, asked first (oldest first)
        before = library.ask(earlier, args.k, history=history, window=window, today=today)
        history = extend(history, before)
    answer = library.ask(args.question, args.k, history=history, window=window, today=today)
    return emit(args.json, answer.to_json(), lambda color: render_answer(answer, color))


def cmd_sources(args, config: Config) -> int:
    library = open_library(config)
    if args.by_source:
        from bot.subscribing import source_origin

        rows = library.source_status(configured_sources(config))
        for row in rows:
            row["origin"] = source_origin(config, row["name"])
        return emit(args.json, rows, lambda color: render_source_status(rows))
    rows = [{**row, "short_id": short_id(row["article_id"])} for row in library.sources()]
    return emit(args.json, rows, lambda color: render_sources(rows))


def render_source_status(rows: list[dict]) -> str:
    """One line per source: name, kind, article count, last poll, last error."""
    import time

    def when(ts) -> str:
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts)) if ts else "never"

    from bot.subscribing import failing_text

    lines = []
    for r in rows:
        kind = ", ".join(x for x in (r['kind'] or 'unknown', r.get("origin")) if x)
        line = f"{r['name']} ({kind}): {r['articles']} article(s), last poll {when(r['last_poll'])}"
        if r.get("last_error"):
            line += f", last error: {r['last_error']}"
        if failing_text(r) and "item(s) failing" not in str(r.get("last_error")):
            line += f"\n    {failing_text(r)}"
        lines.append(printable(line))
    return "\n".join(lines) if lines else "No sources."
_PERIOD = re.compile(r"(?:^|\s)(since|until):\s*(\S+)")


def parse_summary_request(text: str) -> dict:
    """'/summary', '/summary article:<title or id>', '/summary topic:<text>', with optional 'since:<day>' and
    'until:<day>' (console) -> keyword arguments (``since``/``until`` as given)."""
    period = {key: value for key, value in _PERIOD.findall(text)}
    text = _PERIOD.sub(" ", text).strip()
    for key in ("article", "topic"):
        if text.startswith(f"{key}:"):
            return {key: text[len(key) + 1 :].strip(), **period}
    return {"article": text, **period} if text else period


def summary_window(request: dict, today) -> dict:
    """A summary request with its ``since``/``until`` strings turned into a ``window`` (``DateError`` if bad)."""
    since, until = request.pop("since", None), request.pop("until", None)
    if since or until:
        request["window"] = TimeWindow.parse(since, until, today)
    return request


def console_handler(library: Library, config: Config):
    """What console mode does with one line (a question, or a /command). Each question follows up on the
    conversation so far (unless it changes the subject); ``/new`` starts a fresh conversation."""
    history: list[Turn] = []

    def handle(line: str) -> str:
        nonlocal history
        if line == "/new":
            history = []
            return "New conversation: the next question is read on its own."
        if line == "/summary" or line.startswith("/summary "):
            request = summary_window(parse_summary_request(line.removeprefix("/summary")), config.today())
            return render_summary(library.summary(config.summary.sentences, **request), color=sys.stdout.isatty())
        if line.startswith("/sources"):
            return render_sources(library.sources())
        if line.startswith("/ask "):
            line = line[5:]
        answer = library.ask(line, history=history, today=config.today())
        history = extend(history, answer)
        return render_answer(answer, color=sys.stdout.isatty())

    return handle


def cmd_chat(args, config: Config) -> int:
    library = open_library(config)
    ensure_index(library, config)
    library.collection()
    prepare_questions(library, config)  # its one-time ONNX export, announced
    library.embedder.encode_query("warm-up")  # the question model loaded before the prompt
    banner = (
        f"citebot console — {len(library.collection().articles)} articles indexed. "
        "Ask a question (the next one may follow up on it), /new for a fresh conversation, "
        "/summary [article:TITLE | topic:TEXT] [since:DAY] [until:DAY], /sources; 'quit' to leave."
    )
    chat(console_handler(library, config), banner=banner)
    return 0


def cmd_summary(args, config: Config) -> int:
    if args.article is not None and args.topic is not None:
        raise CitebotError("give --article or --topic, not both")
    n = config.summary.sentences if args.sentences is None else args.sentences
    if not 1 <= n <= 10:
        raise CitebotError(f"--sentences must be between 1 and 10, got {n}")
    request = summary_window({"since": args.since, "until": args.until}, config.today())
    summary = for_server(open_library(config), config, args.server).summary(n, article=args.article,
                                                                            topic=args.topic, **request)
    return emit(args.json, summary.to_json(), lambda color: render_summary(summary, color))


def cmd_eval_summary(args, config: Config) -> int:
    from retrieval.evaluation.summaries import evaluate_summaries
    from retrieval.library import open_embedder

    if args.words is not None and args.words < 1:
        raise CitebotError("--words must be at least 1")
    embedder = open_embedder(config.model.name, config.data_dir, config.model.batch_size,
                             config.model.query_runtime)
    result = evaluate_summaries(
        Path(args.articles), n=args.sentences, embedder=embedder, words=args.words, limit=args.limit
    )
    return emit_metrics(args.json, result)


def cmd_run(args, config: Config) -> int:
    from bot.discord_app import run_bot  # raises a CitebotError naming DISCORD_TOKEN when there is no token

    return run_bot(config)


def cmd_eval_retrieval(args, config: Config) -> int:
    from retrieval.evaluation.retrieval import evaluate_retrieval
    from retrieval.library import open_embedder

    embedder = open_embedder(config.model.name, config.data_dir, config.model.batch_size,
                             config.model.query_runtime)
    if args.history_from_other and args.no_history:
        raise CitebotError("give --history-from-other or --no-history, not both")
    mode = "other" if args.history_from_other else "none" if args.no_history else "given"
    result = evaluate_retrieval(
        Path(args.paragraphs), Path(args.questions), embedder, config.retrieval,
        ProgressBar(sys.stderr.isatty() or args.progress), limit=args.limit, history_mode=mode,
        details=Path(args.details) if args.details else None,
        index=replace(config.index, kind=args.index_kind) if args.index_kind else config.index,
    )
    return emit_metrics(args.json, result)


def cmd_eval_answers(args, config: Config) -> int:
    from retrieval.evaluation.answers import evaluate_answers
    from retrieval.library import open_embedder

    embedder = open_embedder(config.model.name, config.data_dir, config.model.batch_size,
                             config.model.query_runtime)  # the configured data dir's cache: re-runs embed nothing

    def make_library(folder: Path) -> Library:
        return Library(folder, embedder, config.retrieval, config.splitter, index=config.index)

    result = evaluate_answers(
        Path(args.pages), Path(args.questions), make_library, data_dir=Path(args.data) if args.data else None,
        details=Path(args.details) if args.details else None, k=args.k, today=config.today(), limit=args.limit,
        progress=ProgressBar(sys.stderr.isatty() or args.progress),
    )
    if args.json:
        print(json.dumps(result))
        return 0
    flat = {key: value for key, value in result.items() if not isinstance(value, dict)}
    for group in ("by_kind", "by_qtype"):
        for name, figures in result[group].items():
            flat[f"{name} (n={figures['n']})"] = f"@1 {figures['right@1']}  @3 {figures['right@3']}"
    return emit_metrics(False, flat)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="citebot", description=__doc__)
    parser.add_argument("--config", help="config file (default: ./config.toml, else built-in defaults)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("index", help="re-read every configured source once; with PATHs, add or update those files")
    p.add_argument("paths", nargs="*")
    p.add_argument("--progress", action="store_true", help="show progress bars even when not at a terminal")
    p.add_argument("--prune", action="store_true",
                   help="remove what the sources no longer hold even when that is more than half of the index "
                   "(and empty a source whose folder is empty)")
    p.add_argument("--wait", type=float, default=WRITE_WAIT_SECONDS,
                   help="seconds to wait for another writer (default %(default)s)")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("add", help="fetch article URLs (or read files) and add or update them")
    p.add_argument("--server", type=int, default=None, metavar="ID",
                   help="as the Discord server ID sees the articles (default: the whole data folder)")
    p.add_argument("items", nargs="+", metavar="URL")
    p.add_argument("--wait", type=float, default=WRITE_WAIT_SECONDS, help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_add)

    p = sub.add_parser("remove", help="remove an article by id, title or any URL it was reached by")
    p.add_argument("--server", type=int, default=None, metavar="ID",
                   help="as the Discord server ID sees the articles (default: the whole data folder)")
    p.add_argument("article", metavar="ID|TITLE|URL")
    p.add_argument("--wait", type=float, default=WRITE_WAIT_SECONDS, help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_remove)

    p = sub.add_parser("ask", help="answer a question with quotes")
    p.add_argument("--server", type=int, default=None, metavar="ID",
                   help="as the Discord server ID sees the articles (default: the whole data folder)")
    p.add_argument("question")
    p.add_argument("--k", type=int, default=None, help="number of quotes (default: retrieval.top_k)")
    p.add_argument("--history", action="append", metavar="QUESTION",
                   help="an earlier question of the conversation (repeat, oldest first): QUESTION follows up on them")
    p.add_argument("--since", help="only articles published on or after: YYYY-MM-DD, or days/weeks back (7d, 2w)")
    p.add_argument("--until", help="only articles published on or before: YYYY-MM-DD, or days/weeks back (7d, 2w)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("sources", help="list the indexed articles (or, with --by-source, each source's status)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--by-source", action="store_true", help="one row per source: article count, last poll, error")
    p.set_defaults(func=cmd_sources)

    p = sub.add_parser("summary", help="key sentences of an article, a topic, or the latest article")
    p.add_argument("--server", type=int, default=None, metavar="ID",
                   help="as the Discord server ID sees the articles (default: the whole data folder)")
    p.add_argument("--article", help="article id or title (default: the most recently published article)")
    p.add_argument("--topic", help="summarise what the articles say about this")
    p.add_argument("--sentences", type=int, default=None, help="number of sentences (default: summary.sentences)")
    p.add_argument("--since", help="only articles published on or after: YYYY-MM-DD or 1d, 2w (alone: a digest)")
    p.add_argument("--until", help="only articles published on or before: YYYY-MM-DD or 1d, 2w")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_summary)

    p = sub.add_parser("chat", help="console mode: one question per line")
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("run", help="run the Discord bot (needs DISCORD_TOKEN)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("eval", help="evaluate on a dev set")
    ev = p.add_subparsers(dest="what", required=True)
    e = ev.add_parser("retrieval", help="Recall@1/5, MRR@10, abstention, highlights, latency")
    e.add_argument("--paragraphs", required=True)
    e.add_argument("--questions", required=True)
    e.add_argument("--limit", type=int, default=None, help="only the first N questions")
    e.add_argument("--history-from-other", action="store_true",
                   help="give each question the history of another conversation (topic changes)")
    e.add_argument("--no-history", action="store_true", help="ask every question on its own (drop histories)")
    e.add_argument("--details", metavar="PATH", help="write one JSON line per question (qid, rank, ...) to PATH")
    e.add_argument("--index-kind", choices=INDEX_KINDS, default=None,
                   help="the dense index kind to evaluate (default: [index] kind)")
    e.add_argument("--json", action="store_true")
    e.add_argument("--progress", action="store_true")
    e.set_defaults(func=cmd_eval_retrieval)
    e = ev.add_parser("answers", help="first quote holds the answer, on real pages (answer@1/@3, follow-ups, declines)")
    e.add_argument("--pages", required=True, help="folder of <page_id>.html pages")
    e.add_argument("--questions", required=True, help="questions.jsonl (qid, question, kind, page_id, answers, ...)")
    e.add_argument("--data", metavar="DIR", help="index the pages into DIR and keep it (default: a temporary folder)")
    e.add_argument("--k", type=int, default=None, help="quotes per answer (default: retrieval.top_k, as `ask`)")
    e.add_argument("--limit", type=int, default=None, help="only the first N questions")
    e.add_argument("--details", metavar="PATH", help="write one JSON line per question (gold, quotes, scores)")
    e.add_argument("--json", action="store_true")
    e.add_argument("--progress", action="store_true")
    e.set_defaults(func=cmd_eval_answers)
    e = ev.add_parser("summary", help="ROUGE-1/2/Lsum of /summary against LEAD-3, side by side")
    e.add_argument("--articles", required=True)
    e.add_argument("--sentences", type=int, default=3)
    e.add_argument("--words", type=int, default=None,
                   help="length-honest mode (instead of --sentences): each summary filled to N words, "
                   "cut there, ROUGE recall")
    e.add_argument("--limit", type=int, default=None, help="only the first N articles")
    e.add_argument("--json", action="store_true")
    e.set_defaults(func=cmd_eval_summary)
    register_source_commands(sub, ev)
    register_feedback_commands(sub)
    register_subscription_commands(sub, WRITE_WAIT_SECONDS, writer_library)
    return parser


#: Set to 1 to see the Python traceback of an unexpected error instead of its one-line summary.
TRACEBACK_ENV = "CITEBOT_TRACEBACK"


def main(argv: list[str] | None = None) -> int:
    """Entry point: exit 0 on success, 1 with a one-line message on stderr for errors."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
        configure_threads(config.performance.query_threads, config.performance.index_threads,
                          serving=args.command in ("run", "chat"))
        if getattr(args, "k", None) is not None and not 1 <= args.k <= 50:
            raise CitebotError("--k must be between 1 and 50")
        if getattr(args, "limit", None) is not None and args.limit < 1:
            raise CitebotError("--limit must be at least 1")
        return int(args.func(args, config) or 0)
    except CitebotError as exc:
        print(printable(f"citebot: error: {exc}"), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `citebot sources | head`: the reader has gone; stop quietly, like other tools
        quiet_stdout()
        return 141
    except Exception as exc:  # noqa: BLE001 - one line, never a traceback (unless asked for)
        if os.environ.get(TRACEBACK_ENV) == "1":
            raise
        print(printable(
            f"citebot: error: unexpected {type(exc).__name__}: {exc} (this is a bug; set {TRACEBACK_ENV}=1 "
            "for the details and report it)"
        ).replace("\n", " "), file=sys.stderr)
        return 1


def quiet_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not fail on a closed pipe again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


if __name__ == "__main__":
    sys.exit(main())
