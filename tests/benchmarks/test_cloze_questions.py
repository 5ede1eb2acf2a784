"""benchmarks/cloze_questions.py: the news questions the shipped answer tower is trained on (round 11)."""

import importlib.util
from pathlib import Path

import numpy as np

_SPEC = importlib.util.spec_from_file_location(
    "cloze_questions", Path(__file__).resolve().parents[2] / "benchmarks" / "cloze_questions.py")
cloze_questions = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(cloze_questions)

STORY = ("(CNN)The city council met on Monday to discuss the new bridge over the river. "
         "Members argued for hours about the design and the cost of the project. "
         "Residents filled the hall and many of them spoke during the public session. "
         "The engineering firm said construction would take about 18 months once approved. "
         "Mayor Ellen Brooks told reporters she expected a final vote before the summer. "
         "Opponents have collected signatures from 4,200 residents asking for a referendum instead. "
         "The bridge would replace a crossing that was closed after floods last year.")


def test_a_highlight_becomes_a_question_with_the_wh_word_in_the_answers_place():
    pairs = dict((answer, question) for question, answer in
                 cloze_questions.cloze("Opponents collected 4,200 signatures asking Mayor Ellen Brooks for a vote ."
                                       .removesuffix(" .")))
    assert pairs["4,200"] == "Opponents collected how many signatures asking Mayor Ellen Brooks for a vote?"
    assert pairs["Mayor Ellen Brooks"].startswith("Opponents collected 4,200 signatures asking who for a vote")


def test_the_answering_sentence_is_marked_and_lead_answers_are_skipped():
    record = {"id": "s1", "article": STORY,
              "highlights": ["Petition signed by 4,200 residents calls for a referendum on the bridge .",
                             "Council met Monday to argue about the bridge design ."]}
    questions, sentences, positives, groups, answers = cloze_questions.make([record], skip_lead=3)
    assert answers == ["4,200"]  # "Monday" is answered by the story's first sentence: skipped
    assert questions == ["Petition signed by how many residents calls for a referendum on the bridge?"]
    assert sentences[0][int(np.flatnonzero(positives[0])[0])].startswith("Opponents have collected signatures")
    assert positives[0].sum() == 1 and groups == ["s1"]
    assert not sentences[0][0].startswith("(CNN)")
    kept, *_ = cloze_questions.make([record], skip_lead=0)
    assert len(kept) == 2
