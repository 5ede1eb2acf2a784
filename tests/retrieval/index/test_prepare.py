"""Preparing paragraphs before the lock: one vector per paragraph, one per sentence (the same as embedding that
sentence alone), and BM25 tokens that include the paragraph's sub-heading. Real model."""

from __future__ import annotations

import numpy as np

from retrieval.index.prepare import bm25_text, prepare
from retrieval.index.store import StoredArticle
from retrieval.models import ArticleMeta, Paragraph
from retrieval.text.tokens import tokenize

TEXT = "Engineers repaired the harbour wall. The council paid for it."


def paragraph(pid: int, text: str, context: str = "") -> Paragraph:
    return Paragraph(pid=f"a:{pid}", article_id="a", number=pid, text=text, start=0, end=len(text), context=context,
                     id=pid)


def test_bm25_text_puts_the_subheading_before_the_text():
    assert bm25_text(paragraph(1, TEXT)) == TEXT
    assert bm25_text(paragraph(1, TEXT, context="Repairs")) == "Repairs\n" + TEXT


def test_prepare_embeds_paragraphs_and_each_sentence(embedder):
    p1, p2 = paragraph(1, TEXT, context="Lighthouse"), paragraph(2, "A second, one-sentence paragraph.")
    article = StoredArticle(ArticleMeta("a", "Harbour"), TEXT, "hash", [p1, p2],
                            {1: [(0, 36), (37, len(TEXT))], 2: [(0, len(p2.text))]})
    stages = []
    prepared, count = prepare([article], embedder, lambda stage, done, total: stages.append(stage))
    assert count == 2 and set(prepared) == {1, 2}
    assert {"paragraphs", "sentences"} <= set(stages)
    first = prepared[1]
    assert tokenize("Lighthouse harbour") == ["lighthous", "harbour"]  # stemmed
    assert {"lighthous", "harbour"} <= set(first.tokens) and "lighthous" not in prepared[2].tokens
    assert first.sentence_vectors.shape == (2, first.vector.shape[0])
    alone = embedder.encode(["The council paid for it."])[0]
    assert np.allclose(first.sentence_vectors[1], alone, atol=1e-5)
    assert np.allclose(first.vector, embedder.encode([TEXT])[0], atol=1e-5)


def test_prepare_of_nothing_is_empty(embedder):
    assert prepare([], embedder, None) == ({}, 0)
