"""Console mode: answers, summaries and the article list as terminal text, and the question loop."""

from __future__ import annotations

import io

from bot.console import BOLD, HELP, RESET, chat, render_answer, render_sources, render_summary
from retrieval.errors import QuestionError
from retrieval.index.naming import short_id
from retrieval.models import Answer, ArticleMeta, Quote, Summary, SummarySentence

HARBOUR = ArticleMeta("harbour-2024", "Harbour reopens", source="Coast News", published="2024-03-04",
                      url="https://coast.test/harbour")
BREAD = ArticleMeta("bread", "Banana bread")
TEXT = "Storm repairs took three weeks.\nThe harbour reopened on Monday."


def quote(article: ArticleMeta = HARBOUR, relevant: bool = True) -> Quote:
    return Quote(text=TEXT, highlight="The harbour reopened on Monday.", highlight_start=32, article=article,
                 paragraph=4, score=0.8, relevant=relevant)


def test_a_found_answer_quotes_with_the_sentence_emphasised_and_attributed():
    text = render_answer(Answer("When did the harbour reopen?", True, [quote(), quote(BREAD, relevant=False)]))
    assert text.startswith("[1] “Storm repairs took three weeks.\n    **The harbour reopened on Monday.**”\n")
    assert "    — Harbour reopens · Coast News · 4 Mar 2024 · ¶4 · https://coast.test/harbour#:~:text=" in text
    assert "[2]" not in text and "Banana bread" not in text  # a quote below the threshold is not shown
    coloured = render_answer(Answer("q", True, [quote()]), color=True)
    assert f"{BOLD}The harbour reopened on Monday.{RESET}" in coloured


def test_not_found_names_the_nearest_article_or_the_one_on_the_subject():
    assert render_answer(Answer("Who won?", False, [quote(BREAD, relevant=False)])) == (
        "The indexed articles don't cover this. The nearest article is “Banana bread”.")
    assert render_answer(Answer("Who won?", False)) == "The indexed articles don't cover this."
    assert render_answer(Answer("Who paid?", False, on_subject=HARBOUR)) == (
        "“Harbour reopens” is about this, but I found nothing in it that answers your question.\n"
        "    https://coast.test/harbour")
    assert render_answer(Answer("Hi", False, content_free=True)) == HELP
    followed = render_answer(Answer("And then?", False, follows_up="When did it\x1b[2J reopen?",
                                    message="No article was published in that period."))
    assert followed == "Following up on: “When did it reopen?”\nNo article was published in that period."


def test_a_summary_attributes_each_run_of_sentences_from_one_article():
    sentences = [SummarySentence("Repairs took weeks.", HARBOUR, 1), SummarySentence("It reopened.", HARBOUR, 4),
                 SummarySentence("Bake for an hour.", BREAD, 2)]
    text = render_summary(Summary(article=None, topic="reopening", sentences=sentences))
    assert text.splitlines() == [
        "What the articles say about “reopening”:",
        "• “Repairs took weeks.” (¶1)",
        "• “It reopened.” (¶4)",
        "    — Harbour reopens · Coast News · 4 Mar 2024",
        "• “Bake for an hour.” (¶2)",
        "    — Banana bread",
    ]
    assert render_summary(Summary("Harbour reopens", None, [], message="")) == "Nothing to summarise."


def test_the_article_list_shows_publisher_date_count_short_id_and_link():
    rows = [{"article_id": "harbour-2024", "title": "Harbour reopens", "source": "Coast News",
             "published": "2024-03-04", "paragraphs": 5, "url": "https://coast.test/harbour"},
            {"article_id": "bread", "title": "Banana bread", "source": None, "published": None, "paragraphs": 1,
             "url": None}]
    assert render_sources(rows).splitlines() == [
        "Harbour reopens", f"    Coast News · 4 Mar 2024 · 5 ¶ · id {short_id('harbour-2024')}",
        "    https://coast.test/harbour",
        "Banana bread", f"    unknown publisher · undated · 1 ¶ · id {short_id('bread')}",
    ]
    assert render_sources([]) == "No articles are indexed."


def test_piped_questions_are_echoed_answered_and_errors_are_one_line():
    out = io.StringIO()

    def handle(line: str) -> str:
        if line == "bad":
            raise QuestionError("the question is too long")
        return f"reply to {line}"

    chat(handle, stdin=io.StringIO("first\n\n   \nbad\nsecond\nquit\nnever\n"), stdout=out)
    assert out.getvalue() == ("> first\nreply to first\n\n> bad\nerror: the question is too long\n\n"
                              "> second\nreply to second\n\n")
