"""Reading a feed: links made absolute and each taken once, dates and authors normalised, the fullest content kept,
a malformed feed salvaged item by item with the problem named, and bytes that are no feed refused."""

from __future__ import annotations

import pytest

from retrieval.sources.feeds import parse_feed, plain_text

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Coast &amp; News</title>
<link>https://news.example/</link>
<item><title>Harbour &lt;b&gt;wall&lt;/b&gt; repaired</title><link>/harbour</link>
  <pubDate>Fri, 01 Mar 2024 09:00:00 GMT</pubDate><dc:creator>Ann Lee</dc:creator>
  <description>&lt;p&gt;Engineers   worked overnight.&lt;/p&gt;</description>
  <content:encoded><![CDATA[<p>The full story.</p>]]></content:encoded></item>
<item><title>Same story again</title><link>/harbour</link></item>
<item><title>Budget</title><link>https://news.example/budget</link><dc:date>5 March 2024</dc:date></item>
</channel></rss>"""


def test_items_are_read_with_absolute_links_dates_authors_and_content():
    feed = parse_feed(RSS, "https://news.example/feed.xml")
    assert feed.title == "Coast & News" and feed.problem is None
    assert [e.link for e in feed.entries] == ["https://news.example/harbour", "https://news.example/budget"]
    first, second = feed.entries
    assert first.title == "Harbour wall repaired" and first.published == "2024-03-01" and first.author == "Ann Lee"
    assert first.summary == "Engineers worked overnight." and first.content == "<p>The full story.</p>"
    assert second.published == "2024-03-05" and second.content is None


def test_a_malformed_feed_keeps_the_items_it_can_read_and_says_what_is_wrong():
    broken = RSS.replace(b"<title>Budget</title>", b"<title>Budget & <bad</title>")
    feed = parse_feed(broken, "https://news.example/feed.xml")
    assert feed.problem is not None and feed.problem.startswith("the feed is malformed (line ")
    assert "https://news.example/harbour" in [e.link for e in feed.entries]


def test_bytes_that_are_not_a_feed_are_refused():
    with pytest.raises(ValueError, match="not an RSS or Atom feed"):
        parse_feed(b"<html><body><p>Hello</p></body></html>", "https://news.example/")


def test_plain_text_flattens_html_to_one_line():
    assert plain_text("<p>One&nbsp;<b>two</b></p>\n<p>three</p>") == "One two three"
    assert plain_text("  ") is None and plain_text(None) is None
