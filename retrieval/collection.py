"""One index generation on disk: the store, the FAISS index of paragraphs and sentences, and BM25."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from retrieval.bm25 import BM25Index, tokenize
from retrieval.dense import DenseIndex
from retrieval.errors import IndexMissingError
from retrieval.models import ArticleMeta, Paragraph
from retrieval.sentences import sentence_spans
from retrieval.store import read_store, write_store

STORE_FILE = "store.sqlite"
DENSE_FILE = "paragraphs.faiss"
SENTENCE_FILE = "sentences.npz"
BM25_DIR = "bm25"
ARTICLE_BM25_DIR = "bm25-articles"
FORMAT_VERSION = "2"

Progress = Callable[[str, int, int], None]  # (stage, done, total)


def bm25_text(paragraph: Paragraph) -> str:
    """What BM25 indexes for a paragraph: its sub-heading as context, then its text.

    The article title was measured neutral on squad-dev (docs/benchmarks.md), so it is left out; the article as a
    whole has its own BM25 index instead.
    """
    return f"{paragraph.context}\n{paragraph.text}" if paragraph.context else paragraph.text


def article_positions(paragraphs: list[Paragraph]) -> np.ndarray:
    """Each paragraph's article, as that article's position in order of first appearance."""
    order: dict[str, int] = {}
    return np.asarray([order.setdefault(p.article_id, len(order)) for p in paragraphs], dtype=np.int64)


def article_bm25_texts(paragraphs: list[Paragraph]) -> list[str]:
    """What the article-level BM25 indexes: each article's indexed paragraphs joined, in article_positions order."""
    texts: list[list[str]] = []
    for p, position in zip(paragraphs, article_positions(paragraphs), strict=True):
        if position == len(texts):
            texts.append([])
        texts[position].append(bm25_text(p))
    return ["\n".join(t) for t in texts]


@dataclass
class Sentences:
    """Every indexed sentence: its paragraph row, offsets inside the paragraph text, and unit vector."""

    rows: np.ndarray  # (n,) int paragraph row
    spans: np.ndarray  # (n, 2) int start/end within the paragraph text
    vectors: np.ndarray  # (n, dim) float32
    first: np.ndarray  # (paragraphs + 1,) index of each paragraph's first sentence

    def of(self, row: int) -> range:
        return range(int(self.first[row]), int(self.first[row + 1]))


class Collection:
    """A loaded, read-only index generation; cheap to query from several threads."""

    def __init__(
        self,
        folder: Path,
        articles: dict[str, ArticleMeta],
        texts: dict[str, str],
        paragraphs: list[Paragraph],
        dense: DenseIndex,
        bm25: BM25Index,
        article_bm25: BM25Index,
        sentences: Sentences,
        info: dict[str, str],
    ) -> None:
        self.folder = folder
        self.articles = articles
        self.texts = texts
        self.paragraphs = paragraphs
        self.dense = dense
        self.bm25 = bm25
        self.article_bm25 = article_bm25
        self.article_of_row = article_positions(paragraphs)
        self.sentences = sentences
        self.info = info
        self._sentence_terms: dict[int, frozenset[str]] = {}
        self.rows_by_article: dict[str, list[int]] = {}
        for row, p in enumerate(paragraphs):
            self.rows_by_article.setdefault(p.article_id, []).append(row)

    def sentence_text(self, index: int) -> str:
        start, end = self.sentences.spans[index]
        return self.paragraphs[int(self.sentences.rows[index])].text[start:end]

    def sentence_terms(self, index: int) -> frozenset[str]:
        """The BM25 tokens of one sentence (computed once)."""
        terms = self._sentence_terms.get(index)
        if terms is None:
            terms = self._sentence_terms[index] = frozenset(tokenize(self.sentence_text(index)))
        return terms

    @property
    def model(self) -> str:
        return self.info.get("model", "")

    @property
    def built_at(self) -> float:
        return float(self.info.get("built_at", "0"))

    @classmethod
    def open(cls, folder: Path) -> Collection:
        """Load a generation; a missing or damaged part raises ``IndexMissingError`` naming it."""
        folder = Path(folder)
        articles, texts, paragraphs, info = read_store(folder / STORE_FILE)
        try:
            dense = DenseIndex.load(folder / DENSE_FILE)
            bm25 = BM25Index.load(folder / BM25_DIR)
            article_bm25 = BM25Index.load(folder / ARTICLE_BM25_DIR)
            with np.load(folder / SENTENCE_FILE) as data:
                sentences = Sentences(data["rows"], data["spans"], data["vectors"], data["first"])
        except Exception as exc:
            raise IndexMissingError(
                f"the index in {folder} is damaged ({type(exc).__name__}: {exc}): run `citebot index` again"
            ) from exc
        if info.get("format") != FORMAT_VERSION:
            raise IndexMissingError(f"the index in {folder} was built by another version: run `citebot index` again")
        if dense.size != len(paragraphs) or bm25.size != len(paragraphs):
            raise IndexMissingError(f"the index in {folder} is inconsistent: run `citebot index` again")
        return cls(folder, articles, texts, paragraphs, dense, bm25, article_bm25, sentences, info)

    @classmethod
    def build(
        cls,
        folder: Path,
        articles: list[tuple[ArticleMeta, str]],
        paragraphs: list[Paragraph],
        embedder,
        progress: Progress | None = None,
        extra_info: dict[str, str] | None = None,
    ) -> Collection:
        """Embed (cache first), index and write a new generation into the empty ``folder``."""
        folder.mkdir(parents=True, exist_ok=False)
        metas = {meta.article_id: meta for meta, _ in articles}
        report = (lambda stage: (lambda done, total: progress(stage, done, total))) if progress else (lambda s: None)

        vectors = embedder.encode([p.text for p in paragraphs], progress=report("paragraphs"))
        sent_rows, sent_spans, sent_texts, first = [], [], [], [0]
        for row, p in enumerate(paragraphs):
            for start, end in sentence_spans(p.text):
                sent_rows.append(row)
                sent_spans.append((start, end))
                sent_texts.append(p.text[start:end])
            first.append(len(sent_rows))
        sent_vectors = embedder.encode(sent_texts, progress=report("sentences"))
        bm25 = BM25Index.build([bm25_text(p) for p in paragraphs])
        article_bm25 = BM25Index.build(article_bm25_texts(paragraphs))
        dense = DenseIndex.build(vectors)

        info = {
            "format": FORMAT_VERSION,
            "model": embedder.name,
            "built_at": f"{time.time():.3f}",
            "articles": str(len(articles)),
            "paragraphs": str(len(paragraphs)),
            **(extra_info or {}),
        }
        write_store(folder / STORE_FILE, articles, paragraphs, info)
        dense.save(folder / DENSE_FILE)
        bm25.save(folder / BM25_DIR)
        article_bm25.save(folder / ARTICLE_BM25_DIR)
        sentences = Sentences(
            np.asarray(sent_rows, dtype=np.int64),
            np.asarray(sent_spans, dtype=np.int64).reshape(-1, 2),
            np.asarray(sent_vectors, dtype=np.float32).reshape(len(sent_texts), -1),
            np.asarray(first, dtype=np.int64),
        )
        np.savez(folder / SENTENCE_FILE, rows=sentences.rows, spans=sentences.spans,
                 vectors=sentences.vectors, first=sentences.first)
        (folder / "manifest.json").write_text(json.dumps(info, indent=1), encoding="utf-8")
        texts = {meta.article_id: text for meta, text in articles}
        return cls(folder, metas, texts, paragraphs, dense, bm25, article_bm25, sentences, info)
