#!/usr/bin/env bash
# Every figure in docs/benchmarks.md, from the project root, with ../shared beside it. Results go to $OUT.
# Cold (empty data/embeddings.sqlite) this takes about an hour on 2 cores; warm about 15 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-benchmarks/results}
EVAL=../shared/eval
mkdir -p "$OUT"
run() { echo "== $1" >&2; shift; /usr/bin/time -f '{"max_rss_kb": %M, "wall_s": %e}' "$@"; }
run squad-dev .venv/bin/citebot eval retrieval --paragraphs $EVAL/squad-dev/paragraphs.jsonl \
    --questions $EVAL/squad-dev/questions.jsonl --json > "$OUT/squad-dev.json"
run cnn-news .venv/bin/citebot eval retrieval --paragraphs $EVAL/cnn-news/paragraphs.jsonl \
    --questions $EVAL/cnn-news/questions.jsonl --json > "$OUT/cnn-news.json"
run abstention .venv/bin/python benchmarks/abstention.py > "$OUT/abstention.jsonl"
run summary .venv/bin/citebot eval summary --articles $EVAL/cnndm-val/articles.jsonl --json > "$OUT/summary.json"
run summary-75-words .venv/bin/citebot eval summary --articles $EVAL/cnndm-val/articles.jsonl --words 75 --json \
    > "$OUT/summary-75-words.json"
tail -n +1 "$OUT"/*
