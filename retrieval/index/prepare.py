"""What indexing a paragraph needs beyond its text, computed before the collection's lock is taken: its vector,
its BM25 tokens and its sentences' vectors (embedding cache first)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from retrieval.index.store import StoredArticle
from retrieval.models import Paragraph
from retrieval.text.tokens import tokenize

Progress = Callable[[str, int, int], None]  # (stage, done, total)


def bm25_text(paragraph: Paragraph) -> str:
    """What BM25 indexes for a paragraph: its sub-heading as context, then its text.

    The article title was measured neutral on squad-dev (docs/benchmarks.md), so it is left out; the article as a
    whole has its own BM25 index instead.
    """
    return f"{paragraph.context}\n{paragraph.text}" if paragraph.context else paragraph.text


@dataclass
class Prepared:
    """What indexing one paragraph needs beyond its text: its vector, BM25 tokens and sentence vectors."""

    vector: np.ndarray
    tokens: list[str]
    sentence_vectors: np.ndarray


def prepare(articles: list[StoredArticle], embedder, progress: Progress | None) -> tuple[dict[int, Prepared], int]:
    """Vectors, tokens and sentence vectors of every paragraph of ``articles`` (embedding cache first). Runs
    without the lock."""
    prepared: dict[int, Prepared] = {}
    todo = [(p, article.sentences[p.id]) for article in articles for p in article.paragraphs]
    if todo:
        def report(stage):
            return (lambda done, total: progress(stage, done, total)) if progress else None
        vectors = embedder.encode([p.text for p, _ in todo], progress=report("paragraphs"))
        sentence_texts = [p.text[s:e] for p, spans in todo for s, e in spans]
        sentence_vectors = embedder.encode(sentence_texts, progress=report("sentences"))
        offset = 0
        for (p, spans), vector in zip(todo, vectors, strict=True):
            prepared[p.id] = Prepared(vector, tokenize(bm25_text(p)), sentence_vectors[offset:offset + len(spans)])
            offset += len(spans)
    return prepared, len(todo)
