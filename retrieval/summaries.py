"""Summaries over the indexed collection: one article, a topic across articles, or the latest article."""

from __future__ import annotations

import difflib

from retrieval.answerer import Answerer, clean_question
from retrieval.collection import Collection
from retrieval.errors import CitebotError
from retrieval.models import ArticleMeta, Summary, newest_first
from retrieval.summarizer import SummaryCandidate, candidates_from_paragraphs, summarize_article, summarize_topic

TOPIC_PARAGRAPHS = 8  # relevant paragraphs the topic summary picks sentences from


class ArticleNotFoundError(CitebotError):
    """No indexed article matches the given id or title."""


def find_article(collection: Collection, ref: str) -> ArticleMeta:
    """The article whose id or title is ``ref`` (or the only title containing it); else the closest titles."""
    wanted = " ".join(ref.split()).casefold()
    if not wanted:
        raise ArticleNotFoundError("name an article by its id or title (see /sources)")
    with collection.lock:
        metas = list(collection.articles.values())
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


def latest_article(collection: Collection) -> ArticleMeta:
    """The most recently published article (undated ones count as oldest)."""
    with collection.lock:
        metas = list(collection.articles.values())
    if not metas:
        raise ArticleNotFoundError("no articles are indexed")
    return newest_first(metas)[0]


def article_candidates(collection: Collection, meta: ArticleMeta) -> list[SummaryCandidate]:
    with collection.lock:
        paragraphs = collection.paragraphs_of(meta.article_id)
    return candidates_from_paragraphs(meta, [(p.number, p.text) for p in paragraphs])


def summarize(
    answerer: Answerer,
    sentences: int,
    article: str | None = None,
    topic: str | None = None,
) -> Summary:
    """Key sentences, verbatim and attributed: of ``article``, about ``topic``, or of the latest article."""
    collection = answerer.require_collection()
    embedder = answerer.embedder
    if topic is not None:
        text = clean_question(topic, answerer.settings.max_question_chars)
        query_vector = answerer.embed_query(text)
        hits = [h for h in answerer.search(text, query_vector) if h.score >= answerer.settings.min_score]
        if not hits:
            return Summary(article=None, topic=text, sentences=[],
                           message=f"The indexed articles don't cover “{text}”.")
        by_article: dict[str, list] = {}
        with collection.lock:
            for hit in hits[:TOPIC_PARAGRAPHS]:
                p = collection.paragraphs.get(hit.paragraph_id)
                if p is None:  # removed by a writer since it was ranked
                    continue
                by_article.setdefault(p.article_id, []).append(p)
            metas = {article_id: collection.articles[article_id] for article_id in by_article}
        candidates: list[SummaryCandidate] = []
        for article_id, paragraphs in by_article.items():
            ordered = sorted(paragraphs, key=lambda p: p.number)
            candidates.extend(candidates_from_paragraphs(metas[article_id], [(p.number, p.text) for p in ordered]))
        picked = summarize_topic(candidates, embedder, query_vector, n=sentences)
        return Summary(article=None, topic=text, sentences=picked)
    meta = find_article(collection, article) if article is not None else latest_article(collection)
    picked = summarize_article(article_candidates(collection, meta), embedder, n=sentences)
    return Summary(article=meta.title, topic=None, sentences=picked)
