"""Recency prior and asked_at on dated news: cnn-news stories given deterministic dates.

Method: the first N stories of ../shared/eval/cnn-news get a publication day from a hash of their id (spread over
two years, 2023-01-01 + sha1(id) mod 730 days). Each highlight query is asked ``asked_at`` = its story's day + (hash
mod 7) days, so later stories are invisible to it. Four runs through ``Answerer.ask`` (the product's code):
  plain          the highlight as given, no date (what the eval measured before dates existed)
  asked_at       the same, answered as of asked_at (filter only: no time word, so no recency prior)
  latest         "What is the latest on: <highlight>" as of asked_at, recency prior on (retrieval.recency_weight)
  latest, off    the same wording with recency_weight 0 (filter only)
For each: article-level R@1 and R@5, and the mean age (days before asked_at) of the first quote's article.

    PYTHONPATH=. .venv/bin/python benchmarks/recency_check.py --stories 150 [--data-dir data]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from retrieval.evaluation.collection import build_collection  # noqa: E402
from retrieval.evaluation.retrieval import articles_from_paragraphs  # noqa: E402
from retrieval.library import open_embedder  # noqa: E402
from retrieval.query.answerer import Answerer  # noqa: E402
from retrieval.query.timefilter import TimeWindow  # noqa: E402
from retrieval.settings import RetrievalSettings  # noqa: E402

CNN = ROOT.parent / "shared" / "eval" / "cnn-news"
START = date(2023, 1, 1)


def bucket(text: str, n: int) -> int:
    return int(hashlib.sha1(text.encode()).hexdigest(), 16) % n


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stories", type=int, default=150)
    parser.add_argument("--data-dir", default=str(ROOT / "data"), help="folder of the embedding cache")
    parser.add_argument("--limit", type=int, default=None, help="questions")
    args = parser.parse_args()

    docs: list[str] = []
    rows = []
    for line in (CNN / "paragraphs.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["doc_id"] not in docs:
            if len(docs) == args.stories:
                break
            docs.append(row["doc_id"])
        row["published"] = (START + timedelta(days=bucket(row["doc_id"], 730))).isoformat()
        rows.append(row)
    day_of = {r["doc_id"]: date.fromisoformat(r["published"]) for r in rows}
    questions = [q for q in map(json.loads, (CNN / "questions.jsonl").read_text(encoding="utf-8").splitlines())
                 if q["gold_doc"] in day_of][: args.limit]

    embedder = open_embedder("all-MiniLM-L6-v2", Path(args.data_dir))
    articles, paragraphs = articles_from_paragraphs(rows)
    with tempfile.TemporaryDirectory() as tmp:
        collection = build_collection(Path(tmp) / "c", articles, paragraphs, embedder)
        results = {}
        for name, wording, dated, weight in [
            ("plain", "{q}", False, 0.15),
            ("asked_at", "{q}", True, 0.15),
            ("latest, off", "What is the latest on: {q}", True, 0.0),
            ("latest", "What is the latest on: {q}", True, 0.15),
        ]:
            answerer = Answerer(collection, embedder, RetrievalSettings(recency_weight=weight))
            hit1 = hit5 = 0
            ages = []
            for q in questions:
                asked = day_of[q["gold_doc"]] + timedelta(days=bucket(q["qid"], 7))
                window = TimeWindow(as_of=asked) if dated else None
                answer = answerer.ask(wording.format(q=q["question"]), k=5, window=window, today=asked)
                ids = [quote.article.article_id for quote in answer.quotes]
                hit1 += ids[:1] == [q["gold_doc"]]
                hit5 += q["gold_doc"] in ids[:5]
                if ids:
                    ages.append((asked - day_of[ids[0]]).days)
            n = len(questions)
            results[name] = {"R@1": round(hit1 / n, 3), "R@5": round(hit5 / n, 3),
                             "mean age of first quote (days)": round(sum(ages) / len(ages), 1)}
            print(name, results[name], flush=True)
        collection.dense.close()
    print(json.dumps({"stories": len(docs), "questions": len(questions), **results}))


if __name__ == "__main__":
    main()
