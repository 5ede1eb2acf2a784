"""How page paragraphs map onto indexed paragraphs on an extraction set (gold bodies split at blank lines).

For each gold paragraph of at least 8 tokens: in how many indexed paragraphs do its 4-token shingles mostly (>= 50 %)
fall? 1 is the goal (one indexed paragraph per page paragraph); 0 means lost; >1 means split. Also compares the
extraction strategies (precise only, default only, merged) with the benchmark metric.

    PYTHONPATH=. python benchmarks/extraction_paragraphs.py ../shared/eval/extraction
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import retrieval.sources.pages as pages
from retrieval.extraction_eval import evaluate_extraction, shingles
from retrieval.paragraphs import ParagraphSplitter


def paragraph_mapping(set_dir: Path) -> Counter:
    splitter = ParagraphSplitter()
    counts: Counter = Counter()
    for line in (set_dir / "gold.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        html = (set_dir / "pages" / f"{row['id']}.html").read_text(encoding="utf-8")
        page = pages.extract_page(html, row["url"])
        indexed = [set(shingles(p.text)) for p in splitter.split("x", pages.article_text(page.blocks))]
        for para in row["body"].split("\n\n"):
            gold = set(shingles(para))
            if len(gold) < 5:
                continue
            hits = sum(1 for ip in indexed if len(gold & ip) >= 0.5 * len(gold))
            counts[min(hits, 2)] += 1
    return counts


def main() -> None:
    set_dir = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/eval/extraction")
    counts = paragraph_mapping(set_dir)
    total = sum(counts.values())
    print(f"gold paragraphs: {total}; in exactly one indexed paragraph {counts[1] / total:.3f}, "
          f"in none {counts[0] / total:.3f}, split over several {counts[2] / total:.3f}")
    merged = pages.merge_blocks
    for name, strategy in [("merged (shipped)", merged), ("precise only", lambda p, d: p or d),
                           ("default only", lambda p, d: d or p)]:
        pages.merge_blocks = strategy
        print(name, json.dumps(evaluate_extraction(set_dir)))
    pages.merge_blocks = merged


if __name__ == "__main__":
    main()
