"""What a question asks for, and whether a sentence holds it beyond the question's own words."""

import pytest

from retrieval.query.answertypes import asks_count, holds, holds_unit, question_kind, question_words, unit_pattern


@pytest.mark.parametrize("question, kind", [
    ("How many people were put under quarantine?", "amount"),
    ("How much did the film make at the box office?", "amount"),
    ("When does the tour start?", "date"),
    ("What year was he born there?", "date"),
    ("Who directed the last film?", "person"),
    ("Where did they teach?", "place"),
    ("In which city were the prisoners released?", "place"),
    ("Why did the talks fall apart?", "reason"),
    ("Which company is putting it on?", "name"),
    ("What did the police use?", "other"),
    ("Who was the warden of the prison when the inmates escaped?", "person"),
    ("Where did the player who scored the goal grow up?", "place"),
    ("How many people were hurt when the bridge fell?", "amount"),
    ("When did the man who founded the company die?", "date"),
    ("What ransom did the kidnappers demand?", "amount"),
    ("What was the retailer's revenue in the third quarter?", "amount"),
    ("What is the price of the new phone?", "amount"),
    ("What will the truck cost?", "amount"),
    ("What is the cost of living crisis doing to rents?", "other"),
])
def test_question_kind(question, kind):
    assert question_kind(question) == kind


def test_a_count_the_question_already_gives_is_not_an_answer():
    known = question_words("How many people were quarantined after the Week 13 game?")
    assert not holds("amount", "The Week 13 game was moved.", known)
    assert holds("amount", "A total of 28 people were put under medical quarantine.", known)
    assert holds("amount", "Nearly two dozen were sent home.", known)


def test_names_places_dates_and_reasons():
    known = question_words("Where did the two professors teach?")
    assert holds("place", "Both taught at the American University in Kabul.", known)
    assert not holds("place", "They were released last week.", known)
    assert holds("date", "They were abducted in August 2016.", question_words("When were they kidnapped?"))
    assert holds("person", "The film was directed by Justin Lin.", question_words("Who directed the film?"))
    assert holds("reason", "The talks collapsed after a deadly attack.", question_words("Why did the talks end?"))


def test_asks_count_only_for_how_many_and_how_much():
    assert asks_count("How many students were trapped inside the university?")
    assert asks_count("How much are tickets for the tour?")
    assert not asks_count("How much of the region is still undeveloped?")  # a share, often said in words
    assert not asks_count("How much longer will the strike last?")
    assert not asks_count("At what rate is the county growing?")
    assert not asks_count("Who won the match?")


def test_a_question_naming_a_sum_of_money_asks_for_money():
    for question in ("What ransom did the kidnappers demand?", "What was Acme's net profit last year?",
                     "What will the truck cost?"):
        unit, sure = unit_pattern(question)
        assert sure, question
        assert holds_unit(unit, "They asked for $2 million.")
        assert not holds_unit(unit, "Troops tried to free the hostages twice.")  # "free" the verb is no price
    assert holds_unit(unit_pattern("What is the price of admission?")[0], "Admission is free.")
    assert unit_pattern("What was the score of the game?") == (None, False)
    assert holds_unit(unit_pattern("How much can the parliament vary income tax?")[0], "by up to 3 pence in the pound")


def test_by_how_much_asks_for_a_margin_not_a_price():
    assert not unit_pattern("By how much did the incumbent hold her seat?")[1]  # 151 votes is an answer
    assert unit_pattern("By how much did the government raise the price of fuel?")[1]


def test_how_much_of_a_thing_asks_for_a_measure():
    unit, sure = unit_pattern("About how much water did the team find in the plume?")
    assert not sure  # a measure is likely, not certain ("how big was the crowd?" wants a count)
    assert holds_unit(unit, "about 2,300 tons (2,095 metric tons), the researchers said")
    assert holds_unit(unit_pattern("How big is the rainforest?")[0], "It covers 5,500,000 square kilometres.")
    assert not holds_unit(unit, "Researchers detected one such plume for the first time.")
