"""Follow-up questions: read in the context of the conversation, or on their own when they change the subject."""

from __future__ import annotations

import json
from dataclasses import replace

from retrieval.evaluation.retrieval import evaluate_retrieval
from retrieval.query.conversation import ContextSettings, extend, is_anaphoric, turn_from_answer
from retrieval.settings import RetrievalSettings
from tests.conftest import SHARED

AMBASSADOR = "Who is the British ambassador to Ukraine?"


def test_pronoun_only_follow_up_stays_with_the_article(sample_library):
    first = sample_library.ask(AMBASSADOR)
    alone = sample_library.ask("What did she say?")
    answer = sample_library.ask("What did she say?", history=[turn_from_answer(first)])
    assert answer.follows_up == AMBASSADOR
    assert answer.found and answer.quotes[0].article.article_id == first.quotes[0].article.article_id
    assert alone.follows_up is None


def test_a_change_of_subject_is_answered_on_its_own(sample_library):
    history = [turn_from_answer(sample_library.ask(AMBASSADOR))]
    answer = sample_library.ask("How much of the Amazon rainforest is in Brazil?", history=history)
    assert answer.follows_up is None
    assert answer.quotes[0].article.title == "Amazon rainforest" and "60%" in answer.quotes[0].text
    after = extend(history, answer)  # the new subject is newest; the old one stays (a misjudged change loses nothing)
    assert after == [*history, turn_from_answer(answer)]


def test_anaphora():
    assert is_anaphoric("Does he feel confident about it?")
    assert not is_anaphoric("Who is the British ambassador to Ukraine?")


def coqa_slice(tmp_path, stories: int, scramble: bool = False):
    """The first ``stories`` CoQA conversations and their paragraphs; optionally with every gold field garbled."""
    questions, docs = [], []
    for line in (SHARED / "eval" / "coqa-dev" / "questions.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["gold_doc"] not in docs:
            if len(docs) == stories:
                break
            docs.append(row["gold_doc"])
        if scramble:
            row["history_answers"] = ["zebra"] * len(row["history"])
            row["rationale"] = "zebra crossing"
            row["answers"] = []
        questions.append(json.dumps(row))
    paragraphs = [line for line in (SHARED / "eval" / "coqa-dev" / "paragraphs.jsonl").read_text().splitlines()
                  if json.loads(line)["doc_id"] in docs]
    p, q = tmp_path / "p.jsonl", tmp_path / ("q-scrambled.jsonl" if scramble else "q.jsonl")
    p.write_text("\n".join(paragraphs) + "\n", encoding="utf-8")
    q.write_text("\n".join(questions) + "\n", encoding="utf-8")
    return p, q


def test_eval_replays_histories_without_reading_gold(tmp_path, embedder):
    p, q = coqa_slice(tmp_path, 3)
    result = evaluate_retrieval(p, q, embedder, RetrievalSettings())
    assert {"recall@1_followups", "recall@1_first", "article_recall@1"} <= set(result)
    _, scrambled = coqa_slice(tmp_path, 3, scramble=True)
    again = evaluate_retrieval(p, scrambled, embedder, RetrievalSettings())
    assert again["recall@1"] == result["recall@1"] and again["recall@1_followups"] == result["recall@1_followups"]
    alone = evaluate_retrieval(p, q, embedder, RetrievalSettings(), history_mode="none")
    assert alone["recall@1_followups"] is None and alone["questions"] == result["questions"]
    other = evaluate_retrieval(p, q, embedder, RetrievalSettings(), history_mode="other")
    assert other["recall@1_first"] == result["recall@1_first"]  # a first question stays first


def test_eval_takes_the_conversation_settings_it_is_given(tmp_path, embedder):
    """benchmarks/context_ceiling.py's "always in context" reading: after another conversation, follow-ups are then
    dragged to that conversation's article, which the rule in use avoids."""
    p, q = coqa_slice(tmp_path, 3)
    always = replace(ContextSettings(), switch_below=0.0, full_above=0.0)
    rule = evaluate_retrieval(p, q, embedder, RetrievalSettings(), history_mode="other")
    dragged = evaluate_retrieval(p, q, embedder, RetrievalSettings(), history_mode="other", context=always)
    assert dragged["recall@1_first"] == rule["recall@1_first"]
    assert dragged["recall@1_followups"] < rule["recall@1_followups"] - 0.2
