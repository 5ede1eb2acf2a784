"""BM25 tokens: lower-cased, stemmed, stop words, question words and one-letter words out; the same tokens bm25s
makes."""

from __future__ import annotations

import bm25s

from retrieval.text.tokens import query_terms, tokenize


def test_tokens_are_stemmed_words_without_stop_or_question_words():
    assert tokenize("Who repaired the Harbour walls in 2024, and how?") == ["repair", "harbour", "wall", "2024"]
    assert tokenize("a I x") == [] and tokenize("") == []


def test_tokens_match_bm25s_on_a_text_without_question_words():
    import Stemmer

    text = "Engineers were repairing the harbour walls; the council's budget rose 12% in 2024."
    ids, vocab = bm25s.tokenize([text], stopwords="en", stemmer=Stemmer.Stemmer("english"), return_ids=True,
                                show_progress=False)
    inverse = {i: w for w, i in vocab.items()}
    assert tokenize(text) == [inverse[i] for i in ids[0]]


def test_query_terms_are_distinct_in_order():
    assert query_terms("walls, wall and WALL repairs") == ["wall", "repair"]
