"""Scale benchmark: build a collection of N paragraphs of real text, then answer 200 real questions from it.

    .venv/bin/python benchmarks/scale.py --paragraphs 100000 [--json] [--index-kind K] [--cache PATH ...]

**Text.** Real sentences recombined: every cnn-news and squad-dev paragraph (``../shared/eval``) is split into
sentences with the product's own splitter (pysbd); the sentences whose real all-MiniLM-L6-v2 vector is in the
embedding cache(s) given with ``--cache`` form the pool (about 13,000 sentences with the caches that
``citebot eval retrieval`` leaves after squad-dev and part of cnn-news). Each synthetic article has 10 paragraphs
of 3 pool sentences drawn at random (seeded), a title made of its first sentence's first words, a publisher out of
five and a date spread over the year to 2026-11-26. The paragraphs that answer the questions are included
verbatim: the squad-dev paragraphs of 100 sampled squad-dev questions (one article per squad-dev title) and the
whole cnn-news stories of 100 sampled cnn-news highlight questions (only stories whose every sentence has a real
vector), dated among the others.

**Vectors (build only).** No model runs while building: sentence vectors are the real cached MiniLM vectors of
those very sentences (looked up by the hash of the text the product's splitter cut); a recombined paragraph's
vector is the unit mean of its three sentences' real vectors; the verbatim answer paragraphs have their own real
cached vectors. A text the splitter cut differently from the pool's sentences (rare; counted as
``derived_fallback``) gets the unit mixture 0.75 a + 0.25 b of two real vectors picked by its hash, as
benchmarks/incremental.py does.

**Build.** Through the product's own code: ``Library.upsert`` (paragraph splitting, sentence splitting, the SQLite
store, the in-memory collection, the snapshot written when the product's checkpoint rule says so), in chunks of
articles (each chunk one ``upsert`` call, as feeds add them), measured as ``build_s``. ``disk_mb``: the data
directory afterwards (store, write-ahead log, snapshot).

**Answering.** A FRESH process (``--answer``, started by this script) opens the data directory the way ``citebot
ask`` does (``bot.services.open_library`` on a config file) with the real model for the questions, and asks the
first question: ``load_s`` is from spawning that process to the first answer. It then asks all 200 questions
(top 10, the ``Library.ask`` path): ``p50_ms``/``p95_ms`` per question, query embedding included. ``rss_mb``: that
process's peak RSS. On a shared machine wall time includes waiting for a core: ``load_cpu_s``,
``p50_cpu_ms`` and ``p95_cpu_ms`` are the same spans in CPU time of the answering process (all its threads).
``hit_at_10``: share of questions whose gold paragraph (squad-dev) or story (cnn-news) is among
the 10 quotes (a sanity check, not a tuning target). ``--threads`` (default 1) sets OMP_NUM_THREADS for that
process (one query thread, as in the issue's table). Before it, an untimed process does once what a deployment
has done before its restart (the ONNX export of the query model into the data directory, where the checkout
has it; ``warm_s``); ``disk_mb`` is measured before that.

**Recall.** ``recall_at_10_vs_exact``: mean overlap of the final top 10 (paragraph ids) with an approximate index
kind forced against the exact one (two more answering processes, ``[index] kind`` in their config); null when this
checkout has no index kinds.

``--json`` prints one line, the last on stdout: {"paragraphs", "build_s", "disk_mb", "rss_mb", "load_s", "p50_ms",
"p95_ms", "recall_at_10_vs_exact", ...}.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from embeddings.cache import text_hash  # noqa: E402
from retrieval.evaluation.retrieval import read_jsonl  # noqa: E402

EVAL = ROOT.parent / "shared" / "eval"
MODEL = "all-MiniLM-L6-v2"
PER_ARTICLE = 10
PER_PARAGRAPH = 3
PUBLISHERS = ("Archive Wire", "Coast News", "Metro Daily", "The Evening Ledger", "Valley Post")
LAST_DAY = date(2026, 11, 26)
ORIGIN = "scale-benchmark"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def real_vectors(caches: list[Path]) -> dict[str, np.ndarray]:
    """Every cached real MiniLM vector, by text hash."""
    out: dict[str, np.ndarray] = {}
    for path in caches:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        for key, blob in conn.execute("SELECT hash, vector FROM embeddings WHERE model = ?", (MODEL,)):
            out[key] = np.frombuffer(blob, dtype=np.float32)
        conn.close()
    if len(out) < 1000:
        raise SystemExit(f"too few real vectors in {', '.join(map(str, caches))}: run `citebot eval retrieval` on "
                         "squad-dev and cnn-news first (see the module docstring)")
    return out


# ------------------------------------------------------------------------------------------------- the corpus
class Corpus:
    """The sentence pool, the verbatim answer articles and the 200 questions (all seeded)."""

    def __init__(self, vectors: dict[str, np.ndarray], questions: int, seed: int) -> None:
        from retrieval.text.sentences import split_sentences

        rng = random.Random(seed)
        cnn = read_jsonl(EVAL / "cnn-news" / "paragraphs.jsonl", ("text",))
        squad = read_jsonl(EVAL / "squad-dev" / "paragraphs.jsonl", ("text",))
        sentences: dict[str, None] = {}
        cnn_docs: dict[str, list[str]] = {}
        complete: dict[str, bool] = {}
        for p in cnn + squad:
            parts = split_sentences(p["text"])
            ok = text_hash(p["text"]) in vectors
            for s in parts:
                if text_hash(s) in vectors:
                    if 40 <= len(s) <= 400:
                        sentences[s] = None
                else:
                    ok = False
            complete[p["pid"]] = ok
        for p in cnn:
            cnn_docs.setdefault(p["doc_id"], []).append(p["pid"])
        self.sentences = list(sentences)
        self.sentence_vectors = np.stack([vectors[text_hash(s)] for s in self.sentences]).astype(np.float32)
        by_pid = {p["pid"]: p for p in cnn + squad}

        squad_q = [q for q in read_jsonl(EVAL / "squad-dev" / "questions.jsonl", ("question",))
                   if q.get("gold_pid") and complete.get(q["gold_pid"])]
        cnn_q = [q for q in read_jsonl(EVAL / "cnn-news" / "questions.jsonl", ("question",))
                 if q.get("gold_doc") in cnn_docs and all(complete[pid] for pid in cnn_docs[q["gold_doc"]])]
        rng.shuffle(squad_q)
        rng.shuffle(cnn_q)
        n_cnn = min(questions // 2, len(cnn_q))
        self.questions = [*cnn_q[:n_cnn], *squad_q[: questions - n_cnn]]
        rng.shuffle(self.questions)

        articles: dict[str, dict] = {}
        for q in self.questions:
            if "gold_doc" in q:
                key = f"cnn-{q['gold_doc']}"
                pids = cnn_docs[q["gold_doc"]]
            else:
                gold = by_pid[q["gold_pid"]]
                key = f"squad-{text_hash(gold['doc_id'])[:10]}"
                pids = [q["gold_pid"]]
            article = articles.setdefault(key, {"key": key, "title": by_pid[pids[0]]["title"], "pids": []})
            article["pids"] += [pid for pid in pids if pid not in article["pids"]]
        self.gold_articles = [
            {"key": a["key"], "title": a["title"], "paragraphs": [by_pid[pid]["text"] for pid in a["pids"]]}
            for a in articles.values()
        ]
        self.gold_text = {q["qid"]: by_pid[q["gold_pid"]]["text"] for q in self.questions if "gold_pid" in q}

    @property
    def gold_paragraphs(self) -> int:
        return sum(len(a["paragraphs"]) for a in self.gold_articles)


def synthetic_articles(corpus: Corpus, paragraphs: int, seed: int):
    """(articles as dicts, {paragraph text hash: sentence indices}) for ``paragraphs`` paragraphs in all."""
    rng = np.random.default_rng(seed)
    count = max(0, (paragraphs - corpus.gold_paragraphs) // PER_ARTICLE)
    total = count + len(corpus.gold_articles)
    gold_at = {int(i): a for i, a in zip(rng.choice(total, len(corpus.gold_articles), replace=False),
                                         corpus.gold_articles, strict=True)}
    n_sent = len(corpus.sentences)
    n = 0
    for i in range(total):
        day = (LAST_DAY - timedelta(days=364 * (total - 1 - i) // max(1, total - 1))).isoformat()
        if i in gold_at:
            gold = gold_at[i]
            yield {"key": gold["key"], "title": gold["title"], "source": "Eval Desk", "published": day,
                   "paragraphs": gold["paragraphs"], "parts": None}
            continue
        picks = rng.integers(0, n_sent, size=(PER_ARTICLE, PER_PARAGRAPH))
        texts = [" ".join(corpus.sentences[j] for j in row) for row in picks]
        words = corpus.sentences[picks[0, 0]].split()
        title = " ".join(words[:9]).rstrip(",;:") + f" ({n})"
        yield {"key": f"scale-{n:07d}", "title": title, "source": PUBLISHERS[n % len(PUBLISHERS)],
               "published": day, "paragraphs": texts, "parts": picks}
        n += 1


class DerivedEmbedder:
    """Build-time vectors from real ones (see the module docstring); never runs a model."""

    name = MODEL
    cache_key = MODEL

    def __init__(self, vectors: dict[str, np.ndarray], corpus: Corpus) -> None:
        self.vectors = vectors
        self.pool = corpus.sentence_vectors
        self.dimension = self.pool.shape[1]
        self.parts: dict[bytes, np.ndarray] = {}  # paragraph text digest -> sentence indices
        self.fallback = 0

    def remember(self, text: str, indices: np.ndarray) -> None:
        self.parts[hashlib.sha1(text.encode("utf-8")).digest()[:8]] = indices.astype(np.int32)

    def forget(self, texts) -> None:
        for text in texts:
            self.parts.pop(hashlib.sha1(text.encode("utf-8")).digest()[:8], None)

    def encode(self, texts, *args, **kwargs) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for n, text in enumerate(texts):
            digest = hashlib.sha1(text.encode("utf-8")).digest()
            real = self.vectors.get(digest.hex())
            if real is not None:
                out[n] = real
                continue
            parts = self.parts.get(digest[:8])
            if parts is not None:
                v = self.pool[parts].mean(axis=0)
            else:
                self.fallback += 1
                a = int.from_bytes(digest[:4], "little") % len(self.pool)
                b = int.from_bytes(digest[4:8], "little") % len(self.pool)
                v = 0.75 * self.pool[a] + 0.25 * self.pool[b]
            out[n] = v / np.linalg.norm(v)
        return out

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


# ------------------------------------------------------------------------------------------------- the steps
def write_config(work: Path, data: Path, kind: str | None) -> Path:
    path = work / f"config-{kind or 'default'}.toml"
    text = f'[data]\ndir = "{data}"\n\n[model]\nname = "{MODEL}"\n'
    if kind:
        text += f'\n[index]\nkind = "{kind}"\n'
    path.write_text(text, encoding="utf-8")
    return path


def build(args) -> None:
    """(Child process.) Build the collection in ``args.data``; prints one JSON line."""
    from embeddings import CachedEmbedder
    from retrieval.library import Library
    from retrieval.models import ArticleMeta
    from retrieval.text.articles import Article

    vectors = real_vectors([Path(c) for c in args.cache])
    corpus = Corpus(vectors, args.questions, args.seed)
    log(f"pool: {len(corpus.sentences)} real sentences, {len(corpus.questions)} questions, "
        f"{len(corpus.gold_articles)} answer articles ({corpus.gold_paragraphs} paragraphs)")
    Path(args.questions_file).write_text(
        "\n".join(json.dumps({**q, "gold_text": corpus.gold_text.get(q["qid"])}) for q in corpus.questions),
        encoding="utf-8")
    derived = DerivedEmbedder(vectors, corpus)
    library = Library(Path(args.data), CachedEmbedder(derived, None), **index_settings(args.index_kind))
    total_articles = (args.paragraphs - corpus.gold_paragraphs) // PER_ARTICLE + len(corpus.gold_articles)
    chunk = min(10000, max(500, total_articles // 5))
    started = time.perf_counter()
    batch: list = []
    done = 0

    def flush() -> None:
        nonlocal done
        library.upsert(batch, ORIGIN)
        for article in batch:
            derived.forget(article.text.split("\n\n"))
        done += len(batch)
        log(f"  {done}/{total_articles} articles, {time.perf_counter() - started:.0f} s, "
            f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
        batch.clear()

    for item in synthetic_articles(corpus, args.paragraphs, args.seed):
        if item["parts"] is not None:
            for text, parts in zip(item["paragraphs"], item["parts"], strict=True):
                derived.remember(text, parts)
        meta = ArticleMeta(item["key"], item["title"], item["source"], published=item["published"])
        batch.append(Article(meta, "\n\n".join(item["paragraphs"])))
        if len(batch) >= chunk:
            flush()
    if batch:
        flush()
    store = library.store
    if store.get_meta("snapshot_seq") != str(store.seq()):  # the product's rule left the last chunk out
        library.checkpoint(library.collection())
    build_s = time.perf_counter() - started
    articles, paragraphs = store.counts()
    print(json.dumps({"build_s": round(build_s, 1), "articles": articles, "paragraphs": paragraphs,
                      "derived_fallback": derived.fallback, "pool_sentences": len(corpus.sentences),
                      "build_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}),
          flush=True)


def answer(args) -> None:
    """(Child process.) Open the data directory as `citebot ask` does and ask every question; one JSON line."""
    from bot.config import load_config
    from bot.services import open_library

    questions = read_jsonl(Path(args.questions_file), ())
    library = open_library(load_config(args.config))
    library.ask(questions[0]["question"], 10)
    first = time.time()
    load_cpu = time.process_time()
    timings, cpu, tops, hits = [], [], [], 0
    for q in questions:
        started, started_cpu = time.perf_counter(), time.process_time()
        result = library.ask(q["question"], 10)
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        quotes = result.quotes[:10]
        tops.append([quote.pid for quote in quotes])
        if q.get("gold_doc"):
            hits += any(quote.article.article_id == f"cnn-{q['gold_doc']}" for quote in quotes)
        else:
            gold = q["gold_text"]
            hits += any(quote.text in gold or gold in quote.text for quote in quotes)
    figures = {"load_cpu_s": round(load_cpu, 2), "p50_cpu_ms": round(float(np.percentile(cpu, 50)), 1),
               "p95_cpu_ms": round(float(np.percentile(cpu, 95)), 1)}
    log(f"answering CPU time: {json.dumps(figures)}")
    print(json.dumps({"first_answer_at": first, "timings_ms": timings, "tops": tops, "hits": hits, **figures,
                      "load_avg": round(os.getloadavg()[0], 1),
                      "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}), flush=True)


def warm(args) -> None:
    """(Child process.) What a deployment did once before: the query model's one-off preparation (the ONNX export
    into the data directory where this checkout has one). Untimed; prints its seconds."""
    from bot.config import load_config
    from bot.services import open_library

    started = time.perf_counter()
    open_library(load_config(args.config)).embedder.encode_query("warm up the query model")
    print(json.dumps({"warm_s": round(time.perf_counter() - started, 1)}), flush=True)


def child(mode: str, extra: list[str], threads: int, script: Path = Path(__file__)) -> tuple[dict, float]:
    """Run ``script`` (this one by default) in ``mode`` in a fresh process; (its JSON line, the wall time it was
    started at)."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    started = time.time()
    proc = subprocess.run([sys.executable, str(script.resolve()), f"--{mode}", *extra], env=env,
                          stdout=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"the {mode} process failed (exit {proc.returncode})")
    return json.loads(proc.stdout.strip().splitlines()[-1]), started


def disk_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20


def index_kinds() -> tuple[str, str] | None:
    """(approximate, exact) ``[index] kind`` names when this checkout has index kinds, else None."""
    try:
        from retrieval.index.vectors.settings import KINDS
    except ImportError:
        return None
    return ("hnsw", "exact") if {"hnsw", "exact"} <= set(KINDS) else None


def index_settings(kind: str | None) -> dict:
    """``Library(index=...)`` for a forced kind where this checkout has index kinds (the build then makes it)."""
    if not kind or index_kinds() is None:
        return {}
    from retrieval.index.vectors.settings import IndexSettings

    return {"index": IndexSettings(kind=kind)}


def overlap(a: list[list[int]], b: list[list[int]]) -> float:
    scores = [len(set(x) & set(y)) / max(1, len(y)) for x, y in zip(a, b, strict=True) if y]
    return round(float(np.mean(scores)), 4) if scores else 0.0


def run(args) -> dict:
    begun = time.perf_counter()
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="citebot-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    data = work / "data"
    saved = work / "build.json"
    if data.exists() and not (args.reuse and saved.exists()):
        shutil.rmtree(data)
    qfile = work / "questions.jsonl"
    common = ["--paragraphs", str(args.paragraphs), "--data", str(data), "--questions-file", str(qfile),
              "--questions", str(args.questions), "--seed", str(args.seed)]
    if args.index_kind:
        common += ["--index-kind", args.index_kind]
    for cache in args.cache:
        common += ["--cache", cache]
    try:
        if args.reuse and saved.exists() and data.exists():
            built = json.loads(saved.read_text(encoding="utf-8"))
            log(f"reusing the collection built earlier: {built}")
        else:
            built, _ = child("build", common, args.threads)
            saved.write_text(json.dumps(built), encoding="utf-8")
            log(f"built: {built}")
        shutil.rmtree(data / "onnx", ignore_errors=True)  # each run exports again (untimed): the code may differ
        size = disk_mb(data)
        config = write_config(work, data, args.index_kind)
        warmed, _ = child("warm", [*common, "--config", str(config)], args.threads)
        answered, spawned = child("answer", [*common, "--config", str(config)], args.threads)
        timings = np.array(answered["timings_ms"])
        result = {
            "paragraphs": built["paragraphs"], "build_s": built["build_s"], "disk_mb": round(size),
            "rss_mb": answered["rss_mb"], "load_s": round(answered["first_answer_at"] - spawned, 2),
            "p50_ms": round(float(np.percentile(timings, 50)), 1),
            "p95_ms": round(float(np.percentile(timings, 95)), 1),
            "recall_at_10_vs_exact": None,
            "load_cpu_s": answered["load_cpu_s"], "p50_cpu_ms": answered["p50_cpu_ms"],
            "p95_cpu_ms": answered["p95_cpu_ms"],
            "articles": built["articles"], "questions": len(timings),
            "hit_at_10": round(answered["hits"] / len(timings), 3), "index_kind": args.index_kind or "default",
            "derived_fallback": built["derived_fallback"], "pool_sentences": built["pool_sentences"],
            "build_rss_mb": built["build_rss_mb"], "load_avg_1min": answered.get("load_avg"),
            "warm_s": warmed["warm_s"],
        }
        log(f"timed run: {json.dumps(result)}")
        kinds = index_kinds()
        if kinds and not args.no_recall:
            approximate, exact = kinds
            tops = {}
            for kind in (approximate, exact):
                if args.index_kind == kind:
                    tops[kind] = answered["tops"]
                else:
                    out, _ = child("answer", [*common, "--config", str(write_config(work, data, kind))],
                                   args.threads)
                    tops[kind] = out["tops"]
                    if kind == approximate:  # its timings too (its load converted the saved index: not shown)
                        result.update({f"{kind}_p50_ms": round(float(np.percentile(out["timings_ms"], 50)), 1),
                                       f"{kind}_p95_ms": round(float(np.percentile(out["timings_ms"], 95)), 1),
                                       f"{kind}_p50_cpu_ms": out["p50_cpu_ms"],
                                       f"{kind}_p95_cpu_ms": out["p95_cpu_ms"], f"{kind}_rss_mb": out["rss_mb"]})
            result["recall_at_10_vs_exact"] = overlap(tops[approximate], tops[exact])
            result["recall_kinds"] = f"{approximate} vs {exact}"
        result["total_s"] = round(time.perf_counter() - begun)
        return result
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--paragraphs", type=int, default=10000)
    parser.add_argument("--json", action="store_true", help="print one JSON line, the last on stdout")
    parser.add_argument("--index-kind", default=None, help="force an index kind ([index] kind) for the answering")
    parser.add_argument("--cache", action="append", default=None,
                        help="embedding cache(s) with real MiniLM vectors (default: data/embeddings.sqlite)")
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--threads", type=int, default=1, help="OMP_NUM_THREADS of the answering process")
    parser.add_argument("--work", default=None, help="work folder (default: a temporary one, removed)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--reuse", action="store_true",
                        help="answer from the collection an earlier --keep run built in --work (build_s is its)")
    parser.add_argument("--no-recall", action="store_true", help="skip the approximate-vs-exact runs")
    parser.add_argument("--build", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--answer", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--warm", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--questions-file", help=argparse.SUPPRESS)
    parser.add_argument("--config", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.cache = args.cache or [str(ROOT / "data" / "embeddings.sqlite")]
    if args.build:
        return build(args)
    if args.answer:
        return answer(args)
    if args.warm:
        return warm(args)
    result = run(args)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>24}: {value}")


if __name__ == "__main__":
    main()
