"""The question's *answer vector*: all-MiniLM-L6-v2's question side, fine-tuned to point at the sentence that answers.

The index stores MiniLM vectors of every sentence; MiniLM puts a question next to the sentences that repeat its
words. The answer tower is a copy of MiniLM whose weights were tuned (benchmarks/tower_fit.py, on squad-dev and on
news questions made from cnndm-val's highlights by benchmarks/cloze_questions.py) so that a question's vector lands
next to the stored vector of the sentence that *answers* it — "How many people left the town?" towards "Some 3,000
residents were evacuated overnight", not the story's lead that names the town — while the stored sentence vectors
stay as they are (nothing in an index changes). The reader (retrieval/query/reader.py) scores candidate sentences
with it.

Shipped in the repository as dynamic-int8 ONNX (``weights/answer_tower.onnx``), run with ONNX Runtime and the
packaged MiniLM's tokenizer: no torch at answer time. It only fits collections embedded with all-MiniLM-L6-v2
(:data:`BASE_MODEL`); for any other model, or when the file is missing, ``answer_tower()`` is None and the reader
uses the question's own vector.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

import numpy as np

from embeddings.model import DEFAULT_MODEL, is_packaged, resolve_model_path

log = logging.getLogger(__name__)

TOWER_FILE = Path(__file__).with_name("weights") / "answer_tower.onnx"
#: The model whose stored sentence vectors the tower was trained against (the packaged one: :func:`is_packaged`).
BASE_MODEL = DEFAULT_MODEL


class AnswerTower:
    """``encode(question)``: the question's answer vector (a unit vector in MiniLM's sentence space)."""

    def __init__(self, path: Path = TOWER_FILE, threads: int = 1) -> None:
        from embeddings.onnx import OnnxEncoder, model_layout

        self.path = Path(path)
        self.encoder = OnnxEncoder(model_layout(resolve_model_path(BASE_MODEL)), self.path, threads)

    def encode(self, question: str) -> np.ndarray:
        """The answer vector of one question."""
        return self.encoder.encode([question])[0]  # ONNX Runtime sessions are thread-safe


@lru_cache(maxsize=2)
def load_tower(path: Path = TOWER_FILE, threads: int = 1) -> AnswerTower | None:
    """The shipped tower, loaded once per process; None (said once) when it cannot be loaded."""
    if not Path(path).is_file():
        log.warning("no answer tower at %s: the reader scores sentences with the question's own vector", path)
        return None
    try:
        return AnswerTower(Path(path), threads)
    except Exception as exc:  # noqa: BLE001 - a damaged file or a missing runtime: answer without it
        log.warning("the answer tower at %s cannot be loaded (%s: %s): the reader uses the question's own vector",
                    path, type(exc).__name__, exc)
        return None


def answer_tower(model: str) -> AnswerTower | None:
    """The tower for a collection embedded with ``model``: None unless that is :data:`BASE_MODEL`."""
    if not is_packaged(model):
        return None
    from embeddings import threads

    return load_tower(TOWER_FILE, threads.query_threads())
