"""`citebot ask` starts light: with the index and the ONNX export in place it answers without importing torch,
the same answer as through torch, with the configured thread counts in force."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, load_config
from tests.conftest import ROOT

#: Runs ``citebot ARGS`` the way a worker thread of the bot would, then reports what got imported and the counts.
WRAPPER = r"""
import json, os, sys, threading
sys.argv = ["citebot", *sys.argv[1:]]
from bot.cli import main
seen = {}
def work():
    seen["code"] = main()
    import faiss
    seen["faiss_threads"] = faiss.omp_get_max_threads()  # OpenMP counts are per thread: this one answered
worker = threading.Thread(target=work)
worker.start()
worker.join()
from embeddings import threads
seen.update(torch="torch" in sys.modules, sentence_transformers="sentence_transformers" in sys.modules,
            onnxruntime="onnxruntime" in sys.modules, omp_env=os.environ.get("OMP_NUM_THREADS"),
            query_threads=threads.query_threads(), index_threads=threads.index_threads())
with open(os.environ["CITEBOT_REPORT"], "w") as f:
    json.dump(seen, f)
"""

QUESTION = "Who is the British ambassador to Ukraine?"


def run_ask(tmp_path: Path, config: Path, *extra: str) -> tuple[dict, dict]:
    report = tmp_path / "report.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CITEBOT_REPORT": str(report)}
    done = subprocess.run([sys.executable, "-c", WRAPPER, "--config", str(config), "ask", QUESTION, "--json", *extra],
                          capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), json.loads(report.read_text())


@pytest.fixture
def config_with(config_file):
    """The sample config plus extra TOML lines."""
    base = config_file.read_text(encoding="utf-8")

    def make(extra: str) -> Path:
        config_file.write_text(base + "\n" + extra + "\n", encoding="utf-8")
        return config_file

    return make


def test_ask_answers_without_torch_and_as_torch_does(tmp_path, config_with):
    threads = "[performance]\nquery_threads = 1\nindex_threads = 2\n"
    history = ("--history", "How many troops has Russia gathered on Ukraine's border?")  # a follow-up embeds it
    answer, seen = run_ask(tmp_path, config_with(threads), *history)
    assert seen["code"] == 0 and seen["onnxruntime"]
    assert not seen["torch"] and not seen["sentence_transformers"]
    assert seen["faiss_threads"] == 1 and seen["omp_env"] == "1"
    assert (seen["query_threads"], seen["index_threads"]) == (1, 2)
    assert answer["found"] and "Melinda Simmons" in answer["quotes"][0]["text"]

    reference, seen = run_ask(tmp_path, config_with(threads + '[model]\nquery_runtime = "torch"\n'), *history)
    assert seen["torch"]
    assert [(q["article_id"], q["paragraph"], q["highlight"]) for q in answer["quotes"]] == \
        [(q["article_id"], q["paragraph"], q["highlight"]) for q in reference["quotes"]]
    assert [q["score"] for q in answer["quotes"]] == pytest.approx([q["score"] for q in reference["quotes"]], abs=1e-3)


def test_thread_counts_reach_torch_faiss_and_the_environment(tmp_path):
    script = r"""
import json, os, threading
import faiss
from retrieval.threads import configure, use_query_threads
from embeddings import Embedder
counts = configure(query_threads=1, index_threads=2)
Embedder().encode(["a passage to embed"])  # loads torch for passages: index_threads
import torch
seen = {}
def answer():
    use_query_threads()
    seen["faiss"] = faiss.omp_get_max_threads()
t = threading.Thread(target=answer); t.start(); t.join()
print(json.dumps({"counts": counts, "torch": torch.get_num_threads(), "faiss": seen["faiss"],
                  "env": [os.environ[k] for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")],
                  "serving": configure(1, 0, serving=True), "alone": configure(1, 0)}))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.splitlines()[-1])
    cores = os.cpu_count() or 1
    assert seen["counts"] == [1, 2] and seen["torch"] == 2 and seen["faiss"] == 1 and seen["env"] == ["1"] * 3
    assert seen["serving"] == [1, max(1, cores - 1)] and seen["alone"] == [1, cores]


@pytest.mark.parametrize("extra, key", [
    ("[performance]\nquery_threads = 0", "performance.query_threads"),
    ("[performance]\nindex_threads = -1", "performance.index_threads"),
    ('[model]\nquery_runtime = "tensorrt"', "model.query_runtime"),
])
def test_bad_runtime_settings_are_named(config_with, extra, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        load_config(config_with(extra))
