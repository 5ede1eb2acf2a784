"""Page furniture never becomes a key sentence: bylines, stamps, credits and prompts are recognised, a leading
byline is cut off (the rest still verbatim), and real sentences, even ones starting with "By", are kept."""

from __future__ import annotations

import pytest

from retrieval.text.furniture import is_byline, is_furniture, is_statement, key_sentence_text


@pytest.mark.parametrize("line", ["By JOHN", "PUBLISHED: . 12:00 EST, 1 May 2014 .",
                                  "Photo: Getty Images", "Scroll down for video", "Email Jane Doe at jd@example.com.",
                                  "Reuters/AFP contributed to this report.", "© 2024 Coast News"])
def test_furniture_is_recognised(line):
    assert is_furniture(line) and key_sentence_text(line) == ""


def test_a_byline_alone_is_never_a_key_sentence():
    assert key_sentence_text("By . John Smith .") == "" and key_sentence_text("Daily Mail Reporter .") == ""


def test_a_leading_byline_is_cut_off_and_the_rest_kept_verbatim():
    sentence = "By John Smith for MailOnline The council approved the harbour repairs on Monday."
    kept = key_sentence_text(sentence)
    assert kept == "The council approved the harbour repairs on Monday." and kept in sentence


def test_real_sentences_are_kept():
    sentence = "By Monday the river had burst its banks across the valley."
    assert not is_furniture(sentence) and key_sentence_text(sentence) == sentence


def test_names_and_dates_alone_are_not_a_statement():
    assert not is_statement("Daily Mail Reporter .") and not is_statement("10:34 EST, 3 January 2014 .")
    assert is_statement("Engineers worked through the night.")


BYLINES = ["By John Smith", "By John Smith and Jane Doe", "By John Smith, Reuters", "By JOHN SMITH | Staff writer",
           "By Jane Doe and John Smith for the Associated Press", "By Sarah O'Neil in Kyiv"]
BY_SENTENCES = ["By Tuesday the river had risen two metres.", "By contrast, ticket prices fell.",
                "By then the Harbour Trust had spent £4m."]


@pytest.mark.parametrize("line", BYLINES)
def test_a_byline_line_is_furniture(line):
    assert is_byline(line) and is_furniture(line) and key_sentence_text(line) == ""


@pytest.mark.parametrize("sentence", BY_SENTENCES)
def test_a_sentence_starting_with_by_is_no_byline(sentence):
    assert not is_byline(sentence) and not is_furniture(sentence) and key_sentence_text(sentence) == sentence
