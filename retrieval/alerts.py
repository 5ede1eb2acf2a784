"""Topic alerts: does a newly indexed article match a followed topic? The same relevance the answers use: the
topic is ranked as a question over the article's paragraphs only, and it matches when the best score reaches the
"not found" threshold; the quote (its highlighted sentence) is what the alert shows."""

from __future__ import annotations

import numpy as np

from retrieval.answerer import Answerer, clean_question
from retrieval.models import Quote
from retrieval.ranking import rank


def article_rows(answerer: Answerer, article_id: str) -> np.ndarray:
    """A boolean mask over the collection's rows: the paragraphs of ``article_id``. Call under the lock."""
    collection = answerer.require_collection()
    mask = np.zeros(len(collection.bm25.alive), dtype=bool)
    rows = collection.rows_by_article.get(article_id, [])
    if len(rows):
        mask[np.asarray(rows, dtype=np.int64)] = True
    return mask


def topic_matches(answerer: Answerer, topics: list[str], article_ids: list[str]) -> dict[tuple[str, str], Quote]:
    """For each (topic, article) that matches, the best quote of the article for the topic. Topics are embedded
    once each; CPU work: call from a worker thread."""
    collection = answerer.require_collection()
    found: dict[tuple[str, str], Quote] = {}
    vectors = {t: answerer.embed_query(clean_question(t, answerer.settings.max_question_chars)) for t in set(topics)}
    for article_id in article_ids:
        with collection.lock:
            if article_id not in collection.articles:
                continue  # removed since
            allowed = article_rows(answerer, article_id)
            if not allowed.any():
                continue
            for topic, vector in vectors.items():
                text = clean_question(topic, answerer.settings.max_question_chars)
                hits = rank(collection, text, vector, answerer.settings, 1, allowed)
                best = max(hits, key=lambda h: h.score, default=None)  # the threshold applies to the score
                if best is not None and best.score >= answerer.settings.min_score:
                    found[(topic, article_id)] = answerer.quote(best)
    return found
