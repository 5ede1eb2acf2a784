"""How far reading follow-ups in their context can go on a conversation set (default coqa-dev), through the product.

Runs `citebot eval retrieval`'s own code (``evaluate_retrieval``) with three readings of a follow-up — never in
context (no history), the change-of-subject rule in use, and always fully in context (``switch_below`` 0,
``full_above`` 0) — after its own conversation and after another one (``--history-from-other``'s pairing), and
prints paragraph R@1, article R@1 and R@1 on the ``needs_history`` turns (the dataset's flag is read only to group
the results). "Always" is the most any stick-or-switch rule can give the own-history run; its from-other row is
what it costs when the subject changes.

    PYTHONPATH=. .venv/bin/python benchmarks/context_ceiling.py --config C [--questions Q --paragraphs P]
"""

from __future__ import annotations

import sys
import tempfile
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from continuity_fit import conversation_setup  # noqa: E402

from retrieval.evaluation.retrieval import evaluate_retrieval, read_jsonl  # noqa: E402
from retrieval.query.conversation import ContextSettings  # noqa: E402

READINGS = {"rule in use": ContextSettings(), "always in context": replace(ContextSettings(), switch_below=0.0,
                                                                         full_above=0.0)}


def grouped(details: Path, questions: list[dict]) -> dict[str, float]:
    """Paragraph R@1, article R@1 and needs_history R@1 over the questions with a gold paragraph."""
    rows = {r["qid"]: r for r in read_jsonl(details, ("qid",))}
    scored = [(q, rows[q["qid"]]) for q in questions if q.get("gold_pid") and q["qid"] in rows]
    needs = [row["rank"] == 1 for q, row in scored if q.get("needs_history")]
    return {"R@1": sum(row["rank"] == 1 for _, row in scored) / len(scored),
            "article R@1": sum(bool(row["article_hit"]) for _, row in scored) / len(scored),
            "needs_history R@1": sum(needs) / len(needs) if needs else float("nan")}


def main() -> None:
    args, config, embedder = conversation_setup(__doc__.split("\n\n")[0])
    questions = read_jsonl(Path(args.questions), ("qid", "question"))
    runs = [("question alone", "none", None)] + [(name, mode, context) for name, context in READINGS.items()
                                                  for mode in ("given", "other")]
    print("| reading | history | R@1 | article R@1 | needs_history R@1 |\n|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="citebot-ceiling-") as tmp:
        for name, mode, context in runs:
            details = Path(tmp) / f"{len(name)}-{mode}.jsonl"
            evaluate_retrieval(Path(args.paragraphs), Path(args.questions), embedder, config.retrieval,
                               history_mode=mode, details=details, context=context)
            figures = grouped(details, questions)
            history = {"none": "none", "given": "its own", "other": "another conversation's"}[mode]
            print(f"| {name} | {history} | " + " | ".join(f"{v:.4f}" for v in figures.values()) + " |", flush=True)


if __name__ == "__main__":
    main()
