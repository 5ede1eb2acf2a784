"""Sentence splitting with character offsets (pysbd), so highlights and summaries stay verbatim."""

from __future__ import annotations

import re
from functools import lru_cache

import pysbd

_SPACE = re.compile(r"\s")


@lru_cache(maxsize=1)
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False, char_span=True)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of each sentence in ``text``, whitespace trimmed; ``text[start:end]`` is verbatim."""
    spans: list[tuple[int, int]] = []
    if not text.strip():
        return spans
    cursor = 0
    for piece in _segmenter().segment(text):
        sent = piece.sent if hasattr(piece, "sent") else str(piece)
        stripped = sent.strip()
        if not stripped:
            continue
        start = text.find(stripped, cursor)
        if start < 0:  # pysbd altered the text: fall back to its own offset
            start = getattr(piece, "start", cursor)
            stripped = text[start : start + len(stripped)]
        end = start + len(stripped)
        spans.append((start, end))
        cursor = end
    return spans or [(len(text) - len(text.lstrip()), len(text.rstrip()))]


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text``, each an exact substring of it."""
    return [text[s:e] for s, e in sentence_spans(text)]
