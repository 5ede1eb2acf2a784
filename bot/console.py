"""Console mode: the same answers as in Discord, rendered as terminal text."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO

from bot.formats import attribution_parts, format_date, fragment_link, on_subject_text
from bot.terminal import printable
from retrieval.errors import CitebotError
from retrieval.index.naming import short_id
from retrieval.models import Answer, Quote, Summary

BOLD, RESET = "\033[1m", "\033[0m"
HELP = (
    "Ask a question about the indexed news articles and I will quote them word for word, e.g. "
    "“Who is the British ambassador to Ukraine?”. /sources lists the articles; /summary [article:TITLE | "
    "topic:TEXT] summarises; 'quit' leaves."
)


def _emphasise(text: str, color: bool) -> str:
    return f"{BOLD}{text}{RESET}" if color else f"**{text}**"


def render_quote(quote: Quote, n: int, color: bool = False) -> str:
    """A numbered quote with its highlighted sentence, then its attribution line."""
    start, end = quote.highlight_start, quote.highlight_start + len(quote.highlight)
    text = quote.text
    body = printable(text[:start]) + _emphasise(printable(text[start:end]), color) + printable(text[end:])
    body = "\n    ".join(body.split("\n"))
    credit = " · ".join([quote.article.title, *attribution_parts(quote.article, quote.paragraph)])
    if quote.article.url:
        credit += f" · {fragment_link(quote.article.url, quote.highlight)}"
    return f"[{n}] “{body}”\n    — {printable(credit)}"


def render_answer(answer: Answer, color: bool = False) -> str:
    """Console text for an ``Answer`` (the help text for a greeting or "help"; a 'Following up on' line first when
    it was read as a follow-up)."""
    if answer.content_free:
        return HELP
    lead = f"Following up on: “{printable(answer.follows_up)}”\n" if answer.follows_up is not None else ""
    if not answer.found and answer.message:
        return lead + printable(answer.message)
    if not answer.found and answer.on_subject is not None:
        article = answer.on_subject
        link = f"\n    {printable(article.url)}" if article.url else ""
        return lead + on_subject_text(f"“{printable(article.title)}”") + link
    if not answer.found:
        nearest = answer.quotes[0].article.title if answer.quotes else None
        text = "The indexed articles don't cover this."
        if nearest:
            text += f" The nearest article is “{printable(nearest)}”."
        return lead + text
    quotes = "\n\n".join(render_quote(q, i, color) for i, q in enumerate(answer.shown_quotes, 1))
    age = f"\n(newest quoted article {answer.newest_age})" if answer.newest_age else ""
    return lead + quotes + age


def render_summary(summary: Summary, color: bool = False) -> str:
    """Console text for a ``Summary``: each key sentence quoted, with its attribution."""
    if not summary.sentences:
        return printable(summary.message or "Nothing to summarise.")
    heading = f"Summary of “{summary.article}”" if summary.article else f"What the articles say about “{summary.topic}”"
    if summary.period:
        heading = f"Main stories {summary.period}"
    lines = [printable(heading) + ":"]
    for i, s in enumerate(summary.sentences):
        lines.append(f"• “{printable(s.text)}” (¶{s.paragraph})")
        following = summary.sentences[i + 1] if i + 1 < len(summary.sentences) else None
        if following is None or following.article.article_id != s.article.article_id:
            lines.append("    — " + printable(" · ".join([s.article.title, *attribution_parts(s.article, None)])))
    return "\n".join(lines)


def render_sources(rows: list[dict]) -> str:
    """The indexed articles, one block each: title, then publisher, date, paragraph count, short id (what
    `citebot remove` takes) and link."""
    blocks = []
    for r in rows:
        parts = [r["source"] or "unknown publisher", format_date(r["published"]) or "undated", f"{r['paragraphs']} ¶"]
        link = f"\n    {r['url']}" if r["url"] else ""
        blocks.append(printable(f"{r['title']}\n    {' · '.join(parts)} · id {short_id(r['article_id'])}{link}"))
    return "\n".join(blocks) if blocks else "No articles are indexed."


def chat(
    handle_line: Callable[[str], str],
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    banner: str = "",
) -> None:
    """Read one question per line and print the reply (with a prompt at a terminal); stop on 'quit', 'exit' or EOF."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    reconfigure = getattr(stdin, "reconfigure", None)
    if reconfigure is not None:  # a line of invalid UTF-8 is answered (with U+FFFD), not the end of the session
        reconfigure(errors="replace")
    interactive = stdin.isatty()
    if interactive and banner:
        print(banner, file=stdout)
    while True:
        if interactive:
            print("\n? ", end="", file=stdout, flush=True)
        line = stdin.readline()
        if not line:
            break
        line = line.strip()
        if not line:
            continue
        if line.lower() in {"quit", "exit", ":q", "/quit", "/exit"}:  # piped input too
            break
        try:
            reply = handle_line(line)
        except CitebotError as exc:
            reply = f"error: {printable(str(exc))}"
        if not interactive:
            print(f"> {printable(line)}", file=stdout)
        print(reply, file=stdout, flush=True)  # rendered from printable() pieces
        if not interactive:
            print(file=stdout)
