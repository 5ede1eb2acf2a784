"""Small hostile inputs (issue 21, item 5): each refused with one line naming the problem, or read with nothing
lost. docs/hardening.md lists every case with its outcome."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest

from bot import cli
from bot.config import load_config
from retrieval.library import Library
from retrieval.models import ArticleMeta
from retrieval.sources.sync import FolderSource
from retrieval.text import articles as article_files
from retrieval.text.articles import Article, read_articles
from retrieval.text.paragraphs import ParagraphSplitter
from tests.conftest import copy_data_dir

AGENCY = ("The regional transport authority confirmed on Tuesday that the night ferry between Carrick Bay and "
          "the islands will stop running from the first of March because of falling passenger numbers.")


def digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.name.endswith(("-wal", "-shm"))}


def one_line(code: int, err: str, *fragments: str) -> None:
    assert code == 1 and err.count("\n") == 1 and err.startswith("citebot: error: ") and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in err, err


def test_summary_sentences_zero_is_refused_naming_the_range(capsys, config_file):
    code = cli.main(["--config", str(config_file), "summary", "--sentences", "0"])
    one_line(code, capsys.readouterr().err, "--sentences must be between 1 and 10", "got 0")


def _read(tmp_path: Path, name: str, content: bytes):
    path = tmp_path / name
    path.write_bytes(content)
    return read_articles([path])


def test_json_holding_an_empty_list_is_reported(tmp_path):
    found, skipped = _read(tmp_path, "empty-list.json", b"[]")
    assert not found and "the JSON list is empty" in skipped[0][1]


def test_markdown_with_old_mac_line_ends_is_indexed(tmp_path):
    text = "---\rtitle: Ferry stops\rsource: Coast News\r---\r\rFirst paragraph about the ferry.\r\rSecond one here.\r"
    found, skipped = _read(tmp_path, "cr.md", text.encode())
    assert not skipped and found[0].meta.title == "Ferry stops" and found[0].meta.source == "Coast News"
    paragraphs = ParagraphSplitter().split("cr", found[0].text)
    assert [p.text for p in paragraphs] == ["First paragraph about the ferry.", "Second one here."]


def test_saved_404_page_is_not_indexed_as_an_article(tmp_path):
    page = ("<html><head><title>404 Not Found</title></head><body><main><h1>Page not found</h1>"
            "<p>Sorry, the page you were looking for could not be found on our website. It may have been moved, "
            "renamed or deleted, or the address may have been typed incorrectly.</p><p>Please check the address, "
            "use the search box at the top of this page, or go back to the home page to find the latest news, "
            "sport, business and weather from around the region.</p></main></body></html>")
    found, skipped = _read(tmp_path, "saved.html", page.encode())
    assert not found and "looks like an error page" in skipped[0][1]


def test_a_nul_byte_is_stripped_and_the_article_kept(tmp_path):
    found, skipped = _read(tmp_path, "nul.txt", b"Ferry stops\n\nThe night ferry\x00 stops in March.\n")
    assert not skipped and found[0].text == "The night ferry stops in March."


def test_one_huge_paragraph_is_split_quickly_and_verbatim():
    text = (("The council met on Monday and discussed the harbour " * 4 + "again. ") * 1100)[:229_000].rstrip()
    splitter = ParagraphSplitter()
    started = time.perf_counter()
    paragraphs = splitter.split("huge", text)
    took = time.perf_counter() - started
    assert len(paragraphs) > 150 and all(len(p.text) <= splitter.settings.max_paragraph_chars for p in paragraphs)
    assert all(text[p.start:p.end] == p.text for p in paragraphs)
    assert took < 30, f"{took:.1f} s"
    blob = "x" * 5000 + " tail words here."  # no sentence end, no space for 5,000 characters: cut anyway
    assert all(len(p.text) <= 1200 for p in splitter.split("blob", blob))


def test_system_root_as_a_folder_is_refused(tmp_path):
    found, skipped = read_articles([Path("/")])
    assert not found and skipped == [("/", skipped[0][1])] and "is a system folder" in skipped[0][1]


def test_files_per_folder_are_capped_with_a_message_and_the_rest_kept(tmp_path, embedder, monkeypatch):
    folder = tmp_path / "many"
    folder.mkdir()
    for n in range(5):
        (folder / f"story-{n}.txt").write_text(f"Story {n}\n\nThe ferry number {n} sails at noon from the "
                                               "harbour, the authority said.\n", encoding="utf-8")
    library = Library(tmp_path / "data", embedder)
    library.sync([FolderSource(str(folder))])
    monkeypatch.setattr(article_files, "MAX_FOLDER_FILES", 3)
    found, skipped = read_articles([folder])
    assert len(found) == 3 and skipped[0][0] == str(folder) and "more than 3 article files" in skipped[0][1]
    report = library.sync([FolderSource(str(folder))])  # a folder cut short removes nothing it did not read
    assert report.removed == 0 and len(library.collection().articles) == 5


def test_the_same_paragraph_is_never_quoted_twice(tmp_path, embedder, sample_data_dir):
    data = tmp_path / "data"
    copy_data_dir(sample_data_dir, data)
    library = Library(data, embedder)
    for n, extra in enumerate(["The mayor said the decision was a blow to the islands.",
                               "Islanders have started a petition to keep the service."]):
        meta = ArticleMeta(article_id=f"ferry-{n}", title=f"Night ferry to stop ({n})", source="Coast News")
        library.upsert([Article(meta, f"{AGENCY}\n\n{extra}")])
    answer = library.ask("When will the night ferry between Carrick Bay and the islands stop running?", k=3)
    texts = [q.text for q in answer.quotes]
    assert answer.found and texts[0] == AGENCY and texts.count(AGENCY) == 1 and len(texts) == 3


@pytest.mark.parametrize("case", ["empty-folder", "only-bad-files"])
def test_index_of_a_folder_with_nothing_readable_exits_non_zero_with_the_reasons(capsys, tmp_path, config_file,
                                                                                 case):
    folder = tmp_path / "EMPTY"
    folder.mkdir()
    if case == "only-bad-files":
        (folder / "a.txt").write_bytes("Café\n\ncoûte".encode("latin-1"))
        (folder / "b.json").write_bytes(b"[]")
    data = load_config(config_file).data_dir
    before = digest(data)
    code = cli.main(["--config", str(config_file), "index", str(folder)])
    err = capsys.readouterr().err
    reasons = ["the folder is empty"] if case == "empty-folder" else ["a.txt: not UTF-8", "b.json: the JSON list"]
    one_line(code, err, "nothing to index", *reasons)
    assert {k: v for k, v in digest(data).items() if k in before} == before


def test_malformed_feed_reports_its_parse_error_and_keeps_what_parsed():
    from retrieval.sources.feeds import parse_feed

    good = "<item><title>Ferry stops</title><link>https://news.example.org/ferry</link></item>"
    body = ('<?xml version="1.0"?><rss version="2.0"><channel><title>Coast News</title>'
            f"<item><title>Broken</item>{good}</channel></rss>").encode()
    feed = parse_feed(body, "https://news.example.org/feed.xml")
    assert [e.link for e in feed.entries] == ["https://news.example.org/ferry"]
    assert "malformed" in feed.problem and "mismatched tag" in feed.problem and "1 item(s) read" in feed.problem
    with pytest.raises(ValueError, match="malformed"):
        parse_feed(body.replace(good.encode(), b""), "https://news.example.org/feed.xml")


