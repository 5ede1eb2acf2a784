"""Tokenising for BM25 and word overlaps: the tokens bm25s makes (lower-cased words of two or more characters,
English stop words and question words out, Snowball-stemmed)."""

from __future__ import annotations

import re
from functools import lru_cache

QUESTION_WORDS = ("what", "when", "where", "who", "whom", "whose", "which", "why", "how", "do", "does", "did",
                  "many", "much")
_TOKEN = re.compile(r"(?u)\b\w\w+\b")


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from retrieval.text.stopwords import english as stopwords_en

    return frozenset(stopwords_en()) | frozenset(QUESTION_WORDS)


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens without stop words or question words, Snowball-stemmed."""
    words = [w for w in _TOKEN.findall(text.lower()) if w not in _stopwords()]
    return _stemmer().stemWords(words)


def query_terms(text: str) -> list[str]:
    """The distinct tokens of a query, in order."""
    return list(dict.fromkeys(tokenize(text)))
