"""Content-free messages (greetings, thanks, help) are told apart from questions with something to search for."""

from __future__ import annotations

import pytest

from retrieval.query.intent import content_words, is_content_free


@pytest.mark.parametrize("text", ["hi!", "Hello citebot", "/help", "thanks so much :)", "?!", "", "good morning guys",
                                  "what can you do?", "hey, are you there?"])
def test_messages_without_a_topic_are_content_free(text):
    assert is_content_free(text)


@pytest.mark.parametrize("text", ["what happened to the harbour wall?", "hi, who won the election?",
                                  "help with flood defences", "Ukraine"])
def test_a_single_topic_word_makes_a_question(text):
    assert not is_content_free(text)


def test_content_words_keep_only_topic_words_lower_cased():
    assert content_words("Hello! What did the Council decide about the HARBOUR wall?") == \
        ["council", "decide", "harbour", "wall"]
