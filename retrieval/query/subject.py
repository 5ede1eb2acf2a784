"""Whether a declined question's best article is about its subject all the same, for the honest reply
"‘Title’ is about this, but I found nothing in it that answers your question" instead of "not covered".

A placeholder rule, kept in one function so the reader's decision can replace it: the first quote's score misses
the threshold by at most ``SUBJECT_MARGIN``; its article (title or text) holds every name the question gives (its
capitalised words after the first, days and months aside: "MLS" in "Which team won the MLS Cup final?" is the
subject, and an article on the Davis Cup final is not about it), and at least ``SUBJECT_COVERAGE`` of the
question's content words (stemmed, stop words left out).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from retrieval.models import ArticleMeta, Quote
from retrieval.reading import Reading
from retrieval.text.tokens import query_terms, tokenize

SUBJECT_MARGIN = 0.1  # how far under the "not found" threshold the first quote may score
SUBJECT_COVERAGE = 0.6  # share of the question's content words the article holds
_CAPITALISED = re.compile(r"(?<!^)(?<![.?!]\s)\b[A-Z][\w'’.-]*")
_CALENDAR = {tokenize(w)[0] for w in (
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June July "
    "August September October November December"
).split() if tokenize(w)}


def question_names(question: str) -> set[str]:
    """The question's names as index terms: its capitalised words after the first, days and months aside."""
    return set(tokenize(" ".join(_CAPITALISED.findall(question.strip())))) - _CALENDAR


def word_coverage(terms: Sequence[str], words: set[str]) -> float:
    """The share of ``terms`` found among ``words``."""
    return sum(t in words for t in terms) / len(terms) if terms else 0.0


def on_subject(view: Reading, question: str, quotes: Sequence[Quote], min_score: float) -> ArticleMeta | None:
    """The first quote's article when a question that is not answered is nonetheless on its subject, else None
    (reads the article's paragraphs through ``view``)."""
    if not quotes or quotes[0].score < min_score - SUBJECT_MARGIN:
        return None
    article = quotes[0].article
    words = {w for text in [article.title, *(p.text for p in view.paragraphs_of(article.article_id))]
             for w in tokenize(text)}
    if not question_names(question) <= words:
        return None
    return article if word_coverage(query_terms(question), words) >= SUBJECT_COVERAGE else None
