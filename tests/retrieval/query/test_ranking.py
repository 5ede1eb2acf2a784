"""Ranking over stable paragraph ids: hits name paragraphs by id, removal of other articles changes nothing else."""

import shutil
from dataclasses import replace

import numpy as np

from retrieval.bm25 import SparseScores, query_terms
from retrieval.library import Library
from retrieval.query.ranking import _best_articles, _member, lexical_candidates, rank, top_k


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


def test_top_k_equals_a_stable_sort_with_ties():
    rng = np.random.default_rng(3)
    for n, k in ((1, 1), (10, 3), (200, 50), (200, 250), (1000, 7)):
        values = rng.integers(0, 4, n).astype(np.float32) / 4  # many ties
        assert top_k(values, k).tolist() == np.argsort(-values, kind="stable")[:k].tolist()


def test_best_articles_are_the_exact_prefix_of_the_full_order():
    """The articles whose rows become candidates are taken best first without sorting every matched article; with
    many ties at the cut, the partial order is still the full order's prefix."""
    rng = np.random.default_rng(5)
    for n, m in ((5, 64), (300, 64), (5000, 64), (5000, 1)):
        scores = rng.integers(0, 6, n).astype(np.float32) / 6
        firsts = rng.permutation(n * 3)[:n]
        full = np.lexsort((firsts, -scores))
        got = _best_articles(scores, firsts, m)
        assert len(got) >= min(m, n) and got.tolist() == full[: len(got)].tolist()
    ascending = np.asarray([2, 5, 9, 40], dtype=np.int64)
    assert _member(np.asarray([1, 2, 9, 41, 40]), ascending).tolist() == [False, True, True, False, True]
    assert not _member(np.asarray([3]), np.zeros(0, dtype=np.int64)).any()


def reference_candidates(collection, terms, k, weight, mask, prior=None) -> list[int]:
    """What ranking did before candidates: every row scored, one stable sort."""
    lexical = collection.bm25.coverage(terms)
    boost = weight * collection.article_bm25.coverage(terms)[collection.article_of_row]
    boost[~collection.bm25.alive] = 0.0
    if prior is not None:
        boost = boost + prior
    pool = np.flatnonzero(mask)
    return pool[np.argsort(-(lexical + boost)[pool], kind="stable")[:k]].tolist()


def test_lexical_candidates_from_postings_equal_a_full_sort(sample_library):
    """Candidates come from the postings of the question's terms (and the rows of matching articles) only; the
    cut equals a stable sort over every row, with an ``allowed`` mask, a prior, and too few matches (zero fill)."""
    collection = sample_library.collection()
    rng = np.random.default_rng(0)
    with collection.lock:
        slots = collection.bm25.slots
        alive = collection.bm25.alive
        for question in ("Who is the British ambassador to Ukraine?", "rocks minerals rainforest",
                         "What is construction?", "zebra unicorn"):
            terms = query_terms(question)
            lexical = SparseScores(*collection.bm25.scores(terms), slots)
            articles = SparseScores(*collection.article_bm25.scores(terms), collection.article_bm25.slots)
            for k in (1, 3, 8, slots + 5):
                for weight in (0.0, 0.3):
                    for mask in (alive, alive & (rng.random(slots) < 0.5)):
                        for prior in (None, rng.random(slots).astype(np.float32) * 0.1):
                            got = lexical_candidates(collection, lexical, articles, k, weight, mask, prior)
                            assert got.tolist() == reference_candidates(collection, terms, k, weight, mask, prior)


def test_allowed_rows_are_kept_before_candidates_are_cut(sample_library):
    collection = sample_library.collection()
    question = "Who is the British ambassador to Ukraine?"
    vector = sample_library.embedder.encode_query(question)
    with collection.lock:
        allowed = np.zeros(collection.bm25.slots, dtype=bool)
        allowed[list(collection.rows_by_article["geology"])] = True
        hits = rank(collection, question, vector, replace(sample_library.retrieval, candidates=2), allowed=allowed)
        assert hits and all(collection.by_id[h.paragraph_id].article_id == "geology" for h in hits)
