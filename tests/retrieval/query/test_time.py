"""Time: since/until windows, questions asked as of a day, and the recency prior of "latest" questions."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from retrieval.errors import CitebotError
from retrieval.evaluation.retrieval import evaluate_retrieval
from retrieval.library import Library
from retrieval.query.timefilter import DateError, TimeWindow, recency_horizon
from retrieval.settings import RetrievalSettings

ARTICLES = {
    "plan.txt": ("Harbour improvement plan approved", "2023-06-10",
                 "Councillors approved a plan to improve the harbour in Port Ellis, with a new quay wall for the "
                 "fishing boats."),
    "reopens.txt": ("Harbour reopens after storm repairs", "2024-03-01",
                    "The harbour in Port Ellis reopened on Monday after storm repairs costing two million pounds. "
                    "Fishing boats returned to the quay."),
    "closed.txt": ("Harbour closed again by a second storm", "2024-03-20",
                   "The harbour in Port Ellis closed again on Friday after a second storm damaged the quay wall. "
                   "Fishing boats were moved to Westhaven."),
    "history.txt": ("A short history of the harbour", None,
                    "The harbour in Port Ellis was built in 1820 to shelter the fishing boats from storms."),
}
TODAY = date(2024, 3, 22)
WHAT = "What happened to the harbour in Port Ellis?"


@pytest.fixture(scope="module")
def dated_library(tmp_path_factory, embedder) -> Library:
    folder = tmp_path_factory.mktemp("dated-articles")
    for name, (title, published, body) in ARTICLES.items():
        header = f"{title}\nSource: Coast News\n" + (f"Published: {published}\n" if published else "")
        (folder / name).write_text(f"{header}\n{body}\n", encoding="utf-8")
    library = Library(tmp_path_factory.mktemp("dated-data"), embedder)
    library.index([folder])
    return library


def titles(answer) -> list[str]:
    return [q.article.title for q in answer.quotes]


def test_since_keeps_only_articles_published_in_the_period(dated_library):
    answer = dated_library.ask(WHAT, 5, window=TimeWindow.parse("2024-03-15", None, TODAY), today=TODAY)
    assert titles(answer) == ["Harbour closed again by a second storm"]  # undated and older articles are out


def test_until_and_relative_days(dated_library):
    until = dated_library.ask(WHAT, 5, window=TimeWindow.parse(None, "2024-03-10", TODAY), today=TODAY)
    assert set(titles(until)) == {"Harbour reopens after storm repairs", "Harbour improvement plan approved"}
    week = dated_library.ask(WHAT, 5, window=TimeWindow.parse("7d", None, TODAY), today=TODAY)
    assert titles(week) == ["Harbour closed again by a second storm"]
    weeks = dated_library.ask(WHAT, 5, window=TimeWindow.parse("4w", "1d", TODAY), today=TODAY)
    assert set(titles(weeks)) == {"Harbour closed again by a second storm", "Harbour reopens after storm repairs"}


@pytest.mark.parametrize(("since", "until", "named"), [
    ("2024-13-01", None, "since"), ("last tuesday", None, "since"), (None, "7x", "until"),
    ("2024-03-20", "2024-03-01", "after until"),
])
def test_bad_dates_are_a_clear_error(since, until, named):
    with pytest.raises(DateError, match=named):
        TimeWindow.parse(since, until, TODAY)


def test_latest_favours_the_newest_article_and_says_how_old(dated_library):
    answer = dated_library.ask("What is the latest on the harbour in Port Ellis?", 3, today=TODAY)
    assert answer.quotes[0].article.title == "Harbour closed again by a second storm"
    assert answer.newest_age == "published 2 days ago"


def test_questions_without_time_words_rank_exactly_as_before(dated_library):
    assert recency_horizon(WHAT) is None
    collection = dated_library.collection()
    plain = dated_library.answerer().search(WHAT)
    strong = Library(dated_library.data_dir, dated_library.embedder, RetrievalSettings(recency_weight=1.0))
    assert [(h.row, h.score, h.order) for h in strong.answerer().search(WHAT)] == \
        [(h.row, h.score, h.order) for h in plain]
    assert collection is dated_library.collection()


def test_recency_changes_the_order_not_the_score(dated_library):
    question = "What is the latest on the harbour in Port Ellis?"
    off = Library(dated_library.data_dir, dated_library.embedder, RetrievalSettings(recency_weight=0.0))
    scores_off = {h.row: h.score for h in off.answerer().search(question)}
    scores_on = {h.row: h.score for h in dated_library.answerer().search(question)}
    assert scores_on == scores_off


def write_eval(tmp_path: Path, asked_at: str | None) -> tuple[Path, Path]:
    paragraphs = [
        {"pid": f"{name}-p0", "doc_id": name, "title": title, "text": body, **({"published": day} if day else {})}
        for name, (title, day, body) in ARTICLES.items()
    ]
    question = {"qid": "q1", "question": "What is the latest on the harbour in Port Ellis?",
                "gold_pid": "reopens.txt-p0", **({"asked_at": asked_at} if asked_at else {})}
    p, q = tmp_path / "paragraphs.jsonl", tmp_path / "questions.jsonl"
    p.write_text("".join(json.dumps(r) + "\n" for r in paragraphs), encoding="utf-8")
    q.write_text(json.dumps(question) + "\n", encoding="utf-8")
    return p, q


def test_eval_answers_as_of_asked_at(tmp_path, embedder):
    # Asked on 5 March 2024: the 20 March article is not written yet, and the newest visible one is the answer.
    result = evaluate_retrieval(*write_eval(tmp_path, "2024-03-05"), embedder, RetrievalSettings())
    assert result["recall@1"] == 1.0
    later = evaluate_retrieval(*write_eval(tmp_path, "2024-03-25"), embedder, RetrievalSettings())
    assert later["recall@1"] == 0.0  # the newer closure article now comes first


def test_eval_rejects_a_bad_asked_at(tmp_path, embedder):
    with pytest.raises(CitebotError, match="questions.jsonl:1: asked_at"):
        evaluate_retrieval(*write_eval(tmp_path, "5 March"), embedder, RetrievalSettings())
