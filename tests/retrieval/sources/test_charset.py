"""Text from bytes the way browsers read it: BOM, header, the document's own declaration, then UTF-8, then 1252."""

from __future__ import annotations

from pathlib import Path

from retrieval.sources.charset import decode_body, sniff_charset
from retrieval.sources.feeds import parse_feed

FEEDS = Path(__file__).resolve().parents[3].parent / "shared" / "eval" / "feeds"
WORD = "Notícias às três"


def test_header_charset_wins_over_guessing() -> None:
    body = f"<html><body>{WORD}</body></html>".encode("iso-8859-1")
    assert decode_body(body, "text/html; charset=ISO-8859-1") == body.decode("cp1252")
    assert WORD in decode_body(body, "text/html; charset=iso-8859-1")


def test_meta_and_xml_declarations() -> None:
    html = f'<html><head><meta charset="windows-1252"></head><body>{WORD}</body></html>'.encode("cp1252")
    assert WORD in decode_body(html, "text/html")
    old = f'<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"><p>{WORD}</p>'.encode("latin-1")
    assert WORD in decode_body(old, None)
    xml = f'<?xml version="1.0" encoding="ISO-8859-1"?><rss><title>{WORD}</title></rss>'.encode("latin-1")
    assert WORD in decode_body(xml, "application/xml")


def test_bom_and_fallbacks() -> None:
    assert decode_body("\ufeff".encode("utf-8") + WORD.encode("utf-8")) == WORD
    assert decode_body("\ufeff".encode("utf-16-le") + WORD.encode("utf-16-le")) == WORD
    assert sniff_charset(WORD.encode("utf-8")) == "utf-8"
    assert sniff_charset(WORD.encode("latin-1")) == "cp1252"  # not valid UTF-8, no declaration
    wrong = f"<p>{WORD}</p>".encode("latin-1")
    assert WORD in decode_body(wrong, "text/html; charset=utf-8")  # a wrong header does not garble the text


def test_uol_feed_undeclared_latin1() -> None:
    raw = (FEEDS / "uol-noticias-rss-latin1.xml").read_bytes()
    assert not raw.lstrip().startswith(b"<?xml")
    feed = parse_feed(raw, "https://rss.uol.com.br/feed/noticias.xml", "text/xml")
    assert feed.title == "UOL Noticias" and len(feed.entries) == 15
    assert any("simulações" in (e.title or "") for e in feed.entries)
    assert all("\ufffd" not in (e.summary or "") + (e.title or "") for e in feed.entries)


def test_every_shared_feed_parses_with_absolute_links() -> None:
    paths = sorted(FEEDS.glob("*.xml"))
    assert paths, f"no feeds in {FEEDS}"  # an empty folder must not pass
    for path in paths:
        feed = parse_feed(path.read_bytes(), f"https://feeds.example.org/{path.name}")
        assert feed.entries, path.name
        assert all(e.link.startswith(("http://", "https://")) for e in feed.entries), path.name
        assert all(e.published for e in feed.entries), path.name
