"""R@1 by question group from `citebot eval retrieval --details D.jsonl` (e.g. CoQA's `needs_history` turns).

    python benchmarks/coqa_breakdown.py D.jsonl ../shared/eval/coqa-dev/questions.jsonl
Reads the dataset's `needs_history` flag only to group the product's results; the product never sees it.
"even/odd conversations" split the conversations by their order in the file (0, 2, 4, ... / 1, 3, 5, ...): the
two halves a tuned constant is checked on.
"""

import json
import sys

details = {r["qid"]: r for r in map(json.loads, open(sys.argv[1], encoding="utf-8"))}
questions = [json.loads(line) for line in open(sys.argv[2], encoding="utf-8")]
groups: dict[str, list[bool]] = {}
conversation = -1
for q in questions:
    conversation += int(not q.get("history"))
    row = details.get(q["qid"])
    if row is None or q.get("gold_pid") is None:
        continue
    hit = row["rank"] == 1
    groups.setdefault("all with gold paragraph", []).append(hit)
    groups.setdefault("needs_history" if q.get("needs_history") else "not needs_history", []).append(hit)
    groups.setdefault("first turns" if not q.get("history") else "follow-ups", []).append(hit)
    groups.setdefault("article hit (all)", []).append(row["article_hit"])
    half = "odd" if conversation % 2 else "even"
    groups.setdefault(f"{half} conversations", []).append(hit)
    if q.get("needs_history"):
        groups.setdefault(f"{half} conversations, needs_history", []).append(hit)
    groups.setdefault(f"{half} conversations, article hit", []).append(row["article_hit"])
print(json.dumps({k: {"n": len(v), "R@1": round(sum(v) / len(v), 4)} for k, v in groups.items()}))
