"""The in-memory collection: built by increments it ranks like one built at once; the snapshot is a cache of
work keyed by stable ids (incomplete is fine, wrong is impossible)."""

import shutil

import numpy as np

import retrieval.index.sentence_vectors as sentence_vectors_module
from retrieval.index.sentence_vectors import FileRows
from retrieval.index.snapshot import read_snapshot
from retrieval.library import SNAPSHOT_FILE, Library
from retrieval.query.ranking import rank
from retrieval.sources.sync import FolderSource
from retrieval.text.articles import read_articles
from tests.conftest import SAMPLES, copy_data_dir

QUESTIONS = ["Who is the British ambassador to Ukraine?", "What do geologists study?",
             "How much of the Amazon rainforest is in Brazil?", "What is construction?"]


def ranked(library: Library, question: str) -> list[tuple[str, float]]:
    collection = library.collection()
    vector = library.embedder.encode_query(question)
    with collection.reading() as view:
        hits = rank(view, question, vector, library.retrieval, depth=10)
        return [(view.paragraph(h.paragraph_id).text, round(h.score, 5)) for h in hits]


def test_increments_rank_like_a_fresh_build(tmp_path, embedder, sample_library):
    folder = tmp_path / "articles"
    shutil.copytree(SAMPLES, folder)
    geology = (folder / "geology.txt").read_bytes()
    (folder / "geology.txt").unlink()
    library = Library(tmp_path / "data", embedder)
    library.sync([FolderSource(str(folder))])
    library.collection()  # loaded: later writes are applied to it incrementally
    (folder / "geology.txt").write_bytes(geology)
    (folder / "extra.txt").write_text("Extra\n\nA short extra article about rocks and minerals.\n")
    library.sync([FolderSource(str(folder))])
    (folder / "extra.txt").unlink()
    library.sync([FolderSource(str(folder))])
    assert set(library.collection().articles) == set(sample_library.collection().articles)
    for question in QUESTIONS:
        assert ranked(library, question) == ranked(sample_library, question)


def test_snapshot_holds_every_paragraph_by_id(sample_library):
    collection = sample_library.collection()
    collection.save_snapshot(sample_library.data_dir / "copy.npz")
    arrays, info = read_snapshot(sample_library.data_dir / "copy.npz", collection.model)
    assert set(arrays["ids"].tolist()) == set(collection.live_ids().tolist()) and info["seq"] == collection.seq
    assert isinstance(arrays["sentence_vectors"], FileRows) and arrays["sentence_vectors"].dtype == np.float16
    row = 3
    some = int(arrays["ids"][row])
    assert collection.dense.contains(arrays["ids"]).all()  # paragraph vectors: the dense index's own files
    assert arrays["sentence_count"][row] == len(collection.sentences[some].spans)
    (sample_library.data_dir / "copy.npz").unlink()
    assert (sample_library.data_dir / SNAPSHOT_FILE).exists()


def test_reopened_collection_answers_identically_from_mapped_files(tmp_path, embedder, sample_data_dir):
    """A collection opened from its snapshot (memory-mapped, nothing recomputed) ranks and highlights exactly as
    the one that wrote it; texts come from the store, no paragraph objects are built at load."""
    data = tmp_path / "data"
    copy_data_dir(sample_data_dir, data)
    first = Library(data, embedder)
    before = {q: ranked(first, q) for q in QUESTIONS}
    first.collection().save_snapshot(data / SNAPSHOT_FILE)
    again = Library(data, embedder)
    collection = again.collection()
    assert isinstance(collection.sentence_vectors.base, FileRows) and not len(collection.sentence_vectors.tail)
    assert isinstance(collection.bm25.inv_slots.base, np.memmap)  # postings mapped, not read
    assert collection.cached_paragraphs == 0  # nothing read from the store yet
    assert {q: ranked(again, q) for q in QUESTIONS} == before
    answer = again.ask(QUESTIONS[0])
    assert answer.found and answer.quotes[0].highlight in answer.quotes[0].text
    assert answer.quotes[0].text in collection.texts[answer.quotes[0].article.article_id]


def test_float16_sentence_vectors_pick_the_same_highlight(sample_library):
    """Sentence vectors are stored as float16: every sentence's best-match order equals float32's."""
    collection = sample_library.collection()
    vector = sample_library.embedder.encode_query(QUESTIONS[0])
    with collection.lock:
        for pid in collection.live_ids()[:40].tolist():
            p = collection.paragraph(pid)
            spans, stored = collection.sentence_rows(collection.row_of(pid))
            exact = sample_library.embedder.encode([p.text[a:b] for a, b in spans.tolist()])
            assert np.abs(stored - exact).max() < 2e-3
            assert int(np.argmax(stored @ vector)) == int(np.argmax(exact @ vector))


def test_snapshot_behind_the_store_is_completed_and_stale_rows_masked(tmp_path, embedder, sample_data_dir):
    data = tmp_path / "data"
    copy_data_dir(sample_data_dir, data)
    library = Library(data, embedder)
    library.collection().save_snapshot(data / SNAPSHOT_FILE)
    library.remove("geology")
    library.upsert(read_articles([SAMPLES / "geology.txt"])[0])
    fresh = Library(data, embedder)  # the snapshot still has the old geology paragraph ids
    collection = fresh.collection()
    assert all(collection.paragraph(i).article_id == "geology" for i in collection.ids_by_article["geology"])
    assert len(collection.ids_by_article["geology"]) == len(library.collection().ids_by_article["geology"])
    for question in QUESTIONS:
        assert ranked(fresh, question) == ranked(library, question)


def test_compaction_drops_dead_rows_and_ranks_the_same(tmp_path, embedder, sample_data_dir):
    data = tmp_path / "data"
    copy_data_dir(sample_data_dir, data)
    library = Library(data, embedder)
    library.remove("geology")
    collection = library.collection()
    before = {q: ranked(library, q) for q in QUESTIONS}
    dead = collection.bm25.slots - collection.bm25.size
    assert dead > 0
    with collection.lock:
        collection.load_arrays(collection.live_arrays(sentences=False), sentences=False)
    assert collection.bm25.slots == collection.bm25.size == collection.paragraph_count
    assert {q: ranked(library, q) for q in QUESTIONS} == before


def test_a_build_spills_sentence_vectors_to_disk_and_answers_the_same(tmp_path, embedder, sample_data_dir,
                                                                      sample_library, monkeypatch):
    """Opening without a snapshot (a fresh build) keeps at most SPILL_ROWS sentence vectors in RAM; the rest go to
    an unnamed temporary file and are read back; the snapshot written from them reopens identically."""
    monkeypatch.setattr(sentence_vectors_module, "SPILL_ROWS", 7)
    data = tmp_path / "data"
    copy_data_dir(sample_data_dir, data)
    (data / SNAPSHOT_FILE).unlink()
    library = Library(data, embedder)
    collection = library.collection()
    assert collection.sentence_vectors.segments and len(collection.sentence_vectors.tail) < 7
    expected = {q: ranked(sample_library, q) for q in QUESTIONS}
    assert {q: ranked(library, q) for q in QUESTIONS} == expected
    collection.save_snapshot(data / SNAPSHOT_FILE)
    assert {q: ranked(Library(data, embedder), q) for q in QUESTIONS} == expected


def test_a_quoted_paragraph_is_found_by_its_id_whatever_its_form(tmp_path, embedder, sample_library):
    """A conversation remembers the pids it quoted; the passage prior finds their rows again, both for the store's
    own ``article:digest`` ids and for the dataset ids an evaluation set gives its paragraphs."""
    from retrieval.evaluation.collection import build_collection
    from retrieval.evaluation.retrieval import articles_from_paragraphs

    rows = [{"pid": f"story{s}-p{n}", "doc_id": f"story{s}", "text": f"Paragraph {n} of story {s} says {s * n}."}
            for s in (1, 2) for n in range(3)]
    articles, paragraphs = articles_from_paragraphs(rows)
    built = build_collection(tmp_path / "eval", articles, paragraphs, embedder)
    try:
        for row in rows:
            found = built.row_of_pid(row["pid"], row["doc_id"])
            assert found is not None and built.paragraph_at(found).pid == row["pid"]
        assert built.row_of_pid("story1-p9", "story1") is None
    finally:
        built.dense.close()
    collection = sample_library.collection()
    some = collection.paragraph(int(collection.live_ids()[0]))
    assert collection.row_of_pid(some.pid) == collection.row_of(some.id)
