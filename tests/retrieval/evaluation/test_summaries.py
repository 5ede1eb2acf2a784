"""``citebot eval summaries``: ROUGE of the key sentences against the reference highlights, beside the lead-3."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from retrieval.errors import CitebotError
from retrieval.evaluation.summaries import cut_to_words, evaluate_summaries
from tests.retrieval.test_summarizer import CNNDM


@pytest.fixture(scope="module")
def cnn_slice_file(tmp_path_factory) -> Path:
    """20 short CNN articles (the shortest of the first 100 of cnndm-val), to keep embedding cheap."""
    with CNNDM.open(encoding="utf-8") as handle:
        records = [json.loads(next(handle)) for _ in range(100)]
    path = tmp_path_factory.mktemp("cnndm") / "articles.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in sorted(records, key=lambda r: len(r["article"]))[:20]),
                    encoding="utf-8")
    return path


def test_evaluate_summaries_reports_system_and_lead3(cnn_slice_file, embedder):
    result = evaluate_summaries(cnn_slice_file, 3, embedder)
    assert set(result) == {
        "articles", "measure", "system", "lead3", "lead_equal_length", "mean_words", "identical_to_lead3", "seconds"
    }
    assert result["articles"] == 20 and result["measure"] == "f1"
    for name in ("system", "lead3", "lead_equal_length"):
        assert set(result[name]) == {"rouge1", "rouge2", "rougeLsum"}
        assert all(0 < value < 100 for value in result[name].values())
    assert result["system"]["rouge1"] >= result["system"]["rouge2"]
    assert 0.0 <= result["identical_to_lead3"] < 1.0
    assert result["seconds"] >= 0
    # three sentences of either kind: the lengths are reported, and no length prior makes ours much shorter
    assert set(result["mean_words"]) == {"system", "lead3"}
    assert 0.85 <= result["mean_words"]["system"] / result["mean_words"]["lead3"] <= 1.15


def test_evaluate_summaries_at_equal_length_reports_recall(cnn_slice_file, embedder):
    f1 = evaluate_summaries(cnn_slice_file, 3, embedder)
    result = evaluate_summaries(cnn_slice_file, 3, embedder, words=40)
    assert result["words"] == 40 and result["measure"] == "recall"
    # every summary is cut to (at most) 40 words, both sides alike
    assert 38 <= result["mean_words"]["system"] <= 40
    assert 38 <= result["mean_words"]["lead3"] <= 40
    # the lead cut to 40 words is the lead at equal length
    assert result["lead3"] == result["lead_equal_length"]
    for name in ("system", "lead3"):
        assert all(0 < value < 100 for value in result[name].values())
        assert result[name] != f1[name]
    longer = evaluate_summaries(cnn_slice_file, 3, embedder, words=80)
    assert longer["lead3"]["rouge1"] > result["lead3"]["rouge1"]  # recall grows with length
    with pytest.raises(ValueError):
        evaluate_summaries(cnn_slice_file, 3, embedder, words=0)


def test_cut_to_words_keeps_sentences_and_counts():
    assert cut_to_words(["One two three.", "Four five six seven."], 5) == ["One two three.", "Four five"]
    assert cut_to_words(["One two."], 10) == ["One two."]
    assert cut_to_words(["One two.", "Three."], 2) == ["One two."]


def test_a_line_without_highlights_is_named_by_file_and_line(tmp_path, embedder):
    path = tmp_path / "articles.jsonl"
    path.write_text(json.dumps({"article": "One. Two.", "highlights": ["One."]}) + "\n" +
                    json.dumps({"article": "Three."}) + "\n", encoding="utf-8")
    with pytest.raises(CitebotError, match=f"{path}:2"):
        evaluate_summaries(path, 3, embedder)
