"""Render answers, summaries, sources, status and re-index reports as Discord embeds, within Discord's limits.

Every quote is a block quote with its highlighted sentence in bold, then an attribution line
``— [Title](<url>) · Publisher · 11 Feb 2022 · ¶7``. Article text is markdown-escaped, and quotes too long for
the embed are trimmed around the highlight at word boundaries, with an ellipsis. A summary quotes each key
sentence on its own block-quote line; consecutive sentences of one article share one attribution line.
"""

from __future__ import annotations

from collections.abc import Iterable

import discord

from bot.formats import (
    QUOTE_SEPARATOR,
    age_text,
    article_link,
    attribution_parts,
    escape,
    follow_up_line,
    link_target,
    on_subject_text,
    plural,
    render_quotes,
    render_summary_sentences,
    report_text,
    shorten,
    shorten_lines,
)
from retrieval.models import Answer, ArticleMeta, Summary

# Discord's limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits).
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
EMBED_TOTAL_LIMIT = 6000
CONTENT_LIMIT = 2000

COLOUR = discord.Colour(0x3B82F6)
NOT_COVERED_COLOUR = discord.Colour(0x9CA3AF)
ERROR_COLOUR = discord.Colour(0xEF4444)
NOT_COVERED = "The indexed articles don't cover this."



# ---------------------------------------------------------------------------------------------- answers


def _question_title(question: str) -> str:
    return shorten(question, TITLE_LIMIT)


def answer_embed(answer: Answer) -> discord.Embed:
    """One embed for an ``Answer``: the quotes (found) or a short 'not covered' naming the nearest article."""
    title = _question_title(answer.question)
    context = follow_up_line(answer)
    lead = context + QUOTE_SEPARATOR if context else ""
    if not answer.found and answer.message:
        return discord.Embed(title=title, description=lead + escape(answer.message), colour=NOT_COVERED_COLOUR)
    if not answer.found and answer.on_subject is not None:
        text = on_subject_text(article_link(answer.on_subject))
        return discord.Embed(title=title, description=lead + text, colour=NOT_COVERED_COLOUR)
    if not answer.found or not answer.quotes:
        text = NOT_COVERED
        if answer.quotes:
            nearest = answer.quotes[0].article
            details = ", ".join(escape(p) for p in attribution_parts(nearest, None))
            text += f" The nearest article is {article_link(nearest)}" + (f" ({details})." if details else ".")
        text += "\nUse `/sources` to see what is indexed."
        return discord.Embed(title=title, description=lead + text, colour=NOT_COVERED_COLOUR)
    articles = len({q.article.article_id for q in answer.shown_quotes})
    footer = f"Quoted word for word from {plural(articles, 'article')}, best match first"
    if answer.newest_age:
        footer += f" · newest {answer.newest_age}"
    room = min(DESCRIPTION_LIMIT, EMBED_TOTAL_LIMIT - len(title) - len(footer)) - len(lead)
    embed = discord.Embed(title=title, description=lead + render_quotes(answer.shown_quotes, room), colour=COLOUR)
    embed.set_footer(text=footer)
    return embed


# ---------------------------------------------------------------------------------------------- summaries


def summary_title(summary: Summary, latest: bool = False) -> str:
    if summary.period:
        return shorten(f"Main stories {summary.period}", TITLE_LIMIT)
    if summary.topic is not None:
        return shorten(f"What the articles say about “{summary.topic}”", TITLE_LIMIT)
    if summary.article is None:
        return "Summary"
    lead = "Summary of the latest article, " if latest else "Summary of "
    return lead + f"“{shorten(summary.article, TITLE_LIMIT - len(lead) - 2)}”"


def summary_embed(summary: Summary, latest: bool = False) -> discord.Embed:
    """One embed for a ``Summary``: each key sentence quoted word for word, attributed (``latest``: the summary
    is of the most recent article because none was named). An empty summary shows its message."""
    title = summary_title(summary, latest)
    if not summary.sentences:
        text = escape(summary.message or "Nothing to summarise.")
        text = shorten(text, DESCRIPTION_LIMIT - 60) + "\nUse `/sources` to see what is indexed."
        return discord.Embed(title=title, description=text, colour=NOT_COVERED_COLOUR)
    count = plural(len(summary.sentences), "key sentence")
    if summary.topic is not None:
        articles = len({s.article.article_id for s in summary.sentences})
        footer = f"{count} from {plural(articles, 'article')}, quoted word for word"
    else:
        footer = f"{count}, quoted word for word in article order"
    room = min(DESCRIPTION_LIMIT, EMBED_TOTAL_LIMIT - len(title) - len(footer))
    embed = discord.Embed(title=title, description=render_summary_sentences(summary.sentences, room), colour=COLOUR)
    url = link_target(summary.sentences[0].article.url) if summary.topic is None else None
    if url:
        embed.url = url
    embed.set_footer(text=footer)
    return embed


def error_embed(message: str) -> discord.Embed:
    """A short error shown to the person who asked."""
    return discord.Embed(description=shorten(message, DESCRIPTION_LIMIT), colour=ERROR_COLOUR)


# ---------------------------------------------------------------------------------------------- admin views


def sources_embed(rows: list[dict], total: int | None = None) -> discord.Embed:
    """The indexed articles, newest first, as many as fit; the rest are counted (``total``: how many are indexed
    when ``rows`` is only the first page)."""
    total = len(rows) if total is None else max(total, len(rows))
    embed = discord.Embed(title=f"Indexed articles ({total})", colour=COLOUR)
    lines: list[str] = []
    used = 0
    room = DESCRIPTION_LIMIT - 40  # keep space for the '…and N more' line
    for n, row in enumerate(rows):
        meta = ArticleMeta(
            row["article_id"], row["title"], row.get("source"), published=row.get("published"), url=row.get("url")
        )
        details = [escape(p) for p in attribution_parts(meta, None)] + [f"{row.get('paragraphs', 0)} ¶"]
        line = f"• {article_link(meta, 150)} — {' · '.join(details)}"
        if used + len(line) + 1 > room:
            lines.append(f"…and {total - n} more")
            break
        lines.append(line)
        used += len(line) + 1
    else:
        if total > len(rows):
            lines.append(f"…and {total - len(rows)} more")
    embed.description = "\n".join(lines) if lines else "No articles are indexed yet."
    return embed


def report_embed(report: dict, *, title: str = "Re-index finished") -> discord.Embed:
    """The final message of /reindex."""
    colour = COLOUR if report.get("ok", True) else ERROR_COLOUR
    return discord.Embed(title=title, description=shorten_lines(report_text(report), DESCRIPTION_LIMIT), colour=colour)


def status_embed(info: dict, extra: Iterable[tuple[str, str]] = ()) -> discord.Embed:
    """``Library.status()`` as an embed: counts, index age, model, last re-index result."""
    embed = discord.Embed(title="citebot status", colour=COLOUR)
    if "error" in info:
        embed.description = shorten(str(info["error"]), DESCRIPTION_LIMIT)
    embed.add_field(name="Articles", value=str(info.get("articles", 0)))
    embed.add_field(name="Paragraphs", value=str(info.get("paragraphs", 0)))
    embed.add_field(name="Index age", value=age_text(info.get("age_seconds")))
    model = info.get("model") or "unknown"
    if info.get("index_model") and info["index_model"] != model:
        model += f" (index built with {info['index_model']})"
    embed.add_field(name="Model", value=shorten(model, FIELD_VALUE_LIMIT))
    embed.add_field(name="Re-index running", value="yes" if info.get("indexing") else "no")
    for name, value in extra:
        embed.add_field(name=shorten(name, FIELD_NAME_LIMIT), value=shorten(value, FIELD_VALUE_LIMIT) or "—")
    last = shorten_lines(report_text(info.get("last_index")), FIELD_VALUE_LIMIT)
    embed.add_field(name="Last re-index", value=last, inline=False)
    return embed
