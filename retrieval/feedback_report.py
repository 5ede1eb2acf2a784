"""The feedback report: for a period, questions asked, answered vs "not covered", the 👍/👎 rate, the questions the
articles did not cover grouped by similarity (what to subscribe to next), and the worst-rated answers."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import numpy as np

from retrieval.errors import CitebotError
from retrieval.feedback import FeedbackStore

#: Cosine between two questions' vectors (all-MiniLM-L6-v2) from which they ask the same thing in other words.
SAME_QUESTION = 0.6
_PERIOD = re.compile(r"^(\d{1,5})\s*([hdw])$", re.IGNORECASE)
_UNIT_SECONDS = {"h": 3600, "d": 86400, "w": 7 * 86400}


def parse_since(text: str, now: float | None = None) -> float:
    """'24h', '7d', '2w' (back from now) or 'YYYY-MM-DD' (from that day's start, UTC) as a unix time;
    ``CitebotError`` naming the value otherwise."""
    now = time.time() if now is None else now
    value = (text or "").strip()
    match = _PERIOD.match(value)
    if match:
        return now - int(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC).timestamp()
    except ValueError:
        raise CitebotError(f"since “{text}” is not a period: use hours, days or weeks back (24h, 7d, 2w) "
                           "or a day (YYYY-MM-DD)") from None


def normalise(question: str) -> str:
    """A question reduced for exact-duplicate counting: case, punctuation and spacing ignored."""
    return " ".join(re.sub(r"[^\w\s]", " ", question.casefold()).split())


def group_similar(vectors: np.ndarray, threshold: float = SAME_QUESTION, weights: Sequence[int] | None = None,
                  ) -> list[list[int]]:
    """Greedy clustering by cosine (rows of ``vectors`` are unit length): each item, heaviest first, joins the
    group whose first item (its leader) is most similar to it if that cosine reaches ``threshold``, else starts a
    group. Groups (lists of row indices, leader first) come heaviest first (``weights``: how often each item was
    asked, default 1 each), then by first appearance."""
    n = len(vectors)
    weights = list(weights) if weights is not None else [1] * n
    order = sorted(range(n), key=lambda i: -weights[i])
    leaders: list[int] = []
    groups: list[list[int]] = []
    matrix = np.asarray(vectors, dtype=np.float32)
    for i in order:
        if leaders:
            sims = matrix[leaders] @ matrix[i]
            best = int(np.argmax(sims))
            if float(sims[best]) >= threshold:
                groups[best].append(i)
                continue
        leaders.append(i)
        groups.append([i])
    return sorted(groups, key=lambda g: (-sum(weights[i] for i in g), min(g)))


def build_report(store: FeedbackStore, since: float, embed: Callable[[str], np.ndarray], *, until: float | None = None,
                 groups: int = 5, worst: int = 5, threshold: float = SAME_QUESTION) -> dict:
    """The report over the answers asked in [since, until). ``embed`` turns one question into a unit vector (the
    answers' question embedder); it is called once per distinct not-covered question. CPU work: call it from a
    worker thread."""
    rows = store.answers(since, until)
    answered = [r for r in rows if r["found"]]
    missed = [r for r in rows if not r["found"]]
    up = sum(r["up"] for r in rows)
    down = sum(r["down"] for r in rows)
    distinct: dict[str, list[dict]] = {}
    for row in missed:
        distinct.setdefault(normalise(row["question"]), []).append(row)
    keys = list(distinct)
    not_covered = []
    if keys:
        vectors = np.asarray([embed(distinct[k][0]["question"]) for k in keys], dtype=np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True).clip(min=1e-12)
        for group in group_similar(vectors, threshold, [len(distinct[k]) for k in keys])[:groups]:
            asked = [distinct[keys[i]] for i in group]
            not_covered.append({
                "question": asked[0][0]["question"],
                "count": sum(len(a) for a in asked),
                "examples": [a[0]["question"] for a in asked[1:4]],
            })
    rated = [r for r in rows if r["down"] > 0]
    rated.sort(key=lambda r: (r["up"] - r["down"], -r["down"], -r["asked_at"]))
    worst_rows = [{
        "question": r["question"],
        "up": r["up"],
        "down": r["down"],
        "found": r["found"],
        "quote": r["quotes"][0]["highlight"] if r["quotes"] else None,
        "title": r["quotes"][0]["title"] if r["quotes"] else None,
        "asked_at": r["asked_at"],
    } for r in rated[:worst]]
    return {
        "since": since,
        "until": until,
        "questions": len(rows),
        "answered": len(answered),
        "not_covered": len(missed),
        "up": up,
        "down": down,
        "up_rate": round(up / (up + down), 3) if up + down else None,
        "not_covered_groups": not_covered,
        "worst_rated": worst_rows,
    }
