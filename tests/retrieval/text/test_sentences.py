"""Sentence offsets: every sentence an exact substring, abbreviations and decimals not taken for ends."""

from __future__ import annotations

from retrieval.text.sentences import sentence_spans, split_sentences


def test_sentences_are_verbatim_slices_with_trimmed_whitespace():
    text = "  Dr. Smith paid $2.5 million on Jan. 3.  The U.S. team won!\nWhy?  "
    spans = sentence_spans(text)
    assert [text[s:e] for s, e in spans] == ["Dr. Smith paid $2.5 million on Jan. 3.", "The U.S. team won!", "Why?"]
    assert split_sentences(text) == [text[s:e] for s, e in spans]


def test_empty_text_has_no_sentences_and_a_fragment_is_one():
    assert sentence_spans("   \n ") == []
    assert split_sentences("no full stop here") == ["no full stop here"]
