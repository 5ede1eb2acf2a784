"""Extractive summaries with the real model: verbatim, in order, n respected, no near duplicates, no furniture."""

from __future__ import annotations

import json

import numpy as np
import pytest

from retrieval.models import ArticleMeta
from retrieval.summarizer import (
    SummaryCandidate,
    candidates_from_paragraphs,
    rank_key_sentences,
    select_key_sentences,
    select_topic_sentences,
    summarize_article,
    summarize_topic,
)
from retrieval.text.furniture import key_sentence_text
from retrieval.text.sentences import split_sentences
from tests.conftest import SHARED

CNNDM = SHARED / "eval" / "cnndm-val" / "articles.jsonl"


@pytest.fixture(scope="module")
def cnn_slice() -> list[dict]:
    """20 short CNN articles (the shortest of the first 100 of cnndm-val), to keep embedding cheap."""
    with CNNDM.open(encoding="utf-8") as handle:
        records = [json.loads(next(handle)) for _ in range(100)]
    return sorted(records, key=lambda r: len(r["article"]))[:20]


@pytest.mark.parametrize("n", [1, 3, 5])
def test_key_sentences_are_verbatim_in_order_and_n_long(cnn_slice, embedder, n):
    for record in cnn_slice:
        sentences = split_sentences(record["article"])
        picked = select_key_sentences(sentences, embedder.encode(sentences), n)
        assert len(picked) == min(n, len(sentences))
        assert picked == sorted(set(picked))
        assert all(sentences[i] in record["article"] for i in picked)


def test_not_always_the_lead(cnn_slice, embedder):
    leads = 0
    for record in cnn_slice:
        sentences = split_sentences(record["article"])
        leads += select_key_sentences(sentences, embedder.encode(sentences), 3) == list(range(min(3, len(sentences))))
    assert leads < len(cnn_slice)


def test_short_and_empty_articles(embedder):
    sentences = ["The storm hit the coast on Monday night.", "Thousands of homes lost power across the region."]
    assert select_key_sentences(sentences, embedder.encode(sentences), 3) == [0, 1]
    assert select_key_sentences([], np.zeros((0, 384), dtype=np.float32), 3) == []
    assert select_key_sentences(sentences, embedder.encode(sentences), 0) == []


SENTENCES = [
    "The city council approved a new budget for the coming year on Tuesday evening.",
    "On Tuesday evening the city council approved the new budget for the coming year.",
    "The budget includes more money for schools, parks and public transport.",
    "Opponents said the tax rise would hurt small businesses in the city centre.",
    "The mayor called the vote a turning point for the city.",
    "The budget includes more money for schools, parks and public transport.",
]


def test_mmr_drops_near_duplicates(embedder):
    vectors = embedder.encode(SENTENCES)
    picked = select_key_sentences(SENTENCES, vectors, 4)
    assert len(picked) == 4
    assert not {0, 1} <= set(picked)
    assert not {2, 5} <= set(picked)


def test_topic_mode_prefers_relevant_and_skips_repeats(embedder):
    meta = {k: ArticleMeta(article_id=k, title=f"Article {k}") for k in ("a", "b", "c")}
    texts = {
        "a": SENTENCES[:3],
        "b": [SENTENCES[2], "The river flooded the farm fields after a week of heavy rain."],  # wire copy + other
        "c": ["The football club signed a new striker from Brazil.", "Fans queued for hours to buy tickets."],
    }
    candidates = [
        SummaryCandidate(text, meta[key], paragraph=1, position=i)
        for key, rows in texts.items()
        for i, text in enumerate(rows)
    ]
    query = embedder.encode(["city council budget vote"])[0]
    vectors = embedder.encode([c.text for c in candidates])
    picked = select_topic_sentences(vectors, query, 3, min_relevance=0.2, texts=[c.text for c in candidates])
    chosen = [candidates[i] for i in picked]
    assert chosen[0].article.article_id == "a"
    assert len({c.text for c in chosen}) == len(chosen)
    assert all(c.article.article_id != "c" for c in chosen)

    summary = summarize_topic(candidates, embedder, query, n=3, min_relevance=0.2)
    assert [s.text for s in summary] and all(s.article.article_id in ("a", "b") for s in summary)
    assert len({s.text for s in summary}) == len(summary)


def test_summarize_article_keeps_paragraph_numbers(embedder):
    meta = ArticleMeta(article_id="x", title="Budget")
    paragraphs = [(1, " ".join(SENTENCES[:2])), (2, " ".join(SENTENCES[2:5]))]
    candidates = candidates_from_paragraphs(meta, paragraphs)
    assert [c.position for c in candidates] == list(range(5))
    summary = summarize_article(candidates, embedder, n=2)
    assert len(summary) == 2
    for sentence in summary:
        assert sentence.text in dict(paragraphs)[sentence.paragraph]
        assert sentence.article == meta


DM_HEADER = (
    "By . JOHN SMITH . PUBLISHED: . 12:00 EST, 1 May 2014 . | . UPDATED: . 14:02 EST, 1 May 2014 . "
)
FURNITURE = [
    "By .", "JOHN SMITH .", "PUBLISHED: .", "12:00 EST, 1 May 2014 .", "| .", "UPDATED: .",
    "By Daily Mail Reporter .", "Last updated at 5:30 PM on 12th January 2011 .",
    "PUBLISHED: 12:00 EST, 1 May 2014 | UPDATED: 14:02 EST, 1 May 2014 .", "Photo: Getty Images .",
    "Scroll down for video .", "and Associated Press .", "Copyright 2015 The Associated Press. All rights reserved.",
    "CNN's Jane Doe and John Roe contributed to this report.",
    "Email Tariq Malik at tmalik@space.com or follow him @tariqjmalik.", "Follow him on Twitter @michaelwall.",
    "Staff Reports", "With Post wires", "Contributing: Kristine Phillips",
]


@pytest.mark.parametrize("text", FURNITURE)
def test_furniture_is_never_a_key_sentence(text):
    assert key_sentence_text(text) == ""


@pytest.mark.parametrize(
    "text",
    [
        "By Monday the river had burst its banks in three places .",
        "By doing so, he saved the lives of four children .",
        "The crash happened at 10:34 on Monday, police said .",
        "Zayn Malik is leaving One Direction.",
        "Email at the agency was read by at least three officials, the report said.",
        "Staff reports say the plant will close next year .",
    ],
)
def test_statements_that_look_like_furniture_are_kept(text):
    assert key_sentence_text(text) == text


def test_leading_byline_is_cut_off_verbatim():
    text = "By Sam Webb for MailOnline A man who stole a bus was arrested on Monday."
    assert key_sentence_text(text) == "A man who stole a bus was arrested on Monday."
    stamped = "UPDATED: 14:02 EST, 1 May 2014 . A man was arrested on Monday after stealing a bus ."
    assert key_sentence_text(stamped) == "A man was arrested on Monday after stealing a bus ."


def test_daily_mail_header_is_never_picked(cnn_slice, embedder):
    """A Daily Mail-style byline and time stamps in front of real articles: never in a summary, and the
    article's own lead sentences still count as its first."""
    for record in cnn_slice[:10]:
        plain = split_sentences(record["article"])
        sentences = split_sentences(DM_HEADER + record["article"])
        vectors = embedder.encode(sentences)
        ranking = rank_key_sentences(sentences, vectors)
        header = len(sentences) - len(plain)
        assert header >= 4
        assert all(i >= header for i in ranking.indices)
        for n in (1, 3, 5):
            picked = select_key_sentences(sentences, vectors, n)
            assert picked and all(i >= header for i in picked)
            assert [i - header for i in picked] == select_key_sentences(plain, embedder.encode(plain), n)


def test_summarize_article_quotes_without_the_byline(embedder):
    meta = ArticleMeta(article_id="dm", title="Bus")
    paragraph = "By Sam Webb for MailOnline A man who stole a bus was arrested on Monday. " + " ".join(SENTENCES)
    candidates = candidates_from_paragraphs(meta, [(1, paragraph)])
    summary = summarize_article(candidates, embedder, n=len(candidates))
    assert summary
    for sentence in summary:
        assert sentence.text in paragraph
        assert "Sam Webb" not in sentence.text and "MailOnline" not in sentence.text


def test_topic_summary_skips_furniture(embedder):
    meta = ArticleMeta(article_id="a", title="Budget")
    rows = ["By City Council Budget Reporter .", "PUBLISHED: 18:04 EST, 3 March 2015 .", *SENTENCES[:4]]
    candidates = [SummaryCandidate(text, meta, paragraph=1, position=i) for i, text in enumerate(rows)]
    query = embedder.encode(["city council budget vote"])[0]
    summary = summarize_topic(candidates, embedder, query, n=len(rows))
    texts = [s.text for s in summary]
    assert texts and not set(texts) & set(rows[:2])
    assert all(t in SENTENCES for t in texts)
