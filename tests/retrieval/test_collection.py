"""The in-memory collection: built by increments it ranks like one built at once; the snapshot is a cache of
work keyed by stable ids (incomplete is fine, wrong is impossible)."""

import shutil

import numpy as np

from retrieval.collection import read_snapshot
from retrieval.library import SNAPSHOT_FILE, FolderSource, Library
from retrieval.ranking import rank
from tests.conftest import SAMPLES

QUESTIONS = ["Who is the British ambassador to Ukraine?", "What do geologists study?",
             "How much of the Amazon rainforest is in Brazil?", "What is construction?"]


def ranked(library: Library, question: str) -> list[tuple[str, float]]:
    collection = library.collection()
    vector = library.embedder.encode_query(question)
    with collection.lock:
        hits = rank(collection, question, vector, library.retrieval, depth=10)
        return [(collection.by_id[h.paragraph_id].text, round(h.score, 5)) for h in hits]


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
    prepared, info = read_snapshot(sample_library.data_dir / "copy.npz", collection.model)
    assert set(prepared) == set(collection.by_id) and info["seq"] == collection.seq
    some = next(iter(collection.by_id))
    order = {int(i): n for n, i in enumerate(collection.dense.ids())}
    assert np.allclose(prepared[some].vector, collection.dense.vectors()[order[some]])
    assert len(prepared[some].sentence_vectors) == len(collection.sentences[some].spans)
    (sample_library.data_dir / "copy.npz").unlink()
    assert (sample_library.data_dir / SNAPSHOT_FILE).exists()
