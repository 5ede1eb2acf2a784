"""What time it is, injectable: the system clock, or (tests only) a clock read from a file the test writes.

Scheduled work (daily digests) asks ``clock.now()`` instead of the system, so end-to-end tests can run days in
seconds: with ``CITEBOT_TEST_CLOCK_FILE`` set, ``now()`` is the ISO date-time written in that file (UTC when it
names no offset). Never set it in production.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

CLOCK_ENV = "CITEBOT_TEST_CLOCK_FILE"


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FileClock:
    """The time written in a file (ISO 8601); the system clock while the file is missing or unreadable."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def now(self) -> datetime:
        try:
            value = datetime.fromisoformat(self.path.read_text(encoding="utf-8").strip())
        except (OSError, ValueError):
            return datetime.now(UTC)
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def clock_from_env() -> Clock:
    """The test clock when ``CITEBOT_TEST_CLOCK_FILE`` is set, else the system clock."""
    path = os.environ.get(CLOCK_ENV, "").strip()
    return FileClock(path) if path else SystemClock()
