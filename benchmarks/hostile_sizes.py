"""Hostile sizes (issue 21): feed deduplication of 2,000 and 10,000 entries, one 229,000-character paragraph split.

Run: ``.venv/bin/python benchmarks/hostile_sizes.py`` (figures in docs/benchmarks.md)."""

import time

from retrieval.sources.feeds import FeedEntry
from retrieval.sources.fetch import SourceState, feed_targets
from retrieval.sources.spec import SourceSpec
from retrieval.text.paragraphs import ParagraphSplitter

for n in (2000, 10000):
    entries = []
    for i in range(n // 2):
        entries += [FeedEntry(f"https://news.example.org/story/{i}"),
                    FeedEntry(f"https://news.example.org/story/{i}/?utm_source=rss")]
    spec = SourceSpec("feed", "https://news.example.org/feed.xml", max_items=0)
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        feed_targets(entries, spec, SourceState())
        timings.append(time.perf_counter() - started)
    best = min(timings)
    print(f"feed dedup {n} entries: {best:.2f} s")
text = (("The council met on Monday and discussed the harbour " * 4 + "again. ") * 1100)[:229_000]
started = time.perf_counter()
paragraphs = ParagraphSplitter().split("x", text)
print(f"split 229,000 characters: {len(paragraphs)} paragraphs in {time.perf_counter() - started:.1f} s")
