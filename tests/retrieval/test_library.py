"""The library: incremental writes touch one article, stable ids, dedup, removal, repair of damaged files."""

import json
import shutil
import sqlite3
from datetime import date, timedelta

import pytest

from retrieval.errors import CitebotError, IndexMissingError
from retrieval.library import SNAPSHOT_FILE, STORE_FILE, Library
from retrieval.models import ArticleMeta
from retrieval.sources import SourceSpec
from retrieval.sources.sync import FolderSource
from retrieval.text.articles import Article
from tests.conftest import SAMPLES, copy_data_dir

HARBOUR = (
    "The harbour of Port Elsworth reopened on Monday after six weeks of storm repairs, the port authority said.\n\n"
    "Engineers replaced 140 metres of the northern breakwater, which the January gales had split in two places.\n\n"
    "The first ship to dock was the ferry Saint Brendan, carrying 212 passengers from the islands."
)


def harbour(text: str = HARBOUR, url: str = "https://news.example.org/harbour", **meta) -> Article:
    fields = {"article_id": url, "title": "Harbour reopens after storm repairs", "source": "Coast News",
              "published": "2024-03-01", "url": url, **meta}
    return Article(ArticleMeta(**fields), text)


@pytest.fixture
def library(tmp_path, embedder, sample_data_dir) -> Library:
    data = tmp_path / "data"
    copy_data_dir(sample_data_dir, data)
    return Library(data, embedder)


def paragraph_ids(library: Library) -> dict[str, list[int]]:
    collection = library.collection()
    return {key: list(ids) for key, ids in collection.ids_by_article.items()}


def test_store_holds_what_was_read(sample_library):
    collection = sample_library.collection()
    assert set(collection.articles) == {"russia-ukraine-2022-02-11", "amazon-rainforest", "construction", "geology"}
    assert collection.dense.count == collection.paragraph_count == collection.bm25.size
    for p in collection.reading().paragraphs(collection.live_ids()).values():
        assert collection.texts[p.article_id][p.start : p.end] == p.text


def test_adding_one_article_touches_only_that_article(library):
    before = paragraph_ids(library)
    report = library.upsert([harbour()])
    assert (report.added, report.updated, report.unchanged) == (1, 0, 0)
    after = paragraph_ids(library)
    assert {k: v for k, v in after.items() if k in before} == before  # every other article keeps its ids
    answer = library.ask("Which ferry was the first ship to dock in Port Elsworth?")
    assert answer.found and "Saint Brendan" in answer.quotes[0].text
    assert answer.quotes[0].article.url == "https://news.example.org/harbour"


def test_a_changed_article_is_quoted_in_its_new_version_only(library):
    library.upsert([harbour()])
    first = paragraph_ids(library)["https://news.example.org/harbour"]
    changed = HARBOUR.replace("212 passengers", "319 passengers")
    report = library.upsert([harbour(changed)])
    assert (report.added, report.updated) == (0, 1)
    answer = library.ask("How many passengers did the ferry Saint Brendan carry to Port Elsworth?")
    assert "319 passengers" in answer.quotes[0].text
    assert not any("212 passengers" in q.text for q in answer.quotes)
    assert paragraph_ids(library)["https://news.example.org/harbour"] != first  # new paragraphs, new ids
    assert library.upsert([harbour(changed)]).unchanged == 1


def test_the_same_story_by_two_urls_is_one_article(library):
    library.upsert([harbour()])
    count = len(library.sources())
    # tracking parameters, http, trailing slash: the same URL
    library.upsert([harbour(url="http://www.news.example.org/harbour/?utm_source=feed")])
    # the same text under another URL: one article that remembers both
    report = library.upsert([harbour(url="https://mirror.example.com/stories/harbour-reopens")])
    assert report.unchanged == 1 and len(library.sources()) == count
    removed = library.remove("https://mirror.example.com/stories/harbour-reopens")
    assert [m.article_id for m in removed] == ["https://news.example.org/harbour"]
    assert len(library.sources()) == count - 1


def test_remove_makes_the_question_not_found(library):
    library.upsert([harbour()])
    assert library.ask("Which ferry was the first ship to dock in Port Elsworth?").found
    library.remove("Harbour reopens after storm repairs")
    answer = library.ask("Which ferry was the first ship to dock in Port Elsworth?")
    assert not answer.found
    with pytest.raises(CitebotError, match="no indexed article matches"):
        library.remove("https://news.example.org/harbour")


def test_another_process_sees_writes_on_its_next_question(library, embedder):
    reader = Library(library.data_dir, embedder)
    assert not reader.ask("Which ferry was the first ship to dock in Port Elsworth?").found
    library.upsert([harbour()])
    assert reader.ask("Which ferry was the first ship to dock in Port Elsworth?").found
    library.remove("https://news.example.org/harbour")
    assert not reader.ask("Which ferry was the first ship to dock in Port Elsworth?").found


def test_unchanged_text_is_not_re_embedded(tmp_path, embedder):
    folder = tmp_path / "articles"
    shutil.copytree(SAMPLES, folder)
    library = Library(tmp_path / "data", embedder)
    sources = [FolderSource(str(folder))]
    library.sync(sources)
    report = library.sync(sources)
    assert (report.embedded, report.unchanged, report.added, report.updated) == (0, 4, 0, 0)

    path = folder / "russia-ukraine-2022-02-11.txt"
    added = "\n\nA brand new closing paragraph was added. It has two sentences.\n"
    path.write_text(path.read_text(encoding="utf-8") + added)
    report = library.sync(sources)
    assert report.embedded == 3  # the new paragraph and its two sentences; nothing else
    assert report.updated == 1 and report.unchanged == 3
    assert any("brand new closing" in p.text for p in library.collection().paragraphs)


def test_sync_removes_deleted_files_but_keeps_added_articles(tmp_path, embedder):
    folder = tmp_path / "articles"
    shutil.copytree(SAMPLES, folder)
    library = Library(tmp_path / "data", embedder)
    library.sync([FolderSource(str(folder))])
    library.upsert([harbour()])  # by hand: survives re-indexing
    (folder / "geology.txt").unlink()
    report = library.sync([FolderSource(str(folder))])
    assert report.removed == 1
    keys = set(library.collection().articles)
    assert "geology" not in keys and "https://news.example.org/harbour" in keys
    # a source removed from config takes its articles with it (most of the index: confirmed); hand-added ones stay
    other = tmp_path / "other"
    other.mkdir()
    report = library.sync([FolderSource(str(other))], confirmed=True)
    assert set(Library(tmp_path / "data", embedder).collection().articles) == {"https://news.example.org/harbour"}
    status = {row["name"]: row for row in library.source_status([])}
    assert status["added"]["articles"] == 1 and report.removed == 3


def test_index_path_adds_without_replacing(library, tmp_path):
    folder = tmp_path / "more"
    folder.mkdir()
    (folder / "harbour.txt").write_text("Harbour reopens\nSource: Coast News\n\n" + HARBOUR, encoding="utf-8")
    before = set(library.collection().articles)
    report = library.index([folder / "harbour.txt"])
    assert report.added == 1
    assert set(library.collection().articles) == before | {"harbour"}


def test_nothing_indexable_is_a_clear_error(tmp_path, embedder):
    empty = tmp_path / "empty"
    empty.mkdir()
    library = Library(tmp_path / "data", embedder)
    with pytest.raises(CitebotError, match="nothing to index"):
        library.sync([FolderSource(str(empty))])
    with pytest.raises(CitebotError, match="nothing to index"):
        library.index([empty])
    with pytest.raises(IndexMissingError, match="citebot index"):
        library.ask("anything?")


def test_damaged_snapshot_is_set_aside_and_rebuilt(library, embedder):
    library.collection()
    (library.data_dir / SNAPSHOT_FILE).write_bytes(b"this is not an index")
    reopened = Library(library.data_dir, embedder)
    assert reopened.ask("Who is the British ambassador to Ukraine?").found
    assert any("set aside" in m for m in reopened.repairs)
    assert list(library.data_dir.glob(f"{SNAPSHOT_FILE}.damaged-*"))


def test_missing_snapshot_is_rebuilt_from_the_store(library, embedder):
    library.collection()
    (library.data_dir / SNAPSHOT_FILE).unlink(missing_ok=True)
    reopened = Library(library.data_dir, embedder)
    assert reopened.ask("Who is the British ambassador to Ukraine?").found


def test_damaged_store_is_set_aside(library, embedder):
    for side in ("-wal", "-shm"):
        (library.data_dir / (STORE_FILE + side)).unlink(missing_ok=True)
    (library.data_dir / STORE_FILE).write_bytes(b"garbage " * 1000)
    reopened = Library(library.data_dir, embedder)
    with pytest.raises(IndexMissingError):
        reopened.ask("anything?")
    assert any("set aside" in m for m in reopened.repairs)
    assert reopened.sync([FolderSource(str(SAMPLES))]).added == 4


def test_damaged_embedding_cache_is_set_aside(tmp_path):
    from embeddings import EmbeddingCache

    path = tmp_path / "embeddings.sqlite"
    path.write_bytes(b"not a database at all" * 100)
    cache = EmbeddingCache(path)
    assert cache.repaired and "set aside" in cache.repaired
    assert cache.get_many("m", ["x"]) == {}
    assert list(tmp_path.glob("embeddings.sqlite.damaged-*"))


def test_old_format_data_dir_is_set_aside_and_rebuilt(tmp_path, embedder):
    data = tmp_path / "data"
    (data / "index" / "gen-1").mkdir(parents=True)
    (data / "CURRENT").write_text("gen-1\n")
    library = Library(data, embedder)
    library.sync([FolderSource(str(SAMPLES))])
    assert any("old format" in m for m in library.repairs)
    assert not (data / "CURRENT").exists() and library.ask("Who is the British ambassador to Ukraine?").found


def test_store_is_consistent_sqlite(library):
    library.upsert([harbour()])
    conn = sqlite3.connect(library.data_dir / STORE_FILE)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        orphans = conn.execute("SELECT COUNT(*) FROM paragraphs WHERE key NOT IN (SELECT key FROM articles)")
        assert orphans.fetchone()[0] == 0
    finally:
        conn.close()
    assert json.loads((library.data_dir / "last_index.json").read_text())["added"] == 1


MILL = (
    "The old mill at Carrick Bridge ground its last sack of flour in the spring, the miller's family said.\n\n"
    "Its waterwheel, turned by the River Carrick for three centuries, will be kept as a museum piece."
)


def test_keep_days_removes_old_articles_of_a_source_and_keeps_recent_ones(tmp_path, embedder):
    folder = tmp_path / "articles"
    folder.mkdir()
    recent = (date.today() - timedelta(days=2)).isoformat()
    (folder / "harbour.txt").write_text(
        f"Harbour reopens after storm repairs\nSource: Coast News\nDate: {recent}\n\n{HARBOUR}", encoding="utf-8")
    (folder / "mill.md").write_text(
        f"---\ntitle: Carrick Bridge mill closes\nsource: Coast News\ndate: 2019-05-04\n---\n\n{MILL}",
        encoding="utf-8")
    library = Library(tmp_path / "data", embedder)
    mill_question = "Which river turned the waterwheel of the mill at Carrick Bridge?"

    library.sync([SourceSpec(kind="folder", location=str(folder), keep_days=0)])  # 0: kept for ever
    assert {row["title"] for row in library.sources()} == {"Harbour reopens after storm repairs",
                                                           "Carrick Bridge mill closes"}
    assert library.ask(mill_question).found

    report = library.sync([SourceSpec(kind="folder", location=str(folder), keep_days=30)])
    assert report.removed == 1
    assert [row["title"] for row in library.sources()] == ["Harbour reopens after storm repairs"]
    assert not library.ask(mill_question).found
    answer = library.ask("Which ferry was the first ship to dock in Port Elsworth?")
    assert answer.found and "Saint Brendan" in answer.quotes[0].text
    # a later sync without the limit brings the file back: it is still in the folder
    library.sync([SourceSpec(kind="folder", location=str(folder), keep_days=0)])
    assert len(library.sources()) == 2
