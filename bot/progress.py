"""Progress of `citebot index` / `add` on stderr: pages fetched and failed, texts embedded — one live line at a
terminal, a line every few seconds otherwise (logs, CI); and failures counted by cause with a few examples."""

from __future__ import annotations

import re
import sys
import time
from collections import defaultdict
from typing import TextIO

from bot.terminal import printable

PERIODIC_SECONDS = 10.0  # between two progress lines when stderr is not a terminal
EXAMPLES = 3  # failing items named per cause
_FETCHING = re.compile(r"^fetching (?P<source>.*?)(?: \((?P<failed>\d+) failed\))?$")


class IndexProgress:
    """A ``Progress`` callable ``(stage, done, total)`` for the library's stages ("fetching NAME [(N failed)]",
    "read", "paragraphs", "sentences"). ``live``: rewrite one line in place (a terminal); else print a line at
    most every ``every`` seconds, and one when a stage ends."""

    def __init__(self, live: bool, stream: TextIO | None = None, every: float = PERIODIC_SECONDS) -> None:
        self.live = live
        self.stream = stream or sys.stderr
        self.every = every
        self.fetch: tuple[str, int, int, int] | None = None  # (source, done, total, failed)
        self.embed: tuple[str, int, int] | None = None  # (what, done, total)
        self.last_print = float("-inf")
        self.width = 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if total <= 0:  # nothing to do in this stage (e.g. all texts cached): nothing to show
            return
        match = _FETCHING.match(stage)
        if match:
            self.fetch = (match["source"], done, total, int(match["failed"] or 0))
        elif stage in ("paragraphs", "sentences"):
            self.embed = (stage, done, total)
        else:
            return
        finished = done >= total
        now = time.monotonic()
        if self.live:
            self.show(self.text(), end="\n" if finished and not match else "")
        elif finished or now - self.last_print >= self.every:
            self.last_print = now
            self.show(self.text(), end="\n")

    def text(self) -> str:
        parts = []
        if self.fetch:
            source, done, total, failed = self.fetch
            parts.append(f"{source}: fetched {done - failed}/{total} page(s), {failed} failed")
        if self.embed:
            what, done, total = self.embed
            parts.append(f"embedded {done}/{total} {what}")
        return printable(" · ".join(parts))

    def show(self, text: str, end: str) -> None:
        if self.live:
            pad = " " * max(0, self.width - len(text))
            self.width = 0 if end else len(text)
            print(f"\r{text}{pad}", end=end, file=self.stream, flush=True)
        else:
            print(text, file=self.stream, flush=True)

    def close(self) -> None:
        """End a live line left open."""
        if self.live and self.width:
            print(file=self.stream, flush=True)
            self.width = 0


def failure_lines(failures: list[tuple[str, str]], examples: int = EXAMPLES) -> list[str]:
    """Failures counted by cause, most frequent first, each with up to ``examples`` items and their reasons::

          failed: 12 × HTTP 404 Not Found
            https://…/a: HTTP 404 Not Found
            …and 9 more
    """
    from retrieval.sources.retry import cause

    groups: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for item, reason in failures:
        groups[cause(reason)].append((str(item), str(reason)))
    lines = []
    for name, items in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        lines.append(printable(f"  failed: {len(items)} × {name}"))
        lines += [printable(f"    {item}: {reason}") for item, reason in items[:examples]]
        if len(items) > examples:
            lines.append(f"    …and {len(items) - examples} more")
    return lines
