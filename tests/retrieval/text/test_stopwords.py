"""The English stop words: bm25s's own list, read without importing bm25s."""

from __future__ import annotations

import sys

from retrieval.text.stopwords import english


def test_the_list_is_bm25s_list_and_reading_it_does_not_import_bm25s():
    english.cache_clear()
    loaded = "bm25s" in sys.modules
    words = english()
    assert ("bm25s" in sys.modules) == loaded  # reading the list imported nothing
    from bm25s.stopwords import STOPWORDS_EN

    assert words == tuple(STOPWORDS_EN) and {"the", "and", "of"} <= set(words) and "harbour" not in words
