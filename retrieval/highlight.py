"""Pick the sentence of a paragraph that best answers a question."""

from __future__ import annotations

import numpy as np

from retrieval.bm25 import tokenize
from retrieval.collection import Collection

OVERLAP_WEIGHT = 0.5


def best_sentence(
    collection: Collection, row: int, query_tokens: set[str], query_vector: np.ndarray
) -> tuple[int, int]:
    """(start, end) inside the paragraph text of its best sentence: cosine plus shared query terms."""
    paragraph = collection.paragraphs[row]
    indices = collection.sentences.of(row)
    if len(indices) == 0:
        return 0, len(paragraph.text)
    best, best_score = indices[0], -np.inf
    for i in indices:
        start, end = collection.sentences.spans[i]
        cosine = float(collection.sentences.vectors[i] @ query_vector)
        terms = set(tokenize(paragraph.text[start:end]))
        overlap = len(terms & query_tokens) / len(query_tokens) if query_tokens else 0.0
        score = cosine + OVERLAP_WEIGHT * overlap
        if score > best_score:
            best, best_score = i, score
    start, end = collection.sentences.spans[best]
    return int(start), int(end)
