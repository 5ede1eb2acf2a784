"""Feedback store and /report timing: 1,000 recorded answers (700 "not covered", about 270 distinct wordings of 60
subjects), a vote on every third, then the report with the question model as the bot runs it (ONNX Runtime).

    .venv/bin/python benchmarks/feedback_report.py [--runtime onnx|torch]

The questions are synthetic (seeded): five phrasings of six subjects in ten cities. The model export made on first
use is done before the timing starts.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from retrieval.feedback import DOWN, UP, FeedbackStore  # noqa: E402
from retrieval.feedback_report import build_report, normalise  # noqa: E402
from retrieval.library import open_embedder  # noqa: E402
from retrieval.models import Answer, ArticleMeta, Quote  # noqa: E402

SUBJECTS = ["weather in {c}", "the football score in {c}", "train strikes in {c}", "house prices in {c}",
            "the mayor of {c}", "school holidays in {c}"]
CITIES = ["Paris", "Leeds", "Lyon", "Porto", "Ghent", "Turin", "Cork", "Split", "Bergen", "Graz"]
FORMS = ["What is the latest on {s}?", "Any news about {s}?", "Tell me about {s}", "{s}?", "What happened with {s}"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runtime", choices=("onnx", "torch"), default="onnx")
    args = parser.parse_args()
    rng = random.Random(7)
    quote = Quote("One sentence. Another.", "One sentence.", 0, ArticleMeta("a1", "Title"), 1, 0.5, "a1-p1")
    with tempfile.TemporaryDirectory() as tmp:
        store = FeedbackStore.in_folder(tmp)
        started = time.perf_counter()
        for n in range(1000):
            missed = n % 10 < 7
            text = (rng.choice(FORMS).format(s=rng.choice(SUBJECTS).format(c=rng.choice(CITIES))) if missed
                    else f"question {n}")
            store.record(n, Answer(text, not missed, [quote] * 10), asker_id=n % 50, at=1000.0 + n)
            if n % 3 == 0:
                store.vote(n, n % 40, UP if n % 2 else DOWN)
        recorded = time.perf_counter() - started
        embedder = open_embedder("all-MiniLM-L6-v2", Path(tmp), 32, args.runtime)
        embedder.encode_query("warm-up")
        started = time.perf_counter()
        report = build_report(store, 0.0, embedder.encode_query)
        built = time.perf_counter() - started
        distinct = len({normalise(r["question"]) for r in store.answers() if not r["found"]})
        print(f"record 1000 answers and 334 votes (one transaction each, full fsync): {recorded:.2f} s")
        print(f"build_report ({args.runtime}): {built:.2f} s for {report['not_covered']} not covered, "
              f"{distinct} distinct; groups: {[(g['question'], g['count']) for g in report['not_covered_groups']]}")
        store.close()


if __name__ == "__main__":
    main()
