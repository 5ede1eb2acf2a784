"""Article identity: one URL however it is written, one hash however a text is wrapped."""

from __future__ import annotations

from retrieval.index.identity import normalise_url, text_hash


def test_urls_written_differently_are_one_article():
    a = normalise_url("https://www.example.com/news/story/?utm_source=feed")
    assert a == normalise_url("http://example.com/news/story")
    assert a != normalise_url("https://example.com/news/other-story")


def test_what_is_not_a_web_url_is_kept_as_is_but_stripped():
    assert normalise_url("  articles/story.txt \n") == "articles/story.txt"
    assert normalise_url("") == ""


def test_text_hash_ignores_wrapping_but_not_wording_or_case():
    text = "The council voted on Monday.\nIt passed."
    assert text_hash(text) == text_hash("  The council   voted on Monday. It\n\npassed.  ")
    assert text_hash(text) != text_hash(text.lower())
    assert text_hash(text) != text_hash("The council voted on Tuesday. It passed.")
