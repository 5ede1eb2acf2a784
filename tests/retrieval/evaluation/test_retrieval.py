"""``citebot eval retrieval``: the files read with one clear line per problem, the articles rebuilt from
paragraphs, histories replayed, and the real answering code scored."""

from __future__ import annotations

import json
import re

import pytest

from retrieval.errors import CitebotError
from retrieval.evaluation.retrieval import articles_from_paragraphs, evaluate_retrieval, histories, read_jsonl
from retrieval.settings import RetrievalSettings

PARAGRAPHS = [
    {"pid": "harbour-1", "doc_id": "harbour", "text": "The harbour reopened on Monday after storm repairs.",
     "title": "Harbour", "published": "2024-03-02"},
    {"pid": "harbour-2", "doc_id": "harbour", "text": "Fishing boats returned to their moorings by noon."},
    {"pid": "bread-1", "doc_id": "bread", "text": "Banana bread needs ripe bananas, flour and butter."},
]
QUESTIONS = [
    {"qid": "q1", "question": "When did the harbour reopen after the storm?", "gold_pid": "harbour-1"},
    {"qid": "q2", "question": "What do you need to bake banana bread?", "gold_pid": "bread-1"},
    {"qid": "q3", "question": "Who won the chess world championship?"},  # nothing answers it
]


def jsonl(path, rows) -> object:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.mark.parametrize(("content", "message"), [
    ('{"qid": "q1", "question": "Q?"}\n{"qid": "q2",\n', ":2: not valid JSON"),
    ('["q1", "Q?"]\n', ":1: each line must be a JSON object, got list"),
    ('{"qid": "q1"}\n', ":1: missing key(s) question"),
    ('{"qid": "q1", "question": "   "}\n', ":1: 'question' has the wrong type or is empty"),
    ("\n\n", " has no rows"),
])
def test_a_bad_line_is_named_by_file_and_line(tmp_path, content, message):
    path = tmp_path / "questions.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CitebotError, match="^" + re.escape(f"{path}{message}")):
        read_jsonl(path, ("qid", "question"))


def test_a_file_that_is_not_utf8_or_not_a_file_is_named(tmp_path):
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes('{"qid": "q1", "question": "caf\u00e9?"}\n'.encode("latin-1"))
    with pytest.raises(CitebotError, match="is not UTF-8 text"):
        read_jsonl(latin, ("qid",))
    with pytest.raises(CitebotError, match="is not a regular file"):
        read_jsonl(tmp_path, ("qid",))


def test_articles_are_rebuilt_from_their_paragraphs_verbatim():
    articles, paragraphs = articles_from_paragraphs(PARAGRAPHS)
    (harbour, text), (bread, _) = articles
    assert (harbour.article_id, harbour.title, harbour.published) == ("harbour", "Harbour", "2024-03-02")
    assert bread.title == "bread" and bread.published is None  # no title given: the doc id
    assert [p.pid for p in paragraphs] == ["harbour-1", "harbour-2", "bread-1"]
    assert all(text[p.start:p.end] == p.text for p in paragraphs[:2])
    with pytest.raises(CitebotError, match="published “March 2” is not a YYYY-MM-DD date"):
        articles_from_paragraphs([{**PARAGRAPHS[0], "published": "March 2"}])


def test_histories_as_given_none_or_another_conversations():
    questions = [{"question": "A1"}, {"question": "A2", "history": ["A1"]},
                 {"question": "B1"}, {"question": "B2", "history": ["B1"]}]
    assert histories(questions, "given") == [[], ["A1"], [], ["B1"]]
    assert histories(questions, "none") == [[], [], [], []]
    assert histories(questions, "other") == [[], ["B1"], [], ["A1"]]


def test_the_answering_code_is_scored(tmp_path, embedder):
    paragraphs = jsonl(tmp_path / "paragraphs.jsonl", PARAGRAPHS)
    questions = jsonl(tmp_path / "questions.jsonl", QUESTIONS)
    details = tmp_path / "details.jsonl"
    result = evaluate_retrieval(paragraphs, questions, embedder, RetrievalSettings(), details=details)
    assert result["questions"] == 3 and result["index"] == "exact"
    assert result["recall@1"] == 1.0 and result["article_recall@1"] == 1.0
    lines = [json.loads(line) for line in details.read_text(encoding="utf-8").splitlines()]
    assert [(r["qid"], r["rank"]) for r in lines] == [("q1", 1), ("q2", 1)]  # one line per answerable question


def test_a_gold_id_missing_from_the_paragraphs_is_named(tmp_path, embedder):
    paragraphs = jsonl(tmp_path / "paragraphs.jsonl", PARAGRAPHS)
    questions = jsonl(tmp_path / "questions.jsonl", [{**QUESTIONS[0], "gold_pid": "harbour-9"}])
    with pytest.raises(CitebotError, match=r"question 1 \(q1\): gold_pid 'harbour-9' is not in the paragraphs"):
        evaluate_retrieval(paragraphs, questions, embedder, RetrievalSettings())
    twice = jsonl(tmp_path / "twice.jsonl", PARAGRAPHS + PARAGRAPHS[:1])
    with pytest.raises(CitebotError, match="the pid 'harbour-1' appears more than once"):
        evaluate_retrieval(twice, jsonl(tmp_path / "q.jsonl", QUESTIONS[:1]), embedder, RetrievalSettings())
