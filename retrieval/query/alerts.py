"""Topic alerts: does a newly indexed article match a followed topic? The same relevance the answers use: the
topic is ranked as a question over the article's paragraphs only, and it matches when the best score reaches the
"not found" threshold; the quote (its highlighted sentence) is what the alert shows."""

from __future__ import annotations

import numpy as np

from retrieval.models import Quote
from retrieval.query.answerer import Answerer, clean_question
from retrieval.query.ranking import rank


def topic_matches(answerer: Answerer, topics: list[str], article_ids: list[str]) -> dict[tuple[str, str], Quote]:
    """For each (topic, article) that matches, the article's best-scoring quote for the topic. Topics are embedded
    once each; CPU work: call from a worker thread."""
    limit = answerer.settings.max_question_chars
    queries = {topic: clean_question(topic, limit) for topic in set(topics)}
    vectors = {topic: answerer.embed_query(text) for topic, text in queries.items()}
    found: dict[tuple[str, str], Quote] = {}
    collection = answerer.require_collection()
    for article_id in article_ids:
        with collection.reading() as view:
            rows = view.article_rows(article_id)
            if not len(rows):  # not indexed (any more)
                continue
            allowed = np.zeros(view.rows, dtype=bool)
            allowed[rows] = True
            for topic, text in queries.items():
                hits = rank(view, text, vectors[topic], answerer.settings, 1, allowed)
                best = max(hits, key=lambda h: h.score, default=None)  # the threshold applies to the score
                if best is not None and best.score >= answerer.settings.min_score:
                    found[(topic, article_id)] = answerer.quote(best)
    return found
