"""A body cut into sibling chunks is indexed whole: the chunks the extractor left out go back, in page order,
and nothing of the same class outside the article comes with them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from retrieval.text.blocks import Block
from retrieval.text.chunks import with_sibling_chunks
from retrieval.text.html import MAX_LINK_SHARE, article_text, extract_page, parse_html

EXTRACTION = Path(__file__).resolve().parents[3].parent / "shared" / "eval" / "extraction"
WIRED = "d48aeb9cf2"  # a Wired story whose body comes in two chunks with an ad between them


def paragraph(topic: str, n: int) -> str:
    return f"The {topic} report, part {n}, says the harbour council met again and agreed to look at ferry fares."


def chunk(topic: str, numbers: range) -> str:
    body = "".join(f"<p>{paragraph(topic, n)}</p>" for n in numbers)
    return f'<div class="grid"><div class="body body__container">{body}</div></div>'


PAGE = ("<html><body><main><article><div class='chunks'>"
        + chunk("first", range(1, 4)) + "<div class='ad'>Advertisement</div>"
        + chunk("second", range(4, 7)) + chunk("third", range(7, 9))
        + "</div></article></main><footer><div><div><div><div>"
        + '<div class="body body__container"><p>A sidebar story with the same look, a long line of other words.</p>'
        + "<p>And another sidebar paragraph that is not this article at all, with plenty of words in it.</p></div>"
        + "</div></div></div></div></footer></body></html>")


def blocks_of(topic: str, numbers: range) -> list[Block]:
    return [Block("p", paragraph(topic, n)) for n in numbers]


def test_the_chunks_left_out_go_back_in_page_order_and_a_lookalike_outside_the_article_does_not():
    root = parse_html(PAGE)
    whole = with_sibling_chunks(root, blocks_of("second", range(4, 7)), MAX_LINK_SHARE)
    assert [b.text for b in whole] == [paragraph("first", n) for n in range(1, 4)] + [
        paragraph("second", n) for n in range(4, 7)] + [paragraph("third", n) for n in range(7, 9)]
    assert not any("sidebar" in b.text for b in whole)


def test_blocks_from_one_container_or_from_classless_ones_stay_as_they_are():
    single = "<html><body><article><div class='body'>" + "".join(
        f"<p>{paragraph('only', n)}</p>" for n in range(1, 5)) + "</div></article></body></html>"
    blocks = blocks_of("only", range(1, 5))
    assert with_sibling_chunks(parse_html(single), blocks, MAX_LINK_SHARE) == blocks
    classless = PAGE.replace(' class="body body__container"', "")
    first = blocks_of("first", range(1, 4))
    assert with_sibling_chunks(parse_html(classless), first, MAX_LINK_SHARE) == first


def test_too_few_extracted_paragraphs_found_in_a_container_change_nothing():
    two = blocks_of("first", range(1, 3))  # two matches: not enough to call that container the body
    assert with_sibling_chunks(parse_html(PAGE), two, MAX_LINK_SHARE) == two


@pytest.mark.skipif(not EXTRACTION.exists(), reason="needs ../shared/eval/extraction")
def test_a_real_story_in_two_chunks_is_indexed_whole_without_its_promo_list():
    page_file = next((EXTRACTION / "pages").glob(f"{WIRED}*.html"))
    gold = next(json.loads(line)["body"] for line in (EXTRACTION / "gold.jsonl").read_text().splitlines()
                if json.loads(line)["id"].startswith(WIRED))
    text = article_text(extract_page(page_file.read_text(encoding="utf-8"), None).blocks)
    first = "Instagram began testing hiding public like counts globally on Thursday"
    later = "Her daughter, on the other hand, had cleverly put down the number for Pizza Hut instead."
    assert first in gold and later in gold
    assert first in text and later in text and text.index(first) < text.index(later)
    assert "More Great WIRED Stories" not in text and "The strange life and mysterious death" not in text
