"""Many servers over one shared store (issue 23 item 2): question time and memory per server, not per server count.

    nice -n 19 .venv/bin/python benchmarks/servers_scale.py [--articles 10000] [--questions 200] [--json]

**Data directories** (one build, three copies; every article stored and embedded once):

- ``one``: one server holds all ``--articles`` articles (the store's only membership).
- ``many``: 200 servers hold 200 articles each, drawn from the same articles: four seeded permutations of them cut
  into 200 slices, so every article is in four servers (shared) and the store is the same articles as ``one``.
- ``few``: 20 servers of 200 (the first 20 slices), servers of 50, 1,000 and 5,000 articles, and the server that
  holds all of them (it keeps every article stored: the same store again, with 24 memberships instead of 200).

**Articles.** Synthetic: article *i* is three real cnn-news paragraphs (``../shared/eval``) in turn, each copy
marked "(Item i.j.)" so no two are equal, written straight through ``Store.put`` with the product's sentence
spans (split once per distinct paragraph), then memberships as the product stores them: origins
``server:<id>/added`` (the ``origins`` rows ``Store.touch`` writes when ``ServerView.add_url`` meets a page already
stored; here all in one transaction, which changes no indexed article: the store's change counter is checked).

**Vectors: a stand-in, NOT the model.** ``StandInEmbedder`` (this file only) gives every text, passage or
question, the unit mixture 0.75 a + 0.25 b of two seeded random unit vectors picked by the text's SHA-1: cheap,
deterministic, 384 dimensions like all-MiniLM-L6-v2 (whose name it carries, so the product's fitted retrieval
settings for that model apply). Ranking quality is therefore meaningless here; the figures are the cost of the
question path (BM25 over the real text, the dense search, the server's mask, the reader) without the query
embedding, which the real model adds on top (about 5-15 ms, see "Query path" in docs/benchmarks.md).

**Asking.** Each directory is opened by a FRESH process (``Library.collection()`` loads the snapshot), which asks
real cnn-news highlight questions, each in a randomly chosen server, through the bot's own per-server path:
``bot.servers.server_view(Config(), library, guild_id).ask(question, 10)`` (the ``ServerView`` and its
``ScopedCollection`` reading). Reported per group: p50/p95 wall ms and p95 CPU ms; per process: peak RSS
(``ru_maxrss``) and the load time; per directory: its size on disk. ``quotes_from_other_servers`` counts (untimed)
quotes of an article the asking server does not hold: it must be 0.

**Flood isolation** (``--flood N``, issue 23 item 5, in ``many``'s process): N questions in server B timed quiet
and N more while server A keeps ``[limits] queue_size`` (derived: 300; 40 before round 7) questions waiting, all
through ``CitebotBot.answer`` (the bot's answer slots and worker threads; no gateway: the bot is built, not connected).
The phases take turns ``FLOOD_ROUNDS`` (5) times, each round B quiet, B during A's flood, then A flooding alone
for ``FLOOD_ALONE_S``, so a load that changes on a shared machine weighs on all of them alike; A's answers per
second alone (``server_a_per_s_alone``) is what the isolation may cost a lone server. The issue asks B's p95 under
the flood to stay within 20 % of its quiet p95 (``p95_ratio`` <= 1.2).

``--json`` prints one JSON line, the last on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scale import child as run_child  # noqa: E402 - the sibling benchmark's fresh-process runner
from scale import disk_mb  # noqa: E402

EVAL = ROOT.parent / "shared" / "eval" / "cnn-news"
MODEL = "all-MiniLM-L6-v2"
PER_ARTICLE = 3
SERVERS, PER_SERVER, COPIES = 200, 200, 4
FEW = 20
FLOOD_ROUNDS = 5  # --flood: quiet, flooded and A-alone phases take turns this many times
FLOOD_WARMUP_S = 0.3  # A's flood runs this long before B asks (its slots all taken, its queue full)
FLOOD_ALONE_S = 2.0  # A floods alone this long each round: its answers per second without another server
BIG = 999_000  # the server holding every article
SWEEP = {999_050: 50, 999_100: 1000, 999_500: 5000}  # more servers of other sizes (in ``few``)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class StandInEmbedder:
    """NOT a model: seeded random vectors picked by each text's hash (see the module docstring)."""

    name = MODEL
    cache_key = MODEL
    dimension = 384

    def __init__(self, seed: int = 7, pool: int = 4096) -> None:
        vectors = np.random.default_rng(seed).standard_normal((pool, self.dimension)).astype(np.float32)
        self.pool = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    def encode(self, texts, progress=None, batch: int = 256) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for n, text in enumerate(texts):
            digest = hashlib.sha1(text.encode("utf-8")).digest()
            a = int.from_bytes(digest[:4], "little") % len(self.pool)
            b = int.from_bytes(digest[4:8], "little") % len(self.pool)
            v = 0.75 * self.pool[a] + 0.25 * self.pool[b]
            out[n] = v / np.linalg.norm(v)
        return out

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


def open_library(data: Path):
    from embeddings import CachedEmbedder
    from retrieval.library import Library

    return Library(data, CachedEmbedder(StandInEmbedder(), None))


def memberships(articles: int, seed: int) -> dict[int, list[str]]:
    """Server id -> the keys it holds in ``many`` (every article in COPIES servers)."""
    rng = random.Random(seed)
    keys = [f"a{i:06d}" for i in range(articles)]
    slots: list[str] = []
    for _ in range(COPIES):
        order = keys[:]
        rng.shuffle(order)
        slots += order
    size = len(slots) // SERVERS
    return {s + 1: list(dict.fromkeys(slots[s * size:(s + 1) * size])) for s in range(SERVERS)}


# ------------------------------------------------------------------------------------------------- build (child)
def build(args) -> None:
    from retrieval.index.identity import text_hash
    from retrieval.index.store import Store
    from retrieval.library import STORE_FILE
    from retrieval.models import ArticleMeta
    from retrieval.tenants import server_origin
    from retrieval.text.paragraphs import make_paragraph
    from retrieval.text.sentences import sentence_spans

    work = Path(args.work)
    one = work / "one"
    one.mkdir(parents=True)
    texts = [json.loads(line)["text"] for line in (EVAL / "paragraphs.jsonl").read_text(encoding="utf-8").splitlines()]
    spans_of: dict[int, list] = {}
    started = time.perf_counter()
    store = Store(one / STORE_FILE)
    for i in range(args.articles):
        key, head = f"a{i:06d}", f"Item {i}\n\n"
        parts, spans, body, offset = [], [], [], len(head)
        for j in range(PER_ARTICLE):
            n = (i * PER_ARTICLE + j) % len(texts)
            if n not in spans_of:
                spans_of[n] = sentence_spans(texts[n])
            text = f"{texts[n]} (Item {i}.{j}.)"
            parts.append(make_paragraph(key, j + 1, text, offset, offset + len(text)))
            spans.append([*spans_of[n], (len(texts[n]) + 1, len(text))])
            body.append(text)
            offset += len(text) + 2
        article = head + "\n\n".join(body)
        meta = ArticleMeta(key, f"Item {i}", "Archive", None, f"20{10 + i % 15}-01-01")
        store.put(meta, article, text_hash(article), parts, spans, server_origin(BIG), [])
    store_s = time.perf_counter() - started
    store.close()
    started = time.perf_counter()
    library = open_library(one)
    collection = library.collection()  # vectors (stand-in), BM25, dense index, snapshot
    if library.store.get_meta("snapshot_seq") != str(library.store.seq()):
        library.checkpoint(collection)
    index_s = time.perf_counter() - started
    library.store.close()
    shutil.copytree(one, work / "many")
    shutil.copytree(one, work / "few")
    held = memberships(args.articles, args.seed)
    started = time.perf_counter()
    for name, servers in (("many", held), ("few", {s: held[s] for s in range(1, FEW + 1)})):
        rows = [(key, server_origin(server)) for server, keys in servers.items() for key in keys]
        if name == "few":
            rng = random.Random(args.seed + 1)
            rows += [(f"a{i:06d}", server_origin(server)) for server, size in SWEEP.items()
                     for i in rng.sample(range(args.articles), min(size, args.articles))]
        store = Store(work / name / STORE_FILE)
        seq = store.seq()
        with store.transaction() as conn:  # the rows Store.touch writes for a stored page, in one transaction
            conn.executemany("INSERT OR IGNORE INTO origins VALUES (?, ?)", rows)
            if name == "many":  # exactly the setup: the 200 servers hold every article, nobody else
                conn.execute("DELETE FROM origins WHERE origin = ?", (server_origin(BIG),))
        assert store.seq() == seq, "memberships changed the indexed articles"
        assert store.counts()[0] == args.articles and all(store.origins(f"a{i:06d}") for i in range(args.articles))
        store.close()
    members_s = time.perf_counter() - started
    print(json.dumps({"store_s": round(store_s, 1), "index_s": round(index_s, 1), "members_s": round(members_s, 1),
                      "build_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}),
          flush=True)


# ------------------------------------------------------------------------------------------------- ask (child)
def ask(args) -> None:
    from bot.config import Config
    from bot.servers import server_view

    questions = [json.loads(line)["question"]
                 for line in (EVAL / "questions.jsonl").read_text(encoding="utf-8").splitlines()]
    groups: list[tuple[str, list[int], int]] = json.loads(args.groups)
    rng = random.Random(args.seed + 2)
    config = Config()
    started = time.perf_counter()
    library = open_library(Path(args.data))
    collection = library.collection()
    load_s = time.perf_counter() - started
    server_view(config, library, groups[0][1][0]).ask(questions[0], 10)  # first question: untimed
    out = {"load_s": round(load_s, 2), "paragraphs": collection.paragraph_count, "groups": {}}
    for name, servers, count in groups:
        wall, cpu, quotes, leaks = [], [], 0, 0
        for _ in range(count):
            guild, question = rng.choice(servers), rng.choice(questions)
            t0, c0 = time.perf_counter(), time.thread_time()
            view = server_view(config, library, guild)
            answer = view.ask(question, 10)
            wall.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.thread_time() - c0) * 1000)
            quotes += len(answer.quotes)
            seen = view.keys()  # untimed check: every quote is one of the server's articles
            leaks += sum(quote.article.article_id not in seen for quote in answer.quotes)
        out["groups"][name] = {
            "servers": len(servers), "questions": count,
            "p50_ms": round(float(np.percentile(wall, 50)), 1), "p95_ms": round(float(np.percentile(wall, 95)), 1),
            "p50_cpu_ms": round(float(np.percentile(cpu, 50)), 1),
            "p95_cpu_ms": round(float(np.percentile(cpu, 95)), 1),
            "quotes_per_answer": round(quotes / max(1, count), 1), "quotes_from_other_servers": leaks}
        log(f"  {args.data}: {name}: {out['groups'][name]}")
    out["rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    if args.flood:
        out["flood"] = asyncio.run(flood(config, library, questions, groups[0][1][:2], args.flood, rng))
    out["load_avg"] = round(os.getloadavg()[0], 1)
    print(json.dumps(out), flush=True)


async def flood(config, library, questions: list[str], servers: list[int], count: int, rng: random.Random,
                rounds: int = FLOOD_ROUNDS) -> dict:
    """Server B's question time, quiet and while server A floods, and A's answers per second alone: through
    ``CitebotBot.answer`` (its answer slots and worker threads), with ``[limits] queue_size`` questions from A always
    waiting while it floods (as many as the bot admits at once; the per-user and per-channel limits of
    bot/flood.py are assumed passed: many users in many channels). The phases take turns ``rounds`` times (B
    quiet, B during A's flood, A alone), so a load that changes on a shared machine weighs on each alike."""
    from bot.discord_app import CitebotBot

    flooder, quiet_one = servers
    bot = CitebotBot(config, library, extensions=())
    picks = iter([rng.choice(questions) for _ in range(2 * count)])
    quiet: list[float] = []
    during: list[float] = []
    answered = {"with_b": 0.0, "with_b_s": 0.0, "alone": 0.0, "alone_s": 0.0}

    async def timed(into: list[float]) -> None:
        started = time.perf_counter()
        await bot.answer(next(picks), 10, guild_id=quiet_one)
        into.append((time.perf_counter() - started) * 1000)

    async def flooded(phase: str, busy) -> None:
        """A floods while ``busy()`` runs; its answers in that time are counted (the backlog drains untimed)."""
        stop = asyncio.Event()
        counting = False
        done = 0

        async def flooding() -> None:
            nonlocal done
            while not stop.is_set():
                await bot.answer(rng.choice(questions), 10, guild_id=flooder)
                done += counting

        tasks = [asyncio.create_task(flooding()) for _ in range(bot.flood.queue_size)]
        await asyncio.sleep(FLOOD_WARMUP_S)
        counting, began = True, time.perf_counter()
        await busy()
        answered[f"{phase}_s"] += time.perf_counter() - began
        counting = False
        answered[phase] += done
        stop.set()
        await asyncio.gather(*tasks)

    async def b_asks(into: list[float], n: int) -> None:
        for _ in range(n):
            await timed(into)

    for r in range(rounds):
        n = count // rounds + (r < count % rounds)
        await b_asks(quiet, n)
        await flooded("with_b", lambda n=n: b_asks(during, n))
        await flooded("alone", lambda: asyncio.sleep(FLOOD_ALONE_S))
    p95_quiet, p95_flood = float(np.percentile(quiet, 95)), float(np.percentile(during, 95))
    return {"server_b_questions": count, "rounds": rounds, "flood_waiting": bot.flood.queue_size,
            "quiet_p50_ms": round(float(np.percentile(quiet, 50)), 1), "quiet_p95_ms": round(p95_quiet, 1),
            "flood_p50_ms": round(float(np.percentile(during, 50)), 1), "flood_p95_ms": round(p95_flood, 1),
            "p95_ratio": round(p95_flood / p95_quiet, 2), "server_a_answered": int(answered["with_b"]),
            "server_a_per_s_with_b": round(answered["with_b"] / max(answered["with_b_s"], 1e-9), 1),
            "server_a_per_s_alone": round(answered["alone"] / max(answered["alone_s"], 1e-9), 1),
            "load_avg": round(os.getloadavg()[0], 1)}


def child(mode: str, extra: list[str]) -> dict:
    """This script in ``mode`` in a fresh single-threaded process: its JSON line (scale.py's runner)."""
    return run_child(mode, extra, 1, Path(__file__))[0]


def run(args) -> dict:
    begun = time.perf_counter()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="citebot-servers-"))
    if args.keep and work.exists():
        raise SystemExit(f"{work} already exists: --keep names a new folder")
    try:
        common = ["--articles", str(args.articles), "--seed", str(args.seed), "--work", str(work)]
        built = child("build", common)
        log(f"built: {built}")
        q = args.questions
        plans = {
            "one": [("1 server of all", [BIG], q)],
            "many": [("200 servers of 200", list(range(1, SERVERS + 1)), q)],
            "few": [("20 servers of 200", list(range(1, FEW + 1)), q),
                    *[(f"1 server of {size}", [server], max(20, q // 2)) for server, size in SWEEP.items()],
                    ("1 server of all (masked)", [BIG], max(20, q // 2))],
        }
        result: dict = {"articles": args.articles, "paragraphs": args.articles * PER_ARTICLE, **built, "dirs": {}}
        for name, groups in plans.items():
            extra = ["--flood", str(args.flood)] if args.flood and name == "many" else []
            asked = child("ask", [*common, "--data", str(work / name), "--groups", json.dumps(groups), *extra])
            result["dirs"][name] = {"disk_mb": round(disk_mb(work / name), 1), **asked}
        result["total_s"] = round(time.perf_counter() - begun)
        return result
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=10000, help="distinct articles (default 10000)")
    parser.add_argument("--questions", type=int, default=200, help="questions per main group (default 200)")
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument("--flood", type=int, default=0,
                        help="also the flood-isolation figure in `many`: N questions in server B, quiet then while "
                             "server A floods (default 0: skipped)")
    parser.add_argument("--keep", default=None, help="build in this new folder and keep it (default: a temporary one)")
    parser.add_argument("--json", action="store_true", help="print one JSON line, the last on stdout")
    parser.add_argument("--build", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--ask", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--groups", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        return build(args)
    if args.ask:
        return ask(args)
    result = run(args)
    print(json.dumps(result) if args.json else json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
