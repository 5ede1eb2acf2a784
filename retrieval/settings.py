"""Settings the retrieval package takes (filled from the [retrieval], [splitter] and [summary] config tables)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class SplitterSettings:
    """How article text is cut into quotable paragraphs."""

    max_paragraph_chars: int = 1200
    subheading_max_words: int = 14
    caption_patterns: list[str] = field(default_factory=list)  # extra regexes: a matching line is dropped
    boilerplate_patterns: list[str] = field(default_factory=list)  # extra regexes: a matching paragraph is dropped


@dataclass
class RetrievalSettings:
    """Ranking, abstention and limits for questions."""

    top_k: int = 3
    # lexical share of paragraph and sentence scores (the rest is cosine); None: per question, fitted per model
    bm25_weight: float | None = None
    sentence_weight: float | None = None  # share of the best sentence in a paragraph's score; None: the model's fit
    article_weight: float = 0.3  # order boost from the whole article's BM25 coverage (not in the score)
    min_score: float | None = None  # None: the threshold calibrated for the model (retrieval/query/fusion.py)
    max_question_chars: int = 500
    candidates: int = 50  # taken from each of BM25 and FAISS before re-ranking
    rerank_depth: int = 20  # candidates scored sentence by sentence
    recency_weight: float = 0.15  # order boost for newer articles on questions with time words (latest, today, ...)


@dataclass
class SummarySettings:
    """Defaults for extractive summaries."""

    sentences: int = 3

