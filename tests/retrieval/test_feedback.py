"""The feedback store: answers, votes (one per user, changeable), no user id in the file, export as evaluation data."""

from __future__ import annotations

import json
import sqlite3

import pytest

from retrieval.feedback import DOWN, UP, FeedbackStore, UnknownAnswerError, quote_from_record
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
