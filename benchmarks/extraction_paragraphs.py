"""How page paragraphs map onto indexed paragraphs on an extraction set (gold bodies split at blank lines).

Each distinct gold paragraph is "one" (the goal: one indexed paragraph per page paragraph), "split", "merged" into a
larger indexed paragraph, or "missing" (see paragraph_mapping). Also compares the extraction strategies (precise
only, default only, merged) with the benchmark metric.

    PYTHONPATH=. python benchmarks/extraction_paragraphs.py ../shared/eval/extraction
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import retrieval.text.html as pages
from retrieval.evaluation.extraction import evaluate_extraction, shingles
from retrieval.text.paragraphs import ParagraphSplitter


def paragraph_mapping(set_dir: Path) -> Counter:
    """Each gold paragraph (at least 5 shingles) as: "one" (a single indexed paragraph, made mostly of it, holds at
    least half of it), "split" (several such pieces together do), "merged" (it sits inside a larger indexed
    paragraph made mostly of other text) or "missing". Repeated identical paragraphs count once."""
    splitter = ParagraphSplitter()
    counts: Counter = Counter()
    for line in (set_dir / "gold.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        html = (set_dir / "pages" / f"{row['id']}.html").read_text(encoding="utf-8")
        page = pages.extract_page(html, row["url"])
        texts = dict.fromkeys(p.text for p in splitter.split("x", pages.article_text(page.blocks)))
        indexed = [set(shingles(t)) for t in texts]
        for para in dict.fromkeys(row["body"].split("\n\n")):
            gold = set(shingles(para))
            if len(gold) < 5:
                continue
            pieces = [ip for ip in indexed if ip and len(ip & gold) >= 0.5 * len(ip)]
            if any(len(ip & gold) >= 0.5 * len(gold) for ip in pieces):
                counts["one"] += 1
            elif len(set().union(*pieces) & gold) >= 0.5 * len(gold) if pieces else False:
                counts["split"] += 1
            elif any(len(ip & gold) >= 0.5 * len(gold) for ip in indexed):
                counts["merged"] += 1
            else:
                counts["missing"] += 1
    return counts


def main() -> None:
    set_dir = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/eval/extraction")
    counts = paragraph_mapping(set_dir)
    total = sum(counts.values())
    print(f"gold paragraphs: {total}; " + ", ".join(f"{k} {counts[k] / total:.3f}"
                                                     for k in ("one", "split", "merged", "missing")))
    merged = pages.merge_blocks
    for name, strategy in [("merged (shipped)", merged), ("precise only", lambda p, d: p or d),
                           ("default only", lambda p, d: d or p)]:
        pages.merge_blocks = strategy
        print(name, json.dumps(evaluate_extraction(set_dir)))
    pages.merge_blocks = merged


if __name__ == "__main__":
    main()
