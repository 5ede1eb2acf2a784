"""Ranking over stable paragraph ids: hits name paragraphs by id, removal of other articles changes nothing else."""

import shutil

from retrieval.library import Library
from retrieval.ranking import rank


def test_hits_carry_stable_ids_that_outlive_other_removals(tmp_path, embedder, sample_data_dir):
    data = tmp_path / "data"
    shutil.copytree(sample_data_dir, data)
    library = Library(data, embedder)
    question = "Who is the British ambassador to Ukraine?"
    vector = embedder.encode_query(question)
    collection = library.collection()
    with collection.lock:
        before = rank(collection, question, vector, library.retrieval)
    ambassador = before[0].paragraph_id
    assert "Melinda Simmons" in collection.by_id[ambassador].text
    library.remove("geology")
    collection = library.collection()
    with collection.lock:
        after = rank(collection, question, vector, library.retrieval)
        assert after[0].paragraph_id == ambassador
        assert all(collection.by_id[h.paragraph_id].article_id != "geology" for h in after)
