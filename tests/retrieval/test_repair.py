"""Damage repaired before the first answer, and a model that cannot load stopping `index` with one line."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from bot import cli
from retrieval.collection import VECTORS_DIR
from retrieval.library import SNAPSHOT_FILE, Library
from tests.conftest import SAMPLES, copy_data_dir

AMBASSADOR = "Who is the British ambassador to Ukraine?"


def test_first_question_after_the_vector_files_are_deleted_is_answered(tmp_path, embedder, sample_data_dir):
    data = tmp_path / "data"
    copy_data_dir(sample_data_dir, data)
    expected = Library(data, embedder).ask(AMBASSADOR)
    shutil.rmtree(data / VECTORS_DIR)  # the snapshot stays: its rows name paragraphs the dense index lacks
    assert (data / SNAPSHOT_FILE).exists()
    answer = Library(data, embedder).ask(AMBASSADOR)  # a fresh process's first question
    assert answer.found and "Melinda Simmons" in answer.quotes[0].text
    assert [q.text for q in answer.quotes] == [q.text for q in expected.quotes]
    assert Library(data, embedder).collection().dense.count == Library(data, embedder).collection().paragraph_count


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.suffix in (".sqlite", ".npz", ".faiss")}


def test_index_with_a_model_that_cannot_load_is_one_line_and_changes_nothing(capsys, tmp_path, sample_data_dir):
    broken = tmp_path / "model"
    broken.mkdir()
    (broken / "config.json").write_text("{ not json", encoding="utf-8")
    for name, model in (("fresh", str(tmp_path / "no-such-model")), ("built", str(broken))):
        data = tmp_path / name
        if name == "built":
            copy_data_dir(sample_data_dir, data)
        before = _digest(data) if data.exists() else {}
        config = tmp_path / f"{name}.toml"
        config.write_text(f"[data]\ndir = {json.dumps(str(data))}\n[articles]\nfolders = [{json.dumps(str(SAMPLES))}]\n"
                          f"[model]\nname = {json.dumps(model)}\n", encoding="utf-8")
        code = cli.main(["--config", str(config), "index"])
        err = capsys.readouterr().err
        assert code == 1, err
        assert err.count("\n") == 1 and err.startswith("citebot: error: ") and "Traceback" not in err, err
        assert model in err and ("not a directory" in err or "cannot be loaded" in err), err
        assert "nothing to index" not in err
        if before:
            after = _digest(data)
            assert {k: after.get(k) for k in before if k.startswith("citebot")} == \
                {k: v for k, v in before.items() if k.startswith("citebot")}
