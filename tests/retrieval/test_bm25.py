"""Incremental BM25: the scores bm25s gives for the same documents, and adds/removes equal a fresh build."""

import bm25s
import numpy as np

from retrieval.bm25 import K1, B, BM25Index
from retrieval.text.tokens import query_terms, tokenize

DOCS = [
    "The harbour reopened on Monday after storm repairs to the breakwater.",
    "Engineers replaced the northern breakwater, split by January gales.",
    "The ferry carried 212 passengers from the islands to the harbour.",
    "Geologists study the rocks of the Earth and the processes that shape them.",
    "",  # no tokens at all
    "Storm warnings were issued for the islands and the harbour again on Friday.",
]


def bm25s_coverage(docs: list[str], terms: list[str]) -> np.ndarray:
    model = bm25s.BM25(k1=K1, b=B)
    model.index([tokenize(t) or ["__empty__"] for t in docs], show_progress=False)
    known = [t for t in terms if t in model.vocab_dict]
    n = len(docs)
    df = {t: sum(t in set(tokenize(d)) for d in docs) for t in terms}
    total = sum(np.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5)) for t in terms)
    return np.asarray(model.get_scores([model.vocab_dict[t] for t in known]), dtype=np.float64) / total


def test_scores_match_bm25s():
    index = BM25Index()
    index.add_many([tokenize(d) for d in DOCS])
    for question in ("When did the harbour reopen after the storm?", "Who studies rocks?", "islands ferry zebra"):
        terms = query_terms(question)
        assert np.allclose(index.coverage(terms), bm25s_coverage(DOCS, terms), atol=1e-6)


def test_adding_and_removing_equals_a_fresh_build():
    index = BM25Index()
    slots = index.add_many([tokenize(d) for d in DOCS])
    extra = index.add(tokenize("A new story about the harbour and its ferry."))
    index.remove(slots[1])
    index.remove(extra)
    live = [d for i, d in enumerate(DOCS) if i != 1]
    fresh = BM25Index()
    fresh.add_many([tokenize(d) for d in live])
    terms = query_terms("harbour breakwater ferry storm")
    got = index.coverage(terms)
    assert got[slots[1]] == 0 and got[extra] == 0 and index.size == len(live)
    assert np.allclose(np.delete(got, [slots[1], extra]), fresh.coverage(terms), atol=1e-6)
    assert index.idf("harbour") == fresh.idf("harbour")


def test_unknown_terms_lower_coverage_and_nothing_matches_is_zero():
    index = BM25Index()
    index.add_many([tokenize(d) for d in DOCS])
    assert not index.coverage(query_terms("zebra unicorn")).any()
    with_unknown = index.coverage(query_terms("harbour zebra"))
    alone = index.coverage(query_terms("harbour"))
    assert (with_unknown <= alone + 1e-9).all() and with_unknown.max() > 0
    weights = index.term_weights(["harbour", "zebra"])
    assert abs(sum(weights.values()) - 1) < 1e-9 and weights["zebra"] > weights["harbour"]
