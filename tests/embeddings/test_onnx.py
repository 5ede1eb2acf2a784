"""Questions through ONNX Runtime: the same vectors as torch, an export that survives crashes and damage."""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from embeddings import DEFAULT_MODEL, Embedder, resolve_model_path
from embeddings.onnx import ONNX_FILE, export_path, open_encoder
from retrieval.evaluation.retrieval import spread_questions
from tests.conftest import SHARED


def real_questions(n_each: int = 25) -> list[str]:
    """Real questions of both dev sets, spread over each file (not only its first article)."""
    return spread_questions([SHARED / "eval" / name / "questions.jsonl" for name in ("squad-dev", "cnn-news")], n_each)


@pytest.fixture(scope="module")
def onnx_dir(sample_data_dir) -> Path:
    """The export made for the sample data directory (once per session)."""
    return sample_data_dir / "onnx"


def test_onnx_questions_agree_with_torch(onnx_dir, embedder):
    questions = real_questions()
    onnx = Embedder(DEFAULT_MODEL, query_runtime="onnx", onnx_dir=onnx_dir)
    got = np.stack([onnx.encode_query(q) for q in questions])
    expected = embedder.embedder.encode(questions)  # torch, batched (padding exercised on the torch side)
    cosine = np.sum(got * expected, axis=1)
    assert len(questions) == 50 and got.dtype == np.float32
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    assert cosine.min() >= 0.999, (cosine.min(), questions[int(cosine.argmin())])
    batch = onnx.query_encoder().encode(questions)  # padded batches through ONNX agree too
    assert np.sum(batch * expected, axis=1).min() >= 0.999


def test_onnx_session_uses_the_query_thread_count(onnx_dir):
    encoder = open_encoder(DEFAULT_MODEL, resolve_model_path(), onnx_dir, threads=1)
    options = encoder.session.get_session_options()
    assert (options.intra_op_num_threads, options.inter_op_num_threads) == (1, 1)


def test_broken_export_is_set_aside_and_exported_again(tmp_path, onnx_dir, caplog):
    good = export_path(onnx_dir, DEFAULT_MODEL, resolve_model_path())
    target = export_path(tmp_path, DEFAULT_MODEL, resolve_model_path())
    target.parent.mkdir(parents=True)
    target.write_bytes(good.read_bytes()[: good.stat().st_size // 2])  # a file cut short (disk full, killed copy)
    with caplog.at_level(logging.WARNING):
        encoder = open_encoder(DEFAULT_MODEL, resolve_model_path(), tmp_path)
    assert target.stat().st_size > good.stat().st_size * 0.9
    set_aside = [p.name for p in target.parent.iterdir() if p.name.startswith(f"{ONNX_FILE}.broken-")]
    assert len(set_aside) == 1 and "set aside" in caplog.text
    assert not [p for p in target.parent.iterdir() if p.name.endswith(".tmp")]  # nothing half-written left
    vector = encoder.encode(["Who is the British ambassador to Ukraine?"])[0]
    reference = Embedder().encode(["Who is the British ambassador to Ukraine?"])[0]
    assert float(vector @ reference) >= 0.999


def test_a_model_onnx_cannot_run_falls_back_to_torch_with_one_warning(tmp_path, caplog):
    model = tmp_path / "cls-model"  # the packaged model with CLS pooling: not an exportable layout
    source = Path(resolve_model_path())
    model.mkdir()
    for item in source.iterdir():
        if item.name != "1_Pooling":
            os.symlink(item, model / item.name)
    shutil.copytree(source / "1_Pooling", model / "1_Pooling")
    pooling = json.loads((model / "1_Pooling" / "config.json").read_text())
    pooling.update(pooling_mode_mean_tokens=False, pooling_mode_cls_token=True)
    (model / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
    embedder = Embedder(str(model), query_runtime="onnx", onnx_dir=tmp_path / "onnx")
    with caplog.at_level(logging.WARNING):
        first = embedder.encode_query("Who is the British ambassador to Ukraine?")
        embedder.encode_query("What did Heappey say?")
    warnings = [r for r in caplog.records if "embedded with torch" in r.getMessage()]
    assert len(warnings) == 1 and "pooling" in warnings[0].getMessage() and "\n" not in warnings[0].getMessage()
    assert first.shape == (384,) and not (tmp_path / "onnx").exists()
    assert float(first @ embedder.encode(["Who is the British ambassador to Ukraine?"])[0]) > 0.9999


def test_torch_runtime_is_honoured(onnx_dir):
    embedder = Embedder(DEFAULT_MODEL, query_runtime="torch", onnx_dir=onnx_dir)
    assert embedder.query_encoder() is None
    with pytest.raises(ValueError, match="query_runtime"):
        Embedder(DEFAULT_MODEL, query_runtime="tensorflow")


def test_an_export_that_cannot_be_written_falls_back_to_torch(tmp_path, caplog):
    (tmp_path / "data").write_text("a file where the data folder should be")
    embedder = Embedder(DEFAULT_MODEL, query_runtime="onnx", onnx_dir=tmp_path / "data" / "onnx")
    with caplog.at_level(logging.WARNING):
        vector = embedder.encode_query("Who is the British ambassador to Ukraine?")
    (warning,) = [r.getMessage() for r in caplog.records if "embedded with torch" in r.getMessage()]
    assert "Not a directory" in warning and "\n" not in warning
    assert vector.shape == (384,) and not list(tmp_path.glob("**/*.tmp"))
