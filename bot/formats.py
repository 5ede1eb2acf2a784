"""The text pieces of every rendering (console, Discord embeds and messages); the renderers only assemble them.

Dates, attribution parts and plurals; Discord-markdown escaping and block quotes; shortening at word
boundaries with an ellipsis (``shorten``, ``shorten_lines``, ``excerpt`` around a highlight); ages and the
/reindex progress line; links that open at the quoted sentence (``fragment_link``); attribution and credit
lines, quotes and summary sentences fitted to a length, the re-index report. Nothing here builds a
``discord.Embed``.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Sequence
from datetime import date

from retrieval.models import Answer, ArticleMeta, Quote, SummarySentence
from retrieval.text.urls import text_fragment_link

ELLIPSIS = "…"

_URL = re.compile(r"https?://[^\s<]+[^<.,:;\"'\]\s)]")
_INLINE = re.compile(r"([\\*_~`|<>\[\]])")
_LINE_START = re.compile(r"^(\s*\d+(?=[.)]\s)|\s*(?=[#\-+]))", re.MULTILINE)  # then a list or heading mark


def on_subject_text(title: str) -> str:
    """The honest reply when an article is about the question's subject but nothing in it answers the question
    (``title`` as the surface shows it: quoted, or a link)."""
    return f"{title} is about this, but I found nothing in it that answers your question."


def format_date(published: str | None) -> str | None:
    """'2022-02-11' -> '11 Feb 2022' (None stays None)."""
    if not published:
        return None
    try:
        day = date.fromisoformat(published)
    except ValueError:
        return published
    return f"{day.day} {day.strftime('%b %Y')}"


def attribution_parts(article: ArticleMeta, paragraph: int | None) -> list[str]:
    """Publisher, date and paragraph number, in display order, leaving out what is unknown."""
    parts = [article.source or "", format_date(article.published) or ""]
    if paragraph is not None:
        parts.append(f"¶{paragraph}")
    return [p for p in parts if p]


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def escape(text: str) -> str:
    """Escape Discord markdown in article text so it shows as written; bare links stay clickable."""
    parts, pos = [], 0
    for url in _URL.finditer(text):
        parts += [_INLINE.sub(r"\\\1", text[pos : url.start()]), url.group()]
        pos = url.end()
    parts.append(_INLINE.sub(r"\\\1", text[pos:]))
    return _LINE_START.sub(lambda m: m.group(1) + "\\", "".join(parts))


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters at a word boundary, ending with an ellipsis if cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    if limit <= len(ELLIPSIS):
        return ELLIPSIS[:limit]
    cut = text[: limit - len(ELLIPSIS) + 1]
    space = cut.rfind(" ")
    cut = cut[:space] if space > 0 else cut[: limit - len(ELLIPSIS)]
    return cut.rstrip(" ,;:") + ELLIPSIS


def _cut_start(text: str, keep: int) -> str:
    """The last ``keep`` characters of ``text`` or fewer, starting at a word boundary."""
    if keep <= 0:
        return ""
    if len(text) <= keep:
        return text
    start = len(text) - keep
    if not text[start - 1].isspace():
        space = next((i for i in range(start, len(text)) if text[i].isspace()), None)
        start = space + 1 if space is not None else len(text)
    return text[start:].lstrip()


def _cut_end(text: str, keep: int) -> str:
    """The first ``keep`` characters of ``text`` or fewer, ending at a word boundary."""
    if keep <= 0:
        return ""
    if len(text) <= keep:
        return text
    end = keep
    if not text[end].isspace():
        space = text.rfind(" ", 0, end + 1)
        other = max(text.rfind("\n", 0, end + 1), text.rfind("\t", 0, end + 1))
        end = max(space, other, 0)
    return text[:end].rstrip()


def excerpt(text: str, start: int, end: int, limit: int) -> tuple[str, str, str]:
    """Split ``text`` into (before, highlight, after) of at most ``limit`` characters in all, ellipses included.

    Context is kept on both sides of ``text[start:end]`` (the highlight) and cut at word boundaries; when the
    highlight alone is too long, its end is cut instead. A cut side is marked with ``…``.
    """
    if len(text) <= limit:
        return text[:start], text[start:end], text[end:]
    lead = ELLIPSIS if start > 0 else ""
    highlight = text[start:end]
    if len(highlight) + len(lead) + len(ELLIPSIS) >= limit:
        kept = _cut_end(highlight, limit - len(lead) - len(ELLIPSIS))
        if not kept:  # one giant word: nothing else to cut at
            kept = highlight[: max(0, limit - len(lead) - len(ELLIPSIS))]
        return lead, kept, ELLIPSIS
    room = limit - len(highlight)
    before_text, after_text = text[:start], text[end:]
    # Share the room between the sides; a side that needs less gives the rest to the other.
    before_room = room // 2
    after_room = room - before_room
    if len(before_text) <= before_room:
        after_room += before_room - len(before_text)
        before_room = len(before_text)
    elif len(after_text) <= after_room:
        before_room += after_room - len(after_text)
        after_room = len(after_text)
    before = before_text
    if len(before_text) > before_room:
        before = ELLIPSIS + _cut_start(before_text, before_room - len(ELLIPSIS))
    after = after_text
    if len(after_text) > after_room:
        after = _cut_end(after_text, after_room - len(ELLIPSIS)) + ELLIPSIS
    return before, highlight, after


def _bold(segment: str) -> str:
    """``**segment**`` with surrounding whitespace kept outside the markers (else Discord shows the stars)."""
    core = segment.strip()
    if not core:
        return segment
    left = segment[: len(segment) - len(segment.lstrip())]
    right = segment[len(segment.rstrip()) :]
    return f"{left}**{core}**{right}"


def block_quote(before: str, highlight: str, after: str) -> str:
    """A markdown block quote of the three parts, the highlight in bold, every line prefixed with ``> ``."""
    lines: list[list[tuple[str, bool]]] = [[]]
    for part, bold in ((before, False), (highlight, True), (after, False)):
        for i, piece in enumerate(part.split("\n")):
            if i:
                lines.append([])
            if piece:
                lines[-1].append((piece, bold))
    rendered = []
    for line in lines:
        text = "".join(_bold(escape(piece)) if bold else escape(piece) for piece, bold in line)
        if text.strip():
            rendered.append("> " + text)
    return "\n".join(rendered)


def shorten_lines(text: str, limit: int) -> str:
    """``text`` cut at a line break (or a word) to fit ``limit``."""
    if len(text) <= limit:
        return text
    cut = text[: limit - len(ELLIPSIS)]
    newline = cut.rfind("\n")
    return (cut[:newline] if newline > 0 else shorten(cut, limit - len(ELLIPSIS))) + ELLIPSIS


def age_text(seconds: float | None) -> str:
    """'42 s', '5 min', '3 h', '2 days'."""
    if seconds is None:
        return "unknown"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 36 * 3600:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} days"


def progress_text(stage: str, done: int, total: int, elapsed: float) -> str:
    """A progress line for the deferred /reindex reply."""
    if stage == "start":
        what = "starting"
    elif stage == "read":
        what = f"read {plural(total, 'article')}"
    elif stage.startswith("fetching "):
        what = f"{stage}: {done}/{total} page(s)"
    else:
        what = f"embedding {stage}: {done}/{total}"
    return f"Re-indexing… {what} ({elapsed:.0f} s). Questions are still answered from the current index."


# -- Discord-markdown pieces (the embeds assemble them) ---------------------------------------------------------

MAX_TITLE_IN_CREDIT = 200
MAX_LINKED_URL = 500
QUOTE_SEPARATOR = "\n\n"
FOLLOW_UP_CHARS = 80  # of the earlier question, in the "Following up on" line


def fragment_link(url: str, sentence: str) -> str:
    """``url#:~:text=…``: the page opens at ``sentence`` (browsers that support text fragments)."""
    return text_fragment_link(url, sentence)


def link_target(url: str | None) -> str | None:
    """A URL that is safe to put inside ``(<...>)``, or None."""
    if not url or len(url) > MAX_LINKED_URL or not re.match(r"^https?://", url):
        return None
    if any(c.isspace() or c in "<>" for c in url):
        return None
    return url


def article_link(article: ArticleMeta, limit: int = MAX_TITLE_IN_CREDIT) -> str:
    """``[Title](<url>)``, or the escaped title alone when the article has no (usable) URL."""
    title = escape(shorten(article.title or article.article_id, limit))
    url = link_target(article.url)
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
    if url and quote.highlight and link_target(url):
        linked = fragment_link(url, quote.highlight)
        if link_target(linked):
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


def share(lengths: list[int], total: int) -> list[int]:
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
    shares = share([len(b) for b in blocks], room)
    return QUOTE_SEPARATOR.join(
        block if len(block) <= share else render_quote(q, share)
        for q, block, share in zip(quotes, blocks, shares, strict=True)
    )


def follow_up_line(answer: Answer) -> str:
    """'*Following up on: “…”*' when the question was read as a follow-up, else ''."""
    if answer.follows_up is None:
        return ""
    return f"*Following up on: “{escape(shorten(answer.follows_up, FOLLOW_UP_CHARS))}”*"


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
    shares = iter(share([len(q) for q in flat], max(0, room)))
    lines = [[quoted_sentence(s.text, next(shares)) for s in group] for group in groups]
    return shorten_lines(joined(), limit)


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
    unread = report.get("source_errors") or []
    if unread:
        shown = "\n".join(f"• {escape(str(name))}: {escape(str(why))}" for name, why in unread[:10])
        text += f".\nNot read this time (their articles are kept): {plural(len(unread), 'source')}:\n{shown}"
    skipped = report.get("skipped") or []
    if skipped:
        shown = "\n".join(f"• {escape(str(p))}: {escape(str(r))}" for p, r in skipped[:10])
        more = f"\n…and {len(skipped) - 10} more" if len(skipped) > 10 else ""
        text += f".\nFailed: {plural(len(skipped), 'item')}:\n{shown}{more}"
    return text
