"""Every dense index kind behind ``VectorIndex``: upsert (replacing ids), delete, search with a filter inside the
index, count, save and load; the factory; HNSW recall against exact on real MiniLM vectors."""

from __future__ import annotations

import numpy as np
import pytest

from retrieval.index.vectors.factory import IndexSettings, fit_kind, new_index, open_index, wanted_kind
from retrieval.index.vectors.flat import FlatIndex
from retrieval.index.vectors.hnsw import HNSWIndex
from retrieval.index.vectors.milvus import MilvusIndex

DIM = 32


def unit(rows: np.ndarray) -> np.ndarray:
    rows = np.atleast_2d(rows)
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def make(kind: str, folder, **options):
    if kind == "exact":
        return FlatIndex(DIM)
    if kind == "hnsw":
        return HNSWIndex(DIM, **options)
    if kind == "hnsw-graph":  # filtered searches always walk the graph (no exact fallback)
        return HNSWIndex(DIM, exact_below=0, **options)
    return MilvusIndex(DIM, folder=folder / "vectors")  # a milvus-lite file in the folder the index saves to


KINDS = ["exact", "hnsw", "hnsw-graph", "milvus"]
# how close a returned cosine is to the true one: HNSW stores 8-bit codes
TOL = {"exact": 1e-5, "hnsw": 0.02, "hnsw-graph": 0.02, "milvus": 1e-4}


@pytest.fixture
def data():
    rng = np.random.default_rng(7)
    vectors = unit(rng.normal(size=(400, DIM)))
    ids = np.arange(10_000, 10_400, dtype=np.int64)
    return ids, vectors


@pytest.mark.parametrize("kind", KINDS)
def test_upsert_search_and_replace(kind, data, tmp_path):
    ids, vectors = data
    index = make(kind, tmp_path)
    assert index.count == 0 and len(index.search(vectors[0], 5)[0]) == 0
    index.upsert(ids, vectors)
    assert index.count == 400
    found, scores = index.search(vectors[17], 5)
    assert found[0] == 10_017 and abs(scores[0] - 1.0) < TOL[kind]
    assert list(scores) == sorted(scores, reverse=True)
    new = unit(vectors[300] + vectors[301])[0]  # replace id 10_017's vector
    index.upsert([10_017], new[None])
    assert index.count == 400, "replacing an id must not add a second vector"
    assert np.allclose(index.vectors_of([10_017])[0], new, atol=TOL[kind] * 2)
    found, _ = index.search(vectors[17], 3)
    assert 10_017 not in found, "the old vector must be gone"
    found, _ = index.search(new, 400)
    assert list(found).count(10_017) == 1 and len(found) == 400
    assert np.allclose(index.cosines(vectors[5], [10_005, 10_017]), [1.0, new @ vectors[5]], atol=TOL[kind] * 2)
    assert list(index.contains([10_005, 99])) == [True, False]
    assert sorted(index.ids().tolist()) == ids.tolist()


@pytest.mark.parametrize("kind", KINDS)
def test_delete(kind, data, tmp_path):
    ids, vectors = data
    index = make(kind, tmp_path)
    index.upsert(ids, vectors)
    assert index.delete([10_003, 10_004, 424242]) == 2
    assert index.count == 398
    found, _ = index.search(vectors[3], 400)
    assert 10_003 not in found and 10_004 not in found and len(found) == 398
    assert index.delete([10_003]) == 0
    with pytest.raises(KeyError):
        index.vectors_of([10_003])
    index.upsert([10_003], vectors[3:4])  # an id can come back
    assert index.search(vectors[3], 1)[0][0] == 10_003 and index.count == 399


@pytest.mark.parametrize("kind", KINDS)
def test_filter_is_applied_inside_the_index(kind, data, tmp_path):
    """The allowed ids are the 40 least similar to the query: a filter applied after the top 10 would return
    nothing; inside the index it returns the true best 10 of them."""
    ids, vectors = data
    index = make(kind, tmp_path)
    index.upsert(ids, vectors)
    query = vectors[0]
    cos = vectors @ query
    allowed = ids[np.argsort(cos)[:40]]
    top10, _ = index.search(query, 10)
    assert not set(top10.tolist()) & set(allowed.tolist()), "an after-top-k filter would lose every answer"
    found, scores = index.search(query, 10, allowed=allowed)
    truth = ids[np.argsort(-cos)][np.isin(ids[np.argsort(-cos)], allowed)][:10]
    assert set(found.tolist()) <= set(allowed.tolist()) and len(found) == 10
    assert len(set(found.tolist()) & set(truth.tolist())) >= 9
    assert np.allclose(scores, cos[found - 10_000], atol=TOL[kind])
    assert len(index.search(query, 10, allowed=np.asarray([424242], dtype=np.int64))[0]) == 0
    index.delete(allowed[:35])
    found, _ = index.search(query, 10, allowed=allowed)
    assert sorted(found.tolist()) == sorted(allowed[35:].tolist()), "deleted ids stay out of filtered results"


@pytest.mark.parametrize("kind", KINDS)
def test_save_and_load(kind, data, tmp_path):
    ids, vectors = data
    index = make(kind, tmp_path)
    index.upsert(ids, vectors)
    index.delete([10_001])
    index.upsert([10_002], vectors[3:4])
    index.info["model"] = "m"
    before = [index.search(vectors[i], 10) for i in (0, 3, 50)]
    folder = tmp_path / "vectors"
    index.save(folder)
    index.save(folder)  # saving again replaces the files, leaving one set
    loaded = type(index).load(folder)
    assert loaded.count == 399 and loaded.info == {"model": "m"}
    for i, (found, scores) in zip((0, 3, 50), before, strict=True):
        again, again_scores = loaded.search(vectors[i], 10)
        assert again.tolist() == found.tolist() and np.allclose(again_scores, scores, atol=1e-6)
    loaded.upsert([10_001], vectors[1:2])
    assert loaded.count == 400 and loaded.search(vectors[1], 1)[0][0] == 10_001
    if kind != "milvus":
        names = {p.name for p in folder.iterdir()}
        assert len([n for n in names if n.endswith(".faiss")]) == 1


def test_hnsw_compacts_when_many_are_dead(data):
    ids, vectors = data
    big = unit(np.random.default_rng(3).normal(size=(5000, DIM)))
    index = HNSWIndex(DIM)
    index.upsert(np.arange(5000), big)
    index.delete(np.arange(1500))
    assert index.count == 3500 and index.dead == 0, "a graph a quarter dead is rebuilt from the live vectors"
    assert index.search(big[2000], 1)[0][0] == 2000


def test_factory_picks_the_kind_by_size(data, tmp_path):
    ids, vectors = data
    settings = IndexSettings(kind="auto", approximate_above=300)
    assert wanted_kind(settings, 300) == "exact" and wanted_kind(settings, 301) == "hnsw"
    assert wanted_kind(IndexSettings(kind="milvus"), 10) == "milvus"
    index = new_index(settings, DIM)
    assert index.kind == "exact"
    index.upsert(ids, vectors)
    moved = fit_kind(index, settings)
    assert moved.kind == "hnsw" and moved.count == 400 and moved.search(vectors[9], 1)[0][0] == 10_009
    assert fit_kind(moved, settings) is moved
    moved.info["model"] = "m"
    moved.save(tmp_path / "v")
    reopened = open_index(settings, DIM, tmp_path / "v", "m")
    assert reopened.kind == "hnsw" and reopened.count == 400
    assert open_index(settings, DIM, tmp_path / "v", "another model").count == 0
    assert open_index(settings, DIM + 1, tmp_path / "v", "m").count == 0
    (tmp_path / "v" / "meta.json").write_text("{not json", encoding="utf-8")
    assert open_index(settings, DIM, tmp_path / "v", "m").count == 0, "a damaged index starts empty"


def test_hnsw_recall_against_exact_on_real_vectors(sample_library, embedder):
    """Sentence vectors of the samples (real MiniLM) as the index; real questions and paragraphs as queries."""
    collection = sample_library.collection()
    base = np.concatenate([s.vectors for s in collection.sentences.values()])
    ids = np.arange(len(base), dtype=np.int64)
    exact, approx = FlatIndex(base.shape[1]), HNSWIndex(base.shape[1])
    exact.upsert(ids, base)
    approx.upsert(ids, base)
    questions = ["How many troops has Russia gathered?", "Who is the British ambassador to Ukraine?",
                 "What did the president say about sanctions?", "When was the meeting held?"]
    queries = [embedder.encode_query(q) for q in questions]
    queries += list(collection.dense.vectors_of(np.sort(collection.live_ids())[:40]))
    overlap = [len(set(exact.search(q, 10)[0]) & set(approx.search(q, 10)[0])) / 10 for q in queries]
    assert len(base) > 300 and np.mean(overlap) >= 0.98
