"""Text for the formatting tests: random prose of known words, and what Discord shows for escaped markdown."""

from __future__ import annotations

import random
import re

WORDS = "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa".split()


def prose(n_words: int, seed: int = 0) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) for _ in range(n_words)) + "."


def unescape(markdown: str) -> str:
    """What Discord shows for escaped text: a backslash before punctuation disappears."""
    return re.sub(r"\\([^A-Za-z0-9\s])", r"\1", markdown)
