"""A source that cannot be read never deletes what it holds; a run removing more than half the index asks first.

Real store, model and FAISS; feeds served by a local web server on 127.0.0.1; the CLI run in-process."""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot import cli
from retrieval.errors import CitebotError, LargeRemovalError
from retrieval.library import Library
from retrieval.sources import HttpClient, SourceSpec
from retrieval.sources.sync import FolderSource, folder_error, older_than
from tests.conftest import SAMPLES
from tests.local_http import serve
from tests.retrieval.sources.conftest import fast_settings

PAGE = ("<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
        "<p>{title} was announced on Monday by the council of Port Elsworth, after a long public consultation "
        "that drew more than four hundred written answers from residents of the town.</p>"
        "<p>Work on {title} begins in the spring and should take eleven months, the council said in a statement "
        "published on its website, adding that the budget had been approved.</p></article></body></html>")
TITLES = ["The new library", "The river footbridge", "The market hall roof"]


def feed(base: str, paths: list[str]) -> bytes:
    items = "".join(f"<item><title>Story {p}</title><link>{base}{p}</link></item>" for p in paths)
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Town News</title><link>{base}/</link>'
            f"<description>News</description>{items}</channel></rss>").encode()


@pytest.fixture
def folder(tmp_path) -> Path:
    target = tmp_path / "articles"
    shutil.copytree(SAMPLES, target)
    return target


@pytest.fixture
def library(tmp_path, embedder, folder) -> Library:
    library = Library(tmp_path / "data", embedder)
    library.sync([FolderSource(str(folder))])
    return library


def keys(library: Library) -> set[str]:
    return set(Library(library.data_dir, library.embedder).collection().articles)


def test_missing_folder_keeps_its_articles_and_names_the_folder(library, folder):
    before = keys(library)
    shutil.move(folder, folder.with_name("renamed"))  # an unmounted disk, a rename
    report = library.sync([FolderSource(str(folder))])
    assert keys(library) == before and report.removed == 0
    [(name, reason)] = report.source_errors
    assert name == str(folder) and "does not exist" in reason and "4 article(s) are kept" in reason
    status = library.source_status([FolderSource(str(folder))])[0]
    assert "does not exist" in status["last_error"] and status["articles"] == 4


def test_empty_source_list_is_refused_and_removes_nothing(library):
    before = keys(library)
    with pytest.raises(CitebotError, match="no sources are configured"):
        library.sync([])
    assert keys(library) == before


def test_folder_of_only_bad_files_or_empty_keeps_its_articles(library, folder):
    before = keys(library)
    for path in folder.iterdir():
        path.write_bytes(b"\xff\xfe\x00binary")  # every file unreadable now
    report = library.sync([FolderSource(str(folder))])
    assert keys(library) == before and "no readable article file" in report.source_errors[0][1]
    for path in folder.iterdir():
        path.unlink()
    report = library.sync([FolderSource(str(folder))])
    assert keys(library) == before and "holds no article files" in report.source_errors[0][1]


def test_unreadable_file_is_not_taken_for_a_deleted_one(library, folder):
    before = keys(library)
    (folder / "geology.txt").write_bytes(b"\xe9t\xe9 latin-1")  # there, but unreadable this time
    report = library.sync([FolderSource(str(folder))])
    assert keys(library) == before and report.removed == 0 and not report.source_errors
    assert any("geology.txt" in path for path, _ in report.skipped)


def test_removing_more_than_half_needs_confirmation(library, folder):
    before = keys(library)
    for name in ("geology.txt", "construction.json", "amazon-rainforest.md"):
        (folder / name).unlink()
    with pytest.raises(LargeRemovalError, match="remove 3 of the 4 indexed articles.*--prune"):
        library.sync([FolderSource(str(folder))])
    assert keys(library) == before
    report = library.sync([FolderSource(str(folder))], confirmed=True)
    assert report.removed == 3 and keys(library) == {"russia-ukraine-2022-02-11"}


def test_a_source_removed_from_config_takes_its_articles_but_asks_when_that_is_most(library, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    (other / "mill.txt").write_text("Carrick mill closes\n\nThe old mill at Carrick Bridge ground its last sack "
                                    "of flour in the spring, the miller's family said.\n", encoding="utf-8")
    with pytest.raises(LargeRemovalError):
        library.sync([FolderSource(str(other))])
    assert "geology" in keys(library) and "mill" in keys(library)
    report = library.sync([FolderSource(str(other))], confirmed=True)
    assert report.removed == 4 and keys(library) == {"mill"}


@pytest.fixture
def web():
    routes: dict[str, tuple[int, bytes, str]] = {"/robots.txt": (200, b"User-agent: *\nAllow: /\n", "text/plain")}
    with serve(lambda path: routes.get(path, (404, b"not found", "text/plain"))) as base:
        for n, title in enumerate(TITLES):
            routes[f"/story-{n}"] = (200, PAGE.format(title=title).encode(), "text/html")
        routes["/feed.xml"] = (200, feed(base, [f"/story-{n}" for n in range(len(TITLES))]), "application/rss+xml")
        yield base, routes


@pytest.mark.parametrize("failure", ["unreachable", "unparsable", "all-items-failing"])
def test_feed_that_cannot_be_read_keeps_its_articles(tmp_path, embedder, web, failure):
    base, routes = web
    client = HttpClient(fast_settings(retries=0))
    spec = SourceSpec("feed", f"{base}/feed.xml", name="Town News")
    library = Library(tmp_path / "data", embedder)
    assert library.sync([spec], client).added == 3
    before = keys(library)
    if failure == "unreachable":
        routes["/feed.xml"] = (503, b"down", "text/plain")
    elif failure == "unparsable":
        routes["/feed.xml"] = (200, b"\x00\x01 this is not a feed at all {", "application/rss+xml")
    else:
        for n in range(len(TITLES)):
            routes[f"/story-{n}"] = (500, b"oops", "text/html")
    report = library.sync([spec], client, refetch=True)
    assert keys(library) == before and report.removed == 0
    [(name, reason)] = report.source_errors
    assert name == "Town News" and "3 article(s) are kept" in reason
    assert ("all 3 item(s) failed" if failure == "all-items-failing" else "the feed cannot be read") in reason


def write_config(tmp_path: Path, data: Path, folder: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f"[data]\ndir = {json.dumps(str(data))}\n\n[articles]\nfolders = [{json.dumps(str(folder))}]\n",
                    encoding="utf-8")
    return path


def test_cli_index_with_a_missing_folder_exits_non_zero_and_keeps_the_index(capsys, tmp_path, library, folder):
    config = write_config(tmp_path, library.data_dir, folder)
    shutil.move(folder, folder.with_name("elsewhere"))
    code = cli.main(["--config", str(config), "index"])
    err = capsys.readouterr().err
    assert code == 1
    errors = [line for line in err.splitlines() if line.startswith("citebot: error:")]
    assert len(errors) == 1 and "does not exist" in errors[0] and "4 article(s) are kept" in errors[0]
    assert "Traceback" not in err and len(keys(library)) == 4


def test_cli_index_asks_for_prune_before_removing_most_of_the_index(capsys, tmp_path, library, folder):
    config = write_config(tmp_path, library.data_dir, folder)
    for name in ("geology.txt", "construction.json", "amazon-rainforest.md"):
        (folder / name).unlink()
    code = cli.main(["--config", str(config), "index"])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "citebot index --prune" in err
    assert len(keys(library)) == 4
    assert cli.main(["--config", str(config), "index", "--prune"]) == 0
    assert keys(library) == {"russia-ukraine-2022-02-11"}


def test_keep_days_counts_from_the_publication_day_else_the_first_sighting(tmp_path):
    old, recent = (date.today() - timedelta(days=40)).isoformat(), (date.today() - timedelta(days=5)).isoformat()
    assert older_than(old, 0.0, 30) and not older_than(recent, 0.0, 30) and not older_than(old, 0.0, 0)
    assert older_than("not a date", 0.0, 30)  # 1970: first seen long ago
    assert folder_error(tmp_path / "gone", [], []).startswith(f"the folder {tmp_path / 'gone'} does not exist")
    assert folder_error(tmp_path, [], [], empty_ok=True) is None
    assert "holds no article files" in folder_error(tmp_path, [], [])
