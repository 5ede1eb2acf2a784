"""'Not found' on a small fixed fixture: questions on indexed articles are answered, others are not."""

import json

from retrieval.evaluation.retrieval import articles_from_paragraphs, evaluate_retrieval
from retrieval.library import Library
from retrieval.settings import RetrievalSettings
from tests.conftest import SQUAD

INDEXED = ("Amazon_rainforest", "Geology")
ABSENT = ("Prime_number", "Genghis_Khan")


def fixture_files(tmp_path, per_doc: int = 12):
    paragraphs = [json.loads(line) for line in (SQUAD / "paragraphs.jsonl").read_text().splitlines()]
    questions = [json.loads(line) for line in (SQUAD / "questions.jsonl").read_text().splitlines()]
    kept = [p for p in paragraphs if p["doc_id"] in INDEXED]
    asked, count = [], {}
    for q in questions:
        doc = q["gold_pid"].split("#")[0]
        if doc in INDEXED + ABSENT and count.get(doc, 0) < per_doc:
            count[doc] = count.get(doc, 0) + 1
            asked.append(q if doc in INDEXED else {**q, "gold_pid": None})
    p, q = tmp_path / "p.jsonl", tmp_path / "q.jsonl"
    p.write_text("".join(json.dumps(r) + "\n" for r in kept))
    q.write_text("".join(json.dumps(r) + "\n" for r in asked))
    return p, q


def test_answerable_answered_and_absent_abstained(tmp_path, embedder):
    result = evaluate_retrieval(*fixture_files(tmp_path), embedder, RetrievalSettings())
    assert result["questions"] == 48
    assert result["answered_rate"] >= 0.85
    assert result["abstain_rate"] >= 0.85


def test_threshold_trades_answers_for_abstentions(tmp_path, embedder):
    files = fixture_files(tmp_path)
    default = evaluate_retrieval(*files, embedder, RetrievalSettings())
    strict = evaluate_retrieval(*files, embedder, RetrievalSettings(min_score=0.6))
    lenient = evaluate_retrieval(*files, embedder, RetrievalSettings(min_score=0.15))
    assert strict["abstain_rate"] == 1.0 and strict["answered_rate"] < default["answered_rate"] - 0.2
    assert lenient["answered_rate"] == 1.0 and lenient["abstain_rate"] < default["abstain_rate"]


def test_not_found_still_names_the_nearest_misses(tmp_path, embedder):
    rows = [json.loads(line) for line in (SQUAD / "paragraphs.jsonl").read_text().splitlines()]
    articles, paragraphs = articles_from_paragraphs([r for r in rows if r["doc_id"] == "Geology"])
    library = Library(tmp_path / "data", embedder)
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "geology.json").write_text(json.dumps({"title": "Geology", "text": articles[0][1]}))
    library.index([folder])
    answer = library.ask("Which prime number is the largest known?")
    assert not answer.found and answer.quotes and answer.quotes[0].article.title == "Geology"
    assert library.ask("What are the three major types of rock?").found
