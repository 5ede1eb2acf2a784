"""What the bot did, for logs and /status: one log line per answered question, counters, the last errors."""

from __future__ import annotations

import hashlib
import logging
import time
from collections import Counter, deque
from dataclasses import dataclass, field

log = logging.getLogger("citebot.questions")

#: How many recent errors /status shows.
LAST_ERRORS = 5


def user_hash(user_id: int) -> str:
    """A short, stable pseudonym for a user id: logs can follow one person without naming them."""
    return hashlib.blake2b(str(user_id).encode(), key=b"citebot-user", digest_size=5).hexdigest()


@dataclass
class Stats:
    """Counters the bot keeps while it runs (the event loop only writes them, so no locking)."""

    answered: int = 0
    refused: Counter = field(default_factory=Counter)  # kind ("rate_limit", "busy", "duplicate") -> count
    failed_sends: int = 0  # replies lost after every retry
    lost_acks: int = 0  # /ask interactions that could not be acknowledged within Discord's 3 s
    retries: int = 0  # sends, edits and acknowledgements tried again after a 5xx, 429 or network error
    latencies: deque = field(default_factory=lambda: deque(maxlen=2000))  # seconds, question in -> reply sent
    last_errors: deque = field(default_factory=lambda: deque(maxlen=LAST_ERRORS))  # (unix time, text)

    @property
    def rate_limit_hits(self) -> int:
        return self.refused["rate_limit"]

    def error(self, text: str) -> None:
        """Remember an error for /status (the caller logs it)."""
        self.last_errors.append((time.time(), text))

    def percentile(self, q: float) -> float | None:
        """The ``q`` quantile (0-1) of recent answer latencies, in seconds."""
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def status_rows(self, queue: int, queue_size: int) -> list[tuple[str, str]]:
        """Rows for the /status embed."""
        refused = ", ".join(f"{kind.replace('_', ' ')} {n}" for kind, n in sorted(self.refused.items())) or "none"
        rows = [
            ("Queue", f"{queue} question(s) waiting or being answered (limit {queue_size})"),
            ("Refused", f"{refused} (rate-limit hits: {self.rate_limit_hits})"),
            ("Failed sends", f"{self.failed_sends} lost after retries · {self.lost_acks} /ask not acknowledged in 3 s "
                             f"· {self.retries} retries"),
        ]
        p50, p95 = self.percentile(0.5), self.percentile(0.95)
        if p50 is not None and p95 is not None:
            rows.append(("Answer time", f"p50 {p50 * 1000:.0f} ms · p95 {p95 * 1000:.0f} ms"))
        if self.last_errors:
            lines = [f"{time.strftime('%H:%M:%S', time.gmtime(at))} {text}" for at, text in self.last_errors]
            rows.append(("Last errors", "\n".join(lines)))
        return rows


def log_answered(
    *,
    question_id: int,
    via: str,
    user_id: int,
    latency_s: float,
    queue_wait_s: float,
    found: bool | None,
    top_score: float | None,
    delivered: bool,
) -> None:
    """The one INFO line per answered question."""
    log.info(
        "question %s via %s: found=%s top_score=%s latency_ms=%d queue_wait_ms=%d user=%s delivered=%s",
        question_id,
        via,
        "-" if found is None else str(found).lower(),
        "-" if top_score is None else f"{top_score:.3f}",
        round(latency_s * 1000),
        round(queue_wait_s * 1000),
        user_hash(user_id),
        str(delivered).lower(),
    )
