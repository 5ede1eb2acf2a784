"""``citebot eval answers``: the scoring rule (a quote from the question's page holding one of its answers), the
figures over scored questions, and the pages the questions name."""

from __future__ import annotations

import pytest

from retrieval.errors import CitebotError
from retrieval.evaluation.answers import holds_answer, page_ids, page_paths, score_answer, summarise
from retrieval.models import Answer, ArticleMeta, Quote

PAGE = ArticleMeta("page-1", "Harbour reopens")
OTHER = ArticleMeta("page-2", "Storm season")


def quote(article: ArticleMeta, text: str) -> Quote:
    return Quote(text=text, highlight=text, highlight_start=0, article=article, paragraph=1, score=0.7)


def test_an_answer_matches_ignoring_case_and_runs_of_whitespace():
    assert holds_answer("The harbour reopened on\n  Monday, 4 March.", ["monday, 4   MARCH"])
    assert not holds_answer("The harbour reopened on Monday.", ["Tuesday", ""])
    assert not holds_answer("Anything at all.", ["  "])  # an empty answer matches nothing


def test_a_question_is_right_when_a_quote_from_its_page_holds_an_answer():
    q = {"kind": "single", "page_id": "p1", "answers": ["Monday"]}
    pages = {"p1": "page-1"}
    second = Answer("When?", True, [quote(PAGE, "Boats returned."), quote(PAGE, "It reopened on Monday.")])
    assert score_answer(q, second, pages) == {"found": True, "right@1": False, "right@3": True}
    elsewhere = Answer("When?", True, [quote(OTHER, "Storms end on Monday.")])  # the answer, but another page
    assert score_answer(q, elsewhere, pages) == {"found": True, "right@1": False, "right@3": False}
    assert score_answer(q, None, pages) == {"found": False, "right@1": False, "right@3": False}  # refused


def test_a_question_no_page_answers_is_right_when_declined():
    q = {"kind": "absent"}
    assert score_answer(q, Answer("Who?", False), {})["right@1"] is True
    assert score_answer(q, Answer("Who?", True, [quote(PAGE, "x")]), {})["right@1"] is False


def test_figures_per_kind_and_qtype():
    rows = [
        {"kind": "single", "qtype": "when", "found": True, "right@1": True, "right@3": True},
        {"kind": "single", "qtype": "who", "found": True, "right@1": False, "right@3": True},
        {"kind": "followup", "found": False, "right@1": False, "right@3": False},
        {"kind": "absent", "found": False, "right@1": True, "right@3": True},
    ]
    result = summarise(rows)
    assert (result["questions"], result["answer@1"], result["answer@3"]) == (4, 0.5, 1.0)
    assert (result["followup@1"], result["absent_declined"], result["answered"]) == (0.0, 1.0, 0.6667)
    assert result["by_qtype"]["who"] == {"n": 1, "right@1": 0.0, "right@3": 1.0}
    assert set(result["by_kind"]) == {"absent", "followup", "single"}
    assert summarise([])["answer@1"] is None  # no questions of a kind: no figure, not zero


def test_the_pages_named_are_read_in_order_and_a_missing_one_is_named(tmp_path):
    questions = [{"page_id": "b", "near_page_id": "a"}, {"page_id": "a"}, {"kind": "absent", "near_page_id": "c"}]
    assert page_ids(questions) == ["b", "a", "c"]
    for name in ("a", "b"):
        (tmp_path / f"{name}.html").write_text("<p>x</p>", encoding="utf-8")
    assert page_paths(tmp_path, ["b", "a"]) == [tmp_path / "b.html", tmp_path / "a.html"]
    with pytest.raises(CitebotError, match=f"{tmp_path / 'c.html'}: no such page"):
        page_paths(tmp_path, ["a", "c"])
