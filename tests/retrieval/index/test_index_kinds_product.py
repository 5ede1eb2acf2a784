"""The index kinds through the product: the library loads, saves and reloads its dense index of the configured
kind, and ``citebot ask`` answers with ``[index] kind = "milvus"`` (milvus-lite, for real)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bot import cli
from bot.config import load_config
from retrieval.collection import VECTORS_DIR
from retrieval.errors import CitebotError
from retrieval.index.vectors.base import read_meta
from retrieval.index.vectors.factory import IndexSettings
from retrieval.index.vectors.hnsw import HNSWIndex
from retrieval.index.vectors.milvus import MilvusIndex
from retrieval.library import Library
from tests.conftest import SAMPLES, copy_data_dir

QUESTION = "How many troops has Russia gathered on Ukraine's border?"


def top_pids(library: Library, question: str) -> list[str]:
    return [q.pid for q in library.ask(question, k=5).quotes]


def test_library_moves_to_hnsw_saves_it_and_reloads_it(tmp_path, sample_data_dir, embedder):
    data = tmp_path / "data"
    copy_data_dir(sample_data_dir, data)
    exact = Library(data, embedder, index=IndexSettings(kind="exact"))
    expected = top_pids(exact, QUESTION)
    assert exact.collection().dense.kind == "exact"

    auto = Library(data, embedder, index=IndexSettings(kind="auto", approximate_above=10))
    collection = auto.collection()
    assert collection.dense.kind == "hnsw" and collection.dense.count == collection.paragraph_count
    assert top_pids(auto, QUESTION)[:3] == expected[:3]
    assert read_meta(data / VECTORS_DIR)["kind"] == "hnsw", "the moved index is saved for the next start"

    # next start: the saved graph is loaded as is (no vector recomputed), and an id the store no longer has
    # (saved before its article was removed) is dropped
    graph = HNSWIndex.load(data / VECTORS_DIR)
    graph.upsert([987_654_321], graph.vectors_of(graph.ids()[:1]))
    graph.save(data / VECTORS_DIR)
    again = Library(data, embedder, index=IndexSettings(kind="auto", approximate_above=10))
    collection = again.collection()
    assert collection.dense.kind == "hnsw" and not collection.dense.contains([987_654_321])[0]
    assert collection.dense.count == collection.paragraph_count
    assert top_pids(again, QUESTION)[:3] == expected[:3]

    back = Library(data, embedder, index=IndexSettings(kind="exact"))
    assert back.collection().dense.kind == "exact" and top_pids(back, QUESTION)[:3] == expected[:3]


def run_cli(capsys, *args) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_ask_through_milvus_end_to_end(capsys, tmp_path, sample_data_dir):
    data = tmp_path / "data"
    copy_data_dir(sample_data_dir, data)
    config = tmp_path / "config.toml"
    config.write_text(f'[data]\ndir = {json.dumps(str(data))}\n\n[articles]\nfolders = [{json.dumps(str(SAMPLES))}]\n'
                      '\n[index]\nkind = "milvus"\n', encoding="utf-8")
    code, out, _ = run_cli(capsys, "--config", str(config), "ask", QUESTION, "--json")
    assert code == 0
    answer = json.loads(out)
    assert answer["found"] and "130,000" in answer["quotes"][0]["text"]
    meta = read_meta(data / VECTORS_DIR)
    assert meta["kind"] == "milvus" and (data / VECTORS_DIR / "milvus.db").exists()

    # a date filter runs inside Milvus: only the dated article can answer
    code, out, _ = run_cli(capsys, "--config", str(config), "ask", "What is the Amazon rainforest?",
                           "--since", "2022-02-01", "--json")
    assert code == 0
    quotes = json.loads(out)["quotes"]
    assert quotes and all(q["published"] == "2022-02-11" for q in quotes)

    # removing an article deletes its vectors from Milvus; the next process still answers from the same file
    code, out, _ = run_cli(capsys, "--config", str(config), "sources", "--json")
    amazon = next(r for r in json.loads(out) if "Amazon" in r["title"])
    before = MilvusIndex.load(data / VECTORS_DIR).count
    code, _, _ = run_cli(capsys, "--config", str(config), "remove", amazon["article_id"])
    assert code == 0
    code, out, _ = run_cli(capsys, "--config", str(config), "ask", "What is the Amazon rainforest?", "--json")
    assert code == 0 and all("Amazon" not in q["title"] for q in json.loads(out)["quotes"])
    assert MilvusIndex.load(data / VECTORS_DIR).count == before - amazon["paragraphs"]
    code, out, _ = run_cli(capsys, "--config", str(config), "ask", QUESTION, "--json")
    assert code == 0 and "130,000" in json.loads(out)["quotes"][0]["text"]


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ('[index]\nkind = "annoy"\n', "index.kind"),
        ("[index]\napproximate_above = -1\n", "index.approximate_above"),
        ("[index]\nhnsw_m = 1000\n", "index.hnsw_m"),
        ("[index]\nhnsw_ef_search = 0\n", "index.hnsw_ef_search"),
        ('[index]\nmilvus_uri = "localhost"\n', "index.milvus_uri"),
        ('[index]\nmilvus_collection = "9 lives"\n', "index.milvus_collection"),
        ('[index]\nkind = 3\n', "index.kind"),
    ],
)
def test_index_config_errors_name_the_key(tmp_path, toml, key):
    path = tmp_path / "c.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(CitebotError, match=key.replace(".", r"\.")):
        load_config(path)


def test_eval_picks_the_index_kind(capsys, tmp_path, config_file):
    from tests.conftest import squad_slice

    paragraphs, questions = squad_slice(tmp_path, docs=2, questions_per_doc=10)
    results = {}
    for kind in ("exact", "hnsw"):
        code, out, _ = run_cli(capsys, "--config", str(config_file), "eval", "retrieval", "--paragraphs",
                               str(paragraphs), "--questions", str(questions), "--index-kind", kind, "--json")
        assert code == 0
        results[kind] = json.loads(out)
    assert results["exact"]["index"] == "exact" and results["hnsw"]["index"] == "hnsw"
    assert results["hnsw"]["dense_recall@10_vs_exact"] >= 0.98
    assert abs(results["hnsw"]["recall@1"] - results["exact"]["recall@1"]) <= 0.05
    assert np.isfinite(results["hnsw"]["p50_ms"])
