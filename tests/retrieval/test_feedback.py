"""The feedback store (answers, votes, export) and the report's grouping of not-covered questions (real model)."""

from __future__ import annotations

import json
import sqlite3

import pytest

from retrieval.errors import CitebotError
from retrieval.feedback import DOWN, UP, FeedbackStore, UnknownAnswerError, quote_from_record
from retrieval.feedback_report import build_report, parse_since
from retrieval.models import Answer, ArticleMeta, Quote

ARTICLE = ArticleMeta("a1", "Harbour reopens", source="Coast News", published="2024-03-02", url="https://x.test/h")


def quote(n: int, text: str = "The harbour reopened on Monday. Boats returned.") -> Quote:
    return Quote(text=text, highlight="The harbour reopened on Monday.", highlight_start=0, article=ARTICLE,
                 paragraph=n, score=0.8 - n / 100, pid=f"a1-p{n}")


def answer(question: str, found: bool = True, quotes: int = 3) -> Answer:
    return Answer(question=question, found=found, quotes=[quote(n) for n in range(1, quotes + 1)])


def test_answers_and_votes_survive_reopening(tmp_path) -> None:
    store = FeedbackStore.in_folder(tmp_path)
    store.record(101, answer("When did the harbour reopen?", quotes=10), asker_id=7, guild_id=1, channel_id=2,
                 via="/ask", at=1000.0)
    assert store.vote(101, 8, UP) == (1, 0)
    assert store.vote(101, 9, UP) == (2, 0)
    assert store.vote(101, 8, DOWN) == (1, 1)  # one vote per user, changeable
    with pytest.raises(UnknownAnswerError):
        store.vote(999, 8, UP)
    store.close()

    again = FeedbackStore.in_folder(tmp_path)
    row = again.answer(101)
    assert row is not None and row["up"] == 1 and row["down"] == 1 and row["via"] == "/ask"
    assert len(row["quotes"]) == 10 and row["quotes"][3]["pid"] == "a1-p4"
    assert quote_from_record(row["quotes"][0]) == quote(1)  # shown again exactly as it was
    assert again.is_asker(101, 7) and not again.is_asker(101, 8)
    # No user id in the file: only salted hashes.
    with sqlite3.connect(tmp_path / "feedback.sqlite3") as raw:
        dumped = "\n".join(raw.iterdump())
    assert "'7'" not in dumped and again.user_hash(7) in dumped


def test_export_rows_are_evaluation_data(tmp_path) -> None:
    store = FeedbackStore.in_folder(tmp_path)
    store.record("q1", answer("When did the harbour reopen?"), asker_id=1, at=10.0)
    store.record("q2", answer("Who owns the harbour?"), asker_id=1, at=20.0)
    store.record("q3", answer("What is a good banana bread recipe?", found=False), asker_id=1, at=30.0)
    store.vote("q1", 2, UP)
    store.vote("q2", 2, DOWN)
    rows = list(store.export())
    assert [r["question"] for r in rows] == ["When did the harbour reopen?", "Who owns the harbour?",
                                             "What is a good banana bread recipe?"]
    good, bad, missed = rows
    assert good["gold_pid"] == "a1-p1" and good["gold_doc"] == "a1" and good["answers"] == [
        "The harbour reopened on Monday."] and good["vote"] == 1
    assert bad["wrong_pid"] == "a1-p1" and "gold_pid" not in bad and bad["vote"] == -1
    assert missed["unanswerable"] and "gold_pid" not in missed
    assert all(json.loads(json.dumps(r)) == r for r in rows)


def test_report_groups_not_covered_questions(tmp_path, embedder) -> None:
    store = FeedbackStore.in_folder(tmp_path)
    day = [  # (question, found): a scripted day of questions
        ("Who is the British ambassador to Ukraine?", True),
        ("What is the weather forecast for Paris tomorrow?", False),
        ("Will it rain in Paris tomorrow?", False),
        ("what is the weather forecast for paris tomorrow", False),
        ("How did the football match end last night?", False),
        ("Who won the football game yesterday evening?", False),
        ("What is the weather going to be like in Paris tomorrow?", False),
        ("How much does a kilo of bananas cost?", False),
    ]
    for n, (question, found) in enumerate(day):
        store.record(n, answer(question, found), asker_id=n, at=1000.0 + n)
    store.vote(0, 50, UP)
    store.vote(0, 51, DOWN)
    store.vote(0, 52, DOWN)
    store.vote(1, 50, UP)
    report = build_report(store, since=0.0, embed=embedder.encode_query)
    assert (report["questions"], report["answered"], report["not_covered"]) == (8, 1, 7)
    assert (report["up"], report["down"], report["up_rate"]) == (2, 2, 0.5)
    groups = report["not_covered_groups"]
    assert [g["count"] for g in groups] == [4, 2, 1]
    assert "weather" in groups[0]["question"].lower() and "Paris" in groups[0]["question"]
    assert all("football" in q.lower() for q in [groups[1]["question"], *groups[1]["examples"]])
    assert "bananas" in groups[2]["question"]
    (worst,) = report["worst_rated"]
    assert worst["question"] == "Who is the British ambassador to Ukraine?" and worst["down"] == 2
    assert build_report(store, since=2000.0, embed=embedder.encode_query)["questions"] == 0


def test_parse_since() -> None:
    assert parse_since("7d", now=1_000_000.0) == 1_000_000.0 - 7 * 86400
    assert parse_since("24h", now=100_000.0) == 100_000.0 - 86400
    assert parse_since("2024-03-01") == 1709251200.0
    with pytest.raises(CitebotError, match="since “yesterday”"):
        parse_since("yesterday")
