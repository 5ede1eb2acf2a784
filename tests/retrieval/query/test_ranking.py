"""Ranking over stable paragraph ids: hits name paragraphs by id, removal of other articles changes nothing else."""

from dataclasses import replace

import numpy as np

from retrieval.library import Library
from retrieval.query.ranking import lexical_candidates, rank, top_k
from retrieval.text.tokens import query_terms
from tests.conftest import copy_data_dir


def test_hits_carry_stable_ids_that_outlive_other_removals(tmp_path, embedder, sample_data_dir):
    data = tmp_path / "data"
    copy_data_dir(sample_data_dir, data)
    library = Library(data, embedder)
    question = "Who is the British ambassador to Ukraine?"
    vector = embedder.encode_query(question)
    collection = library.collection()
    with collection.reading() as view:
        before = rank(view, question, vector, library.retrieval)
        ambassador = before[0].paragraph_id
        assert "Melinda Simmons" in view.paragraph(ambassador).text
    library.remove("geology")
    collection = library.collection()
    with collection.reading() as view:
        after = rank(view, question, vector, library.retrieval)
        assert after[0].paragraph_id == ambassador
        assert all(view.paragraph(h.paragraph_id).article_id != "geology" for h in after)


def test_top_k_equals_a_stable_sort_with_ties():
    rng = np.random.default_rng(3)
    for n, k in ((1, 1), (10, 3), (200, 50), (200, 250), (1000, 7)):
        values = rng.integers(0, 4, n).astype(np.float32) / 4  # many ties
        assert top_k(values, k).tolist() == np.argsort(-values, kind="stable")[:k].tolist()


def reference_candidates(view, terms, k, weight, mask, prior=None) -> list[int]:
    """What ranking did before candidates: every row scored, one stable sort."""
    lexical = view.paragraph_coverage(terms)
    boost = weight * view.article_coverage(terms)[view.article_of_row]
    boost[~view.alive] = 0.0
    if prior is not None:
        boost = boost + prior
    pool = np.flatnonzero(mask)
    return pool[np.argsort(-(lexical + boost)[pool], kind="stable")[:k]].tolist()


def test_lexical_candidates_from_postings_equal_a_full_sort(sample_library):
    """Candidates come from the postings of the question's terms (and the rows of matching articles) only; the
    cut equals a stable sort over every row, with an ``allowed`` mask, a prior, and too few matches (zero fill)."""
    collection = sample_library.collection()
    rng = np.random.default_rng(0)
    with collection.reading() as view:
        slots = view.rows
        alive = view.alive
        for question in ("Who is the British ambassador to Ukraine?", "rocks minerals rainforest",
                         "What is construction?", "zebra unicorn"):
            terms = query_terms(question)
            lexical = view.paragraph_scores(terms)
            articles = view.article_scores(terms)
            for k in (1, 3, 8, slots + 5):
                for weight in (0.0, 0.3):
                    for mask in (alive, alive & (rng.random(slots) < 0.5)):
                        for prior in (None, rng.random(slots).astype(np.float32) * 0.1):
                            got = lexical_candidates(view, lexical, articles, k, weight, mask, prior)
                            assert got.tolist() == reference_candidates(view, terms, k, weight, mask, prior)


def test_allowed_rows_are_kept_before_candidates_are_cut(sample_library):
    collection = sample_library.collection()
    question = "Who is the British ambassador to Ukraine?"
    vector = sample_library.embedder.encode_query(question)
    with collection.reading() as view:
        allowed = np.zeros(view.rows, dtype=bool)
        allowed[view.article_rows("geology")] = True
        hits = rank(view, question, vector, replace(sample_library.retrieval, candidates=2), allowed=allowed)
        assert hits and all(view.paragraph(h.paragraph_id).article_id == "geology" for h in hits)
