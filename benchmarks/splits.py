"""Fixed dev splits of squad-dev for calibrating and checking "not found" (written down, not random).

The articles are sorted by doc_id; even positions form half A, odd positions half B. For a split "A", the
paragraphs of A are indexed and the questions are A's (answerable) plus B's with ``gold_pid: null`` (absent).
The near-topic split keeps every article but removes, for each question in a sample, its gold paragraph.
"""

from __future__ import annotations

import json
from pathlib import Path


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def half_split(squad: Path, out: Path, indexed: str) -> tuple[Path, Path]:
    """Paragraphs of half ``indexed`` ("A" or "B") and questions of both halves, the other's marked absent."""
    paragraphs, questions = _read(squad / "paragraphs.jsonl"), _read(squad / "questions.jsonl")
    docs = sorted({p["doc_id"] for p in paragraphs})
    half = {d for i, d in enumerate(docs) if (i % 2 == 0) == (indexed == "A")}
    doc_of = {p["pid"]: p["doc_id"] for p in paragraphs}
    kept = [p for p in paragraphs if p["doc_id"] in half]
    asked = [q if doc_of[q["gold_pid"]] in half else {**q, "gold_pid": None} for q in questions]
    out.mkdir(parents=True, exist_ok=True)
    return _write(out / f"paragraphs-{indexed}.jsonl", kept), _write(out / f"questions-{indexed}.jsonl", asked)


def near_topic_split(squad: Path, out: Path, every: int = 10) -> tuple[Path, Path]:
    """Every article indexed, minus one paragraph in ``every``; questions on removed paragraphs become absent."""
    paragraphs, questions = _read(squad / "paragraphs.jsonl"), _read(squad / "questions.jsonl")
    removed = {p["pid"] for i, p in enumerate(paragraphs) if i % every == 0}
    kept = [p for p in paragraphs if p["pid"] not in removed]
    asked = [{**q, "gold_pid": None} if q["gold_pid"] in removed else q for q in questions]
    out.mkdir(parents=True, exist_ok=True)
    return _write(out / "paragraphs-near.jsonl", kept), _write(out / "questions-near.jsonl", asked)
