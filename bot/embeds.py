"""Render answers, summaries, sources, status and re-index reports as Discord embeds, within Discord's limits.

Every quote is a block quote with its highlighted sentence in bold, then an attribution line
``— [Title](<url>) · Publisher · 11 Feb 2022 · ¶7``. Article text is markdown-escaped, and quotes too long for
the embed are trimmed around the highlight at word boundaries, with an ellipsis. A summary quotes each key
sentence on its own block-quote line; consecutive sentences of one article share one attribution line.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Iterable, Sequence

import discord

from bot.formats import (
    age_text,
    attribution_parts,
    block_quote,
    escape,
    excerpt,
    plural,
    shorten,
    shorten_lines,
)
from retrieval.models import Answer, ArticleMeta, Quote, Summary, SummarySentence
from retrieval.text.urls import text_fragment_link

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
QUOTE_SEPARATOR = "\n\n"
MAX_TITLE_IN_CREDIT = 200
MAX_LINKED_URL = 500
NOT_COVERED = "The indexed articles don't cover this."
FOLLOW_UP_CHARS = 80  # of the earlier question, in the "Following up on" line



# ---------------------------------------------------------------------------------------------- answers


def _link_target(url: str | None) -> str | None:
    """A URL that is safe to put inside ``(<...>)``, or None."""
    if not url or len(url) > MAX_LINKED_URL or not re.match(r"^https?://", url):
        return None
    if any(c.isspace() or c in "<>" for c in url):
        return None
    return url


def article_link(article: ArticleMeta, limit: int = MAX_TITLE_IN_CREDIT) -> str:
    """``[Title](<url>)``, or the escaped title alone when the article has no (usable) URL."""
    title = escape(shorten(article.title or article.article_id, limit))
    url = _link_target(article.url)
    return f"[{title}](<{url}>)" if url else title


def attribution_line(
    article: ArticleMeta, paragraphs: Sequence[int] = (), title_limit: int = MAX_TITLE_IN_CREDIT
) -> str:
    """``— [Title](<url>) · Publisher · 11 Feb 2022 · ¶7``; several paragraphs read ``¶2, ¶7``."""
    numbers = list(dict.fromkeys(paragraphs))
    parts = attribution_parts(article, numbers[0] if len(numbers) == 1 else None)
    if len(numbers) > 1:
        parts.append(", ".join(f"¶{n}" for n in numbers))
    return "— " + " · ".join([article_link(article, title_limit), *(escape(p) for p in parts)])


def quote_link_article(quote: Quote) -> ArticleMeta:
    """The quote's article with its URL pointing at the highlighted sentence (``#:~:text=…``), when it fits."""
    url = quote.article.url
    if url and quote.highlight and _link_target(url):
        linked = text_fragment_link(url, quote.highlight)
        if _link_target(linked):
            return dataclasses.replace(quote.article, url=linked)
    return quote.article


def credit_line(quote: Quote) -> str:
    """``— [Title](<url#:~:text=…>) · Publisher · 11 Feb 2022 · ¶7``: the link opens at the quoted sentence."""
    return attribution_line(quote_link_article(quote), [quote.paragraph])


def render_quote(quote: Quote, limit: int | None = None) -> str:
    """One quote block plus its credit line, at most ``limit`` characters (trimmed around the highlight)."""
    credit = credit_line(quote)
    start = max(0, min(quote.highlight_start, len(quote.text)))
    end = min(len(quote.text), start + len(quote.highlight))
    full = block_quote(quote.text[:start], quote.text[start:end], quote.text[end:]) + "\n" + credit
    if limit is None or len(full) <= limit:
        return full
    budget = limit - len(credit) - 1
    if budget < 40:  # not even room for a few words: shorten the credit to its bare title
        credit = "— " + escape(shorten(quote.article.title or "", max(10, limit // 4)))
        budget = limit - len(credit) - 1
    raw = min(len(quote.text), budget)
    while raw > 0:
        body = block_quote(*excerpt(quote.text, start, end, raw))
        if len(body) <= budget:
            return body + "\n" + credit
        raw -= max(1, len(body) - budget)  # escaping and markers take room: shrink by the overflow
    return credit[:limit]


def _share(lengths: list[int], total: int) -> list[int]:
    """Split ``total`` characters between items wanting ``lengths``: short ones get all they want."""
    shares = [0] * len(lengths)
    pending = sorted(range(len(lengths)), key=lambda i: lengths[i])
    left = total
    while pending:
        fair = left // len(pending)
        i = pending.pop(0)
        shares[i] = min(lengths[i], fair)
        left -= shares[i]
    return shares


def render_quotes(quotes: list[Quote], limit: int) -> str:
    """All quotes, separated by blank lines, fitting in ``limit`` characters."""
    blocks = [render_quote(q) for q in quotes]
    room = limit - len(QUOTE_SEPARATOR) * max(0, len(blocks) - 1)
    if sum(map(len, blocks)) <= room:
        return QUOTE_SEPARATOR.join(blocks)
    shares = _share([len(b) for b in blocks], room)
    return QUOTE_SEPARATOR.join(
        block if len(block) <= share else render_quote(q, share)
        for q, block, share in zip(quotes, blocks, shares, strict=True)
    )


def _question_title(question: str) -> str:
    return shorten(question, TITLE_LIMIT)


def follow_up_line(answer: Answer) -> str:
    """'*Following up on: “…”*' when the question was read as a follow-up, else ''."""
    if answer.follows_up is None:
        return ""
    return f"*Following up on: “{escape(shorten(answer.follows_up, FOLLOW_UP_CHARS))}”*"


def answer_embed(answer: Answer) -> discord.Embed:
    """One embed for an ``Answer``: the quotes (found) or a short 'not covered' naming the nearest article."""
    title = _question_title(answer.question)
    context = follow_up_line(answer)
    lead = context + QUOTE_SEPARATOR if context else ""
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


def summary_groups(sentences: Sequence[SummarySentence]) -> list[list[SummarySentence]]:
    """Runs of consecutive sentences from the same article (each run gets one attribution line)."""
    groups: list[list[SummarySentence]] = []
    for sentence in sentences:
        if groups and groups[-1][0].article.article_id == sentence.article.article_id:
            groups[-1].append(sentence)
        else:
            groups.append([sentence])
    return groups


def fitted_attribution(article: ArticleMeta, paragraphs: Sequence[int], limit: int) -> str:
    """The attribution line in at most ``limit`` characters: full, then with a shorter title, then unlinked."""
    line = attribution_line(article, paragraphs)
    if len(line) <= limit:
        return line
    unlinked = dataclasses.replace(article, url=None)
    for title_limit in (80, 40, 20):
        for meta in (article, unlinked):
            line = attribution_line(meta, paragraphs, title_limit)
            if len(line) <= limit:
                return line
    return "— " + escape(shorten(article.title or article.article_id, max(1, limit // 2 - 2)))


def quoted_sentence(text: str, limit: int | None = None) -> str:
    """``> sentence`` (escaped, not bold), cut at a word boundary with an ellipsis to fit ``limit``."""
    full = block_quote(text, "", "")
    if limit is None or len(full) <= limit:
        return full
    raw = limit
    while raw > 0:
        line = block_quote(shorten(text, raw), "", "")
        if len(line) <= limit:
            return line
        raw -= max(1, len(line) - limit)  # escaping takes room: shrink by the overflow
    return ""


def render_summary_sentences(sentences: Sequence[SummarySentence], limit: int) -> str:
    """Every sentence as a block-quote line, each run of one article followed by its attribution line, in
    ``limit`` characters: long attributions are shortened first (to at most half the room), then sentences."""
    groups = summary_groups(sentences)
    if not groups:
        return ""
    paragraphs = [[s.paragraph for s in group] for group in groups]
    credits = [attribution_line(g[0].article, p) for g, p in zip(groups, paragraphs, strict=True)]
    lines = [[quoted_sentence(s.text) for s in group] for group in groups]

    def joined() -> str:
        blocks = ["\n".join([*(q for q in quotes if q), credit]) for quotes, credit in zip(lines, credits, strict=True)]
        return QUOTE_SEPARATOR.join(blocks)

    text = joined()
    if len(text) <= limit:
        return text
    room = limit - len(QUOTE_SEPARATOR) * (len(groups) - 1)
    if sum(len(c) + 1 for c in credits) > room // 2:
        each = room // 2 // len(groups) - 1
        credits = [fitted_attribution(g[0].article, p, each) for g, p in zip(groups, paragraphs, strict=True)]
    room -= sum(len(c) + 1 for c in credits) + sum(len(g) - 1 for g in groups)  # credits and line breaks
    flat = [q for quotes in lines for q in quotes]
    shares = iter(_share([len(q) for q in flat], max(0, room)))
    lines = [[quoted_sentence(s.text, next(shares)) for s in group] for group in groups]
    return shorten_lines(joined(), limit)


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
    url = _link_target(summary.sentences[0].article.url) if summary.topic is None else None
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


def report_text(report: dict | None) -> str:
    """One paragraph describing a re-index report (as ``IndexReport.to_json()``), skipped files listed."""
    if not report:
        return "No re-index has run yet."
    if not report.get("ok", True):
        return f"Failed: {report.get('error') or 'unknown error'}. The previous index is still answering."
    text = (
        f"Indexed {plural(report['articles'], 'article')}, {plural(report['paragraphs'], 'paragraph')} "
        f"in {report['seconds']:.1f} s ({report.get('embedded', 0)} embedded, the rest from cache)"
    )
    if any(key in report for key in ("added", "updated", "unchanged", "removed")):
        text += (f": added {report.get('added', 0)}, updated {report.get('updated', 0)}, unchanged "
                 f"{report.get('unchanged', 0)}, removed {report.get('removed', 0)}")
    finished = report.get("finished_at")
    if finished:
        text += f", {age_text(time.time() - finished)} ago"
    skipped = report.get("skipped") or []
    if skipped:
        shown = "\n".join(f"• {escape(str(p))}: {escape(str(r))}" for p, r in skipped[:10])
        more = f"\n…and {len(skipped) - 10} more" if len(skipped) > 10 else ""
        text += f".\nFailed: {plural(len(skipped), 'item')}:\n{shown}{more}"
    return text


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
