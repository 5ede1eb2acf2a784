"""A declined question is still "on the subject" of its best article only when that article holds the question's
names and most of its words, and the first quote missed the threshold narrowly. Real collection."""

from __future__ import annotations

import pytest

from retrieval.library import Library
from retrieval.models import Quote
from retrieval.query.subject import SUBJECT_MARGIN, on_subject, question_names, word_coverage
from retrieval.text.tokens import tokenize

STORY = ("Davis Cup final\n\n"
         "Spain won the Davis Cup final in Madrid on Sunday after a long doubles match.\n\n"
         "The final drew a record crowd to the tennis arena, and the team celebrated with fans.\n")


@pytest.fixture(scope="module")
def library(tmp_path_factory, embedder) -> Library:
    folder = tmp_path_factory.mktemp("articles")
    (folder / "davis.txt").write_text(STORY, encoding="utf-8")
    library = Library(tmp_path_factory.mktemp("data"), embedder)
    library.index([folder])
    return library


def quote(library: Library, score: float) -> Quote:
    article = library.collection().articles["davis"]
    return Quote("Spain won the Davis Cup final", "Spain won", 0, article, 1, score, relevant=False)


def test_question_names_skip_the_first_word_and_calendar_words():
    assert question_names("Which team won the MLS Cup final on Sunday in March?") == set(tokenize("MLS Cup"))
    assert question_names("who won?") == set()


def test_word_coverage_is_a_share_of_the_terms():
    assert word_coverage(["a", "b", "c", "d"], {"a", "b", "c"}) == 0.75 and word_coverage([], {"a"}) == 0.0


def test_an_article_holding_the_names_and_words_is_on_subject(library):
    with library.collection().reading() as view:
        found = on_subject(view, "Who won the Davis Cup final in Madrid?", [quote(library, 0.5)], 0.55)
    assert found is not None and found.article_id == "davis"


def test_another_name_or_a_wide_miss_is_not_on_subject(library):
    with library.collection().reading() as view:
        assert on_subject(view, "Who won the MLS Cup final?", [quote(library, 0.5)], 0.55) is None
        wide = 0.55 - SUBJECT_MARGIN - 0.01
        assert on_subject(view, "Who won the Davis Cup final in Madrid?", [quote(library, wide)], 0.55) is None
        assert on_subject(view, "Who won the Davis Cup final in Madrid?", [], 0.55) is None
