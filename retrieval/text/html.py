"""A web page's HTML to its main text and metadata: text blocks, title, author, date, publisher and canonical URL
(trafilatura).

Extraction runs twice: once favouring precision (trafilatura's stricter mode) and once with its defaults. The
precise text is the base; a paragraph only the default run found is restored when it lies *between* two paragraphs
both runs agree on (the article body is contiguous, so an omission inside it is a loss, while extra text before or
after it is boilerplate). Any block that is more than half link text ("read more" promos, related-article lists)
is dropped, as readability-style extractors do, and so are teasers, pull quotes and embedded posts inside the body
(``retrieval.text.inserts``). A body cut into sibling chunks gets the chunks the extractor left out back
(``retrieval.text.chunks``). Page paragraphs
become paragraphs of the article text separated by blank lines, so the splitter indexes one paragraph per page
paragraph.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from retrieval.text.blocks import Block, text_key, tree_blocks
from retrieval.text.chunks import with_sibling_chunks
from retrieval.text.inserts import drop_inserts

MAX_LINK_SHARE = 0.5  # a block more than half link text is navigation or a promo, not prose (readability's rule)
_WORD = re.compile(r"\w+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


@dataclass
class ExtractedPage:
    """The main text of a page as blocks, with its metadata."""

    blocks: list[Block] = field(default_factory=list)
    title: str | None = None
    author: str | None = None
    date: str | None = None
    sitename: str | None = None
    canonical: str | None = None


def word_count(text: str) -> int:
    """Words in ``text``; in Chinese, Japanese and Korean two characters count as one word."""
    cjk = len(_CJK.findall(text))
    return len(_WORD.findall(_CJK.sub(" ", text))) + cjk // 2


def _run(html: str, url: str | None, precise: bool):
    import trafilatura

    return trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False, include_tables=True, include_links=True,
        favor_precision=precise, deduplicate=False,
    )


def merge_blocks(precise: list[Block], default: list[Block]) -> list[Block]:
    """The precise blocks, plus default-only blocks that sit between two shared blocks and are mostly text."""
    if not precise or not default:
        return precise or default
    keys_d, keys_p = [text_key(b.text) for b in default], [text_key(b.text) for b in precise]
    ops = SequenceMatcher(None, keys_d, keys_p, autojunk=False).get_opcodes()
    shared = [i for tag, i1, i2, _, _ in ops if tag == "equal" for i in range(i1, i2)]
    if not shared:
        return precise
    first, last = shared[0], shared[-1]
    merged: list[Block] = []
    for tag, i1, i2, j1, j2 in ops:
        if tag == "delete":
            merged += [b for i, b in enumerate(default[i1:i2], i1)
                       if first < i < last and b.link_share <= MAX_LINK_SHARE]
        else:
            merged += precise[j1:j2]
    return merged


def parse_html(html: str):
    """The page's HTML tree (lxml), or None when it cannot be parsed."""
    import lxml.etree
    import lxml.html

    try:
        parser = lxml.html.HTMLParser(encoding="utf-8")
        return lxml.html.fromstring(html.encode("utf-8", errors="replace"), parser=parser)
    except (lxml.etree.LxmlError, ValueError):
        return None


def extract_page(html: str, url: str | None = None) -> ExtractedPage:
    """Main text blocks and metadata of a page (see module doc)."""
    precise, default = _run(html, url, True), _run(html, url, False)
    doc = precise or default
    if doc is None:
        return ExtractedPage()
    blocks_p = tree_blocks(precise.body) if precise is not None and precise.body is not None else []
    blocks_d = tree_blocks(default.body) if default is not None and default.body is not None else []
    blocks = [b for b in merge_blocks(blocks_p, blocks_d) if b.link_share <= MAX_LINK_SHARE]
    root = parse_html(html)
    if root is not None:  # a body cut into sibling chunks: the ones the extractor left out go back
        blocks = with_sibling_chunks(root, blocks, MAX_LINK_SHARE)
    # a page of nothing but a prompt ("Subscribe to read this story.") stays as it is: the length rule refuses it
    # and names the likely cause (a teaser, paywall or error page)
    blocks = drop_inserts(blocks) or blocks
    title = doc.title or (default.title if default is not None else None)
    if blocks and blocks[0].kind == "head" and title and text_key(blocks[0].text) == text_key(title):
        blocks = blocks[1:]  # the headline is the title, not body text
    canonical = doc.url if doc.url and str(doc.url).startswith(("http://", "https://")) else None
    return ExtractedPage(blocks, title, doc.author, doc.date, doc.sitename or doc.hostname, canonical)


_ERROR_TITLE = re.compile(
    r"^\W*(?:(?:http\s*)?error\s*)?(?:40[013-9]|41\d|5\d\d)\b"  # "404 Not Found", "Error 500"
    r"|\b(?:page|file|article|content|story)?\s*not\s+found\b"
    r"|\bpage\s+(?:does\s+not|doesn[’']t)\s+exist\b|\bpage\s+(?:cannot|can[’']t|could\s+not|couldn[’']t)\s+be\s+found\b"
    r"|^\W*(?:access\s+denied|forbidden|service\s+unavailable|internal\s+server\s+error)\W*$",
    re.IGNORECASE,
)
ERROR_PAGE_MAX_WORDS = 300  # a page titled like an error and this short is the error, not an article about one


def error_page(title: str | None, text: str) -> str | None:
    """Why the page looks like a saved or soft error page ("404 Not Found" …), or None."""
    if title and _ERROR_TITLE.search(title.strip()) and word_count(text) < ERROR_PAGE_MAX_WORDS:
        return f"looks like an error page (“{title.strip()[:60]}”), not an article"
    return None


def article_text(blocks: list[Block]) -> str:
    """The stored article text: one block per paragraph, separated by blank lines."""
    return "\n\n".join(b.text for b in blocks)
