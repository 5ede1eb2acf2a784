"""One writer at a time across processes: an ``fcntl`` lock on ``data/write.lock`` that names its holder.

The kernel releases the lock when its holder dies (even by ``kill -9``), so a stale lock cannot block anyone.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import time
from pathlib import Path

from retrieval.errors import CitebotError, ReindexBusyError

LOCK_FILE = "write.lock"


def describe_holder(info: dict) -> str:
    """'pid 123 (citebot index), since 12:03:04' from the lock file's JSON."""
    if not info:
        return "another process"
    since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(info.get("since", 0)))
    return f"pid {info.get('pid', '?')} ({info.get('command') or 'unknown command'}), since {since}"


class WriteLock:
    """``with WriteLock(data_dir, timeout=...)``: hold the data directory's write lock.

    ``timeout`` 0 fails at once; otherwise it waits that many seconds (``on_wait(holder)`` is called once when it
    starts waiting). A timeout raises ``ReindexBusyError`` naming the holder (pid, command, since).
    """


    def __init__(self, data_dir: Path, timeout: float = 0.0, command: str | None = None, on_wait=None) -> None:
        self.path = Path(data_dir) / LOCK_FILE
        self.timeout = timeout
        self.command = command or " ".join(Path(a).name if i == 0 else a for i, a in enumerate(sys.argv))[:200]
        self.on_wait = on_wait
        self._fd: int | None = None

    def holder(self) -> dict:
        try:
            return json.loads(self.path.read_text(encoding="utf-8") or "{}")
        except (OSError, ValueError):
            return {}

    def __enter__(self) -> WriteLock:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise CitebotError(
                f"cannot open the write lock {self.path} ({exc.strerror or exc}): remove or rename whatever is there"
            ) from None
        deadline = time.monotonic() + self.timeout
        waited = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = self.holder()
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise ReindexBusyError(
                        f"another writer is updating the index: {describe_holder(holder)}; "
                        "try again when it has finished") from None
                if not waited and self.on_wait:
                    self.on_wait(describe_holder(holder))
                waited = True
                time.sleep(0.1)
        info = {"pid": os.getpid(), "command": self.command, "since": time.time()}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        self._fd = fd
        return self

    def __exit__(self, *exc) -> None:
        if self._fd is not None:
            try:
                os.ftruncate(self._fd, 0)
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
                os.close(self._fd)
                self._fd = None
