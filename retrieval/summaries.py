"""Summaries over the indexed collection: one article, a topic across articles, or the latest article."""

from __future__ import annotations

import difflib

import numpy as np

from retrieval.errors import ArticleNotFoundError, CitebotError
from retrieval.models import ArticleMeta, Summary, newest_first
from retrieval.query.answerer import Answerer, clean_question
from retrieval.query.timefilter import TimeWindow, allowed_rows, empty_period_message
from retrieval.reading import Readable
from retrieval.summarizer import SummaryCandidate, candidates_from_paragraphs, summarize_article, summarize_topic

TOPIC_PARAGRAPHS = 8  # relevant paragraphs the topic summary picks sentences from


def find_article(collection: Readable, ref: str) -> ArticleMeta:
    """The article whose id or title is ``ref`` (or the only title containing it); else the closest titles."""
    wanted = " ".join(ref.split()).casefold()
    if not wanted:
        raise ArticleNotFoundError("name an article by its id or title (see /sources)")
    with collection.reading() as view:
        metas = view.articles()
    for meta in metas:
        if wanted in (meta.article_id.casefold(), meta.title.casefold()):
            return meta
    containing = [m for m in metas if wanted in m.title.casefold()]
    if len(containing) == 1:
        return containing[0]
    titles = {m.title.casefold(): m.title for m in metas}
    close = [titles[t] for t in difflib.get_close_matches(wanted, list(titles), n=3, cutoff=0.3)]
    close = list(dict.fromkeys([m.title for m in containing][:3] + close))[:3]
    hint = f" Closest titles: {'; '.join(close)}." if close else " See /sources for the indexed articles."
    raise ArticleNotFoundError(f"no indexed article matches “{ref.strip()}”.{hint}")


def latest_article(collection: Readable) -> ArticleMeta:
    """The most recently published article (undated ones count as oldest)."""
    with collection.reading() as view:
        metas = view.articles()
    if not metas:
        raise ArticleNotFoundError("no articles are indexed")
    return newest_first(metas)[0]


def article_candidates(collection: Readable, meta: ArticleMeta) -> list[SummaryCandidate]:
    with collection.reading() as view:
        paragraphs = view.paragraphs_of(meta.article_id)
    return candidates_from_paragraphs(meta, [(p.number, p.text) for p in paragraphs])


def summarize(
    answerer: Answerer,
    sentences: int,
    article: str | None = None,
    topic: str | None = None,
    window: TimeWindow | None = None,
) -> Summary:
    """Key sentences, verbatim and attributed: of ``article``, about ``topic``, or of the latest article.

    ``window`` (since/until) keeps the topic's articles to that period; with neither article nor topic it asks for
    a digest of the period (:func:`digest`).
    """
    collection = answerer.require_collection()
    embedder = answerer.embedder
    if window is not None and window.filters and topic is None:
        if article is not None:
            raise CitebotError("since/until apply to a topic or to a digest of the period, not to one named article")
        return digest(answerer, window, sentences)
    if topic is not None:
        text = clean_question(topic, answerer.settings.max_question_chars)
        query_vector = answerer.embed_query(text)
        hits = [h for h in answerer.search(text, query_vector, window=window)
                if h.score >= answerer.settings.min_score]
        if not hits:
            return Summary(article=None, topic=text, sentences=[],
                           message=f"The indexed articles don't cover “{text}”.")
        by_article: dict[str, list] = {}
        with collection.reading() as view:
            for hit in hits[:TOPIC_PARAGRAPHS]:
                p = view.find_paragraph(hit.paragraph_id)
                if p is None:  # removed by a writer since it was ranked
                    continue
                by_article.setdefault(p.article_id, []).append(p)
            metas = {article_id: view.article(article_id) for article_id in by_article}
        candidates: list[SummaryCandidate] = []
        for article_id, paragraphs in by_article.items():
            ordered = sorted(paragraphs, key=lambda p: p.number)
            candidates.extend(candidates_from_paragraphs(metas[article_id], [(p.number, p.text) for p in ordered]))
        picked = summarize_topic(candidates, embedder, query_vector, n=sentences)
        return Summary(article=None, topic=text, sentences=picked)
    meta = find_article(collection, article) if article is not None else latest_article(collection)
    picked = summarize_article(article_candidates(collection, meta), embedder, n=sentences)
    return Summary(article=meta.title, topic=None, sentences=picked)


DIGEST_SAME_STORY = 0.8  # cosine between two articles' mean paragraph vectors above which they tell one story


def digest(answerer: Answerer, window: TimeWindow, stories: int) -> Summary:
    """One key sentence, verbatim and attributed, for each of the period's main stories (up to ``stories``).

    The articles published in ``window`` are ordered by how central they are to the period (mean cosine to the
    other articles of the period, newest first on ties); an article telling the same story as one already picked
    (cosine ``DIGEST_SAME_STORY`` or more) is left out.
    """
    collection = answerer.require_collection()
    with collection.reading() as view:
        allowed = allowed_rows(view, window)
        in_period = [meta for meta in newest_first(view.articles())
                     if any(allowed[row] for row in view.article_rows(meta.article_id)[:1])]
        period = window.describe()
        if not in_period:
            return Summary(article=None, topic=None, sentences=[], message=empty_period_message(window))
        vectors = []
        for meta in in_period:
            mean = np.mean(view.vectors(view.article_rows(meta.article_id)), axis=0)
            vectors.append(mean / (np.linalg.norm(mean) or 1.0))
    matrix = np.asarray(vectors, dtype=np.float32)
    similarity = matrix @ matrix.T
    centrality = (similarity.sum(axis=1) - 1.0) / max(1, len(in_period) - 1)
    order = sorted(range(len(in_period)), key=lambda i: -float(centrality[i]))  # stable: newest first on ties
    picked: list[int] = []
    for i in order:
        if len(picked) == stories:
            break
        if all(similarity[i, j] < DIGEST_SAME_STORY for j in picked):
            picked.append(i)
    lines = []
    for i in sorted(picked, key=lambda i: order.index(i)):
        key = summarize_article(article_candidates(collection, in_period[i]), answerer.embedder, n=1)
        lines.extend(key[:1])
    return Summary(article=None, topic=None, sentences=lines, period=period)
