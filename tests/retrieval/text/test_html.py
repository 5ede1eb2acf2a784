"""A page's HTML to its main text: default-only paragraphs restored only inside the body, link lists and a repeated
headline dropped, CJK words counted, error pages recognised, blocks joined as paragraphs."""

from __future__ import annotations

from retrieval.text.blocks import Block
from retrieval.text.html import article_text, error_page, extract_page, merge_blocks, word_count

SENTENCE = "The council approved the harbour budget after a long debate about ferry routes and repairs."


def test_merge_restores_inner_paragraphs_but_not_edges_or_link_lists():

    a, b, c = Block("p", "alpha text"), Block("p", "beta text"), Block("p", "gamma text")
    inner, promo, edge = Block("p", "lost inner"), Block("p", "READ MORE: other story", 1.0), Block("p", "footer")
    merged = merge_blocks([a, b, c], [edge, a, inner, b, promo, c, edge])
    assert merged == [a, inner, b, c]


def test_words_are_counted_and_cjk_characters_count_two_to_a_word():
    assert word_count("東京都は月曜日") == 3 and word_count("three plain words") == 3


def test_a_short_page_titled_like_an_error_is_an_error_page():
    assert error_page("404 Not Found", "The page you asked for is gone.").startswith("looks like an error page (“404")
    assert error_page("Page not found | Coast News", "Try the search box.") is not None
    assert error_page("Harbour reopens", "Short text.") is None
    assert error_page("404 Not Found", SENTENCE * 30) is None  # a long article about an error page is an article


def test_extract_page_drops_the_headline_and_link_lists_and_keeps_metadata():
    body = "".join(f"<p>{SENTENCE} Part {n}.</p>" for n in range(1, 6))
    links = "<ul>" + "".join(f'<li><a href="/s{n}">Other story number {n}</a></li>' for n in range(6)) + "</ul>"
    html = (f"<html><head><title>Harbour budget approved</title><meta name='author' content='Ann Lee'>"
            f"<link rel='canonical' href='https://news.example/harbour'></head><body><article>"
            f"<h1>Harbour budget approved</h1>{body}{links}</article></body></html>")
    page = extract_page(html, "https://news.example/harbour?ref=rss")
    text = article_text(page.blocks)
    assert page.title == "Harbour budget approved" and page.author == "Ann Lee"
    assert page.canonical == "https://news.example/harbour"
    assert text.startswith(SENTENCE + " Part 1.") and "Other story number" not in text
    assert text.count("\n\n") == len(page.blocks) - 1 == 4
