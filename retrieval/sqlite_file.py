"""A small SQLite file of its own in the data dir (feedback, digests, follows): one connection behind a lock.

WAL with full fsync, so a write that returned survives a crash; thread-safe, so call it from worker threads (never
from the Discord event loop). Subclasses name their ``FILE`` and ``SCHEMA``.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Self


class SqliteFile:
    """One SQLite file with its schema created on open. ``lock`` guards ``conn``."""

    FILE = ""
    SCHEMA = ""
    FOREIGN_KEYS = False

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.lock = threading.Lock()
        self.conn = sqlite3.connect(str(self.path), check_same_thread=False, timeout=30.0)
        self.conn.row_factory = sqlite3.Row
        with self.lock, self.conn:
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=FULL")
            if self.FOREIGN_KEYS:
                self.conn.execute("PRAGMA foreign_keys=ON")
            self.conn.executescript(self.SCHEMA)
            self.opened()

    def opened(self) -> None:
        """Called once under the lock inside the schema's transaction: read or seed what the store keeps."""

    @classmethod
    def in_folder(cls, data_dir: str | Path) -> Self:
        """The store's file inside the data dir ``data_dir``."""
        return cls(Path(data_dir) / cls.FILE)

    def close(self) -> None:
        with self.lock:
            self.conn.close()
