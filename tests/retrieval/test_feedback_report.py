"""The feedback report: the period parsed, questions not covered grouped by meaning (real model), the worst rated."""

from __future__ import annotations

import numpy as np
import pytest

from retrieval.errors import CitebotError
from retrieval.feedback import DOWN, UP, FeedbackStore
from retrieval.feedback_report import build_report, group_similar, normalise, parse_since
from tests.retrieval.test_feedback import answer


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


def test_bad_periods_are_named() -> None:
    for text in ("", "7 days", "0x7d", "2024-13-01"):
        with pytest.raises(CitebotError, match=f"since “{text}” is not a period"):
            parse_since(text, now=0.0)


def test_exact_duplicates_ignore_case_punctuation_and_spacing() -> None:
    assert normalise("  What is the WEATHER, in Paris?? ") == normalise("what is the weather in paris")


def test_groups_come_heaviest_first_each_led_by_its_most_asked_question() -> None:
    vectors = np.asarray([[1, 0], [0, 1], [0.9, 0.436], [0.1, 0.995]], dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    assert group_similar(vectors, threshold=0.8) == [[0, 2], [1, 3]]
    assert group_similar(vectors, threshold=0.8, weights=[1, 1, 1, 5]) == [[3, 1], [0, 2]]
    assert group_similar(vectors, threshold=0.999) == [[0], [1], [2], [3]]
