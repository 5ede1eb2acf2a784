"""A sentence-transformers model from disk (never a hub): what a wrong name or folder says, what encoding gives."""

from pathlib import Path

import numpy as np
import pytest

from embeddings import DEFAULT_MODEL, Embedder, ModelLoadError, resolve_model_path


def test_the_default_model_is_the_packaged_folder():
    assert resolve_model_path() == resolve_model_path(f"sentence-transformers/{DEFAULT_MODEL}")
    assert Path(resolve_model_path()).is_dir()


def test_an_unknown_model_names_itself_and_the_packaged_choice():
    with pytest.raises(ModelLoadError, match=r"'no-such-model' is not a directory.*all-MiniLM-L6-v2"):
        resolve_model_path("no-such-model")
    with pytest.raises(ModelLoadError, match="no-such-model"):
        Embedder("no-such-model").encode(["text"])


def test_a_folder_that_is_not_a_model_is_named_when_used(tmp_path):
    folder = tmp_path / "not-a-model"
    folder.mkdir()
    (folder / "config.json").write_text("{ not json", encoding="utf-8")
    embedder = Embedder(str(folder))  # nothing is loaded yet
    with pytest.raises(ModelLoadError, match=f"the embedding model '{folder}' cannot be loaded"):
        embedder.encode(["text"])


def test_an_unknown_query_runtime_is_refused():
    with pytest.raises(ValueError, match="query_runtime must be one of onnx, torch, got 'gpu'"):
        Embedder(query_runtime="gpu")


def test_questions_and_passages_are_the_same_unit_vectors():
    model = Embedder()  # torch for questions: no ONNX folder given
    texts = ["Russia has amassed troops on the border.", "A recipe for banana bread."]
    passages = model.encode(texts)
    assert passages.shape == (2, 384) and passages.dtype == np.float32
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-4)
    assert np.allclose(model.encode_query(texts[0]), passages[0], atol=1e-5)
    assert model.encode([]).shape == (0, 384)
