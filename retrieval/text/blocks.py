"""Trafilatura's extracted tree to the page's paragraphs ("blocks"), one per paragraph, heading, list or table.

The tree holds trafilatura's own elements (``p``, ``head``, ``list``/``item``, ``table``/``row``/``cell``, ``quote``,
``lb``, ``ref``) or, when it fell back on another extractor, plain HTML (``div``, ``h2``, ``ul``/``li``, ``br``, ``a``
…): both are read. Line breaks inside a paragraph stay single newlines, list items and table rows are one line
each, so that a page paragraph becomes one paragraph of the article text once blocks are joined by blank lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SPACE = re.compile(r"[ \t\r\f\v\u00a0\u200b]+")
_BREAK = "\x00"
HEADINGS = {"head", "h1", "h2", "h3", "h4", "h5", "h6"}
LISTS = {"list", "ul", "ol", "dl"}
ITEMS = {"item", "li", "dt", "dd"}
TABLES = {"table"}
ROWS = {"row", "tr"}
CELLS = {"cell", "td", "th"}
QUOTES = {"quote", "blockquote"}
PARAGRAPHS = {"p", "pre", "code", "figcaption", "address"}
LINKS = {"ref", "a"}
BREAKS = {"lb", "br"}
LINK_RUN = 3  # links in a row with nothing but spaces between them: a link list, not prose
SKIP = {"script", "style", "noscript", "graphic", "img", "figure", "svg", "button", "form", "input", "select",
        "textarea", "iframe", "nav", "aside", "template"}
BLOCKS = HEADINGS | LISTS | TABLES | QUOTES | PARAGRAPHS | {"div", "section", "article", "main", "body", "doc",
                                                            "header", "footer", "hr", "center"}


_KEY_WORD = re.compile(r"\w+")


def text_key(text: str) -> str:
    """``text``'s words, lower-cased, one space apart: what tells two copies of a paragraph are the same."""
    return " ".join(_KEY_WORD.findall(text.lower()))


@dataclass(frozen=True)
class Block:
    """One paragraph of a page: ``kind`` is p, head, list, table or quote; ``link_share`` the share of its
    characters that are link text (high for "read more" promos and related-article lists)."""

    kind: str
    text: str
    link_share: float = 0.0


def _tag(el) -> str:
    tag = el.tag
    return tag.lower() if isinstance(tag, str) else ""


class _Inline:
    """Collects the text of inline content, counting link characters."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.link_chars = 0

    def add(self, el, in_link: bool = False) -> None:
        tag = _tag(el)
        if tag in SKIP or not tag:
            return
        if tag in BREAKS:
            self.parts.append(_BREAK)
            return
        link = in_link or tag in LINKS
        if el.text:
            self._text(el.text, link)
        skip = link_list_rest(el)
        for child in el:
            if child not in skip:
                self.add(child, link)
            if child.tail and (child not in skip or child.tail.strip()):
                self._text(child.tail, link)

    def _text(self, text: str, link: bool) -> None:
        self.parts.append(text)
        if link:
            self.link_chars += len(text.strip())

    def lines(self) -> list[str]:
        joined = "".join(self.parts).replace("\n", " ")
        return [line for line in (_SPACE.sub(" ", x).strip() for x in joined.split(_BREAK)) if line]


def link_list_rest(el) -> set:
    """Children of ``el`` that continue a run of at least ``LINK_RUN`` links with only spaces between them (a
    hover card's or a "related" strip's headlines inside a sentence): all but the run's first link, which the
    sentence reads through ("Rep. <a>Ilhan Omar</a><a>Ilhan Omar</a><a>headline</a> <a>MORE</a> (D-Minn.)")."""
    rest: set = set()
    run: list = []
    for child in [*el, None]:
        if child is not None and _tag(child) in LINKS and (not run or not (run[-1].tail or "").strip()):
            run.append(child)
            continue
        if len(run) >= LINK_RUN:
            rest.update(run[1:])
        run = [child] if child is not None and _tag(child) in LINKS else []
    return rest


def _one_line(el) -> tuple[str, int]:
    inline = _Inline()
    inline.add(el)
    return " ".join(inline.lines()), inline.link_chars


def _has_blocks(el) -> bool:
    return any(_tag(child) in BLOCKS | ITEMS | ROWS for child in el.iter() if child is not el)


def _share(link_chars: int, text: str) -> float:
    return min(1.0, link_chars / max(1, len(text)))


def tree_blocks(root) -> list[Block]:
    """The blocks of an extracted tree, in document order."""
    out: list[Block] = []
    pending = _Inline()

    def flush() -> None:
        nonlocal pending
        lines = pending.lines()
        if lines:
            text = "\n".join(lines)
            out.append(Block("p", text, _share(pending.link_chars, text)))
        pending = _Inline()

    def walk(el) -> None:
        nonlocal pending
        tag = _tag(el)
        if tag in SKIP or not tag:
            return
        if tag in HEADINGS:
            flush()
            text, links = _one_line(el)
            if text:
                out.append(Block("head", text, _share(links, text)))
        elif tag in LISTS:
            flush()
            items, links = [], 0
            for item in el.iter():
                if _tag(item) in ITEMS and not any(_tag(a) in ITEMS for a in item.iterancestors() if a in el.iter()):
                    text, n = _one_line(item)
                    if text:
                        items.append(f"- {text}")
                        links += n
            if items:
                text = "\n".join(items)
                out.append(Block("list", text, _share(links, text)))
        elif tag in TABLES:
            flush()
            rows, links = [], 0
            for row in el.iter():
                if _tag(row) in ROWS:
                    cells = [_one_line(c) for c in row if _tag(c) in CELLS]
                    cells = [(t, n) for t, n in cells if t]
                    if cells:
                        rows.append(" | ".join(t for t, _ in cells))
                        links += sum(n for _, n in cells)
            if rows:
                text = "\n".join(rows)
                out.append(Block("table", text, _share(links, text)))
        elif tag in BLOCKS - HEADINGS - LISTS - TABLES or tag in ITEMS | ROWS:
            if _has_blocks(el):  # a container: its own loose text is a paragraph of its own
                flush()
                if el.text and el.text.strip():
                    pending._text(el.text, False)
                for child in el:
                    walk(child)
                    if child.tail and child.tail.strip():
                        pending._text(child.tail, False)
                flush()
            else:
                flush()
                pending.add(el)
                lines = pending.lines()
                if lines:
                    text = "\n".join(lines)
                    kind = "quote" if tag in QUOTES else "p"
                    out.append(Block(kind, text, _share(pending.link_chars, text)))
                pending = _Inline()
        else:  # inline element directly in a container
            pending.add(el)

    walk(root)
    flush()
    return out
