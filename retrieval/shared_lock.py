"""A readers-writer lock: questions read a collection side by side, a writer (indexing, /add, /remove) alone.

- **Readers share**: ``with lock.read():`` (or ``acquire_read``/``release_read``) lets any number of threads in at
  once; ``with lock:`` (``acquire``/``release``) is the writer's, exclusive, and re-entrant like an ``RLock`` (the
  collection's writers nest it). A writer may also read (a nested read counts as held by it).
- **Writers are not starved**: a thread that starts reading while a writer waits waits behind it, so a writer waits
  only for the readers already in. **Readers are not starved either**: the readers that were waiting when a writer
  leaves go in before the next writer. Both waits are bounded by what is already in, never by what comes later.
- **No deadlock on re-entry**: a thread already reading reads again without waiting (a waiting writer would
  otherwise wait for it while it waits for the writer). A reader asking for the write lock is refused with
  ``RuntimeError`` (it would wait for itself); so is a release the thread does not hold.
- **Pausing a reader**: :meth:`release_reads` lets all of this thread's reads go at once (a question paused between
  its steps must not keep a writer, and through it every new reader, waiting) and :meth:`acquire_reads` takes them
  back; the caller re-checks what it read meanwhile.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager


class SharedLock:
    """Many readers or one (re-entrant) writer; see the module docstring."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._reads: dict[int, int] = {}  # thread id -> its read depth
        self._writer: int | None = None
        self._write_depth = 0
        self._writers_waiting = 0
        self._released = 0  # writer releases so far
        self._read_waiting = 0  # new readers waiting (for a writer to leave, or behind a waiting one)
        self._admitted = 0  # readers a writer's release let in that have not entered yet: no writer goes before them

    # -- writing -------------------------------------------------------------------------------------------------
    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        """Take the lock alone (like ``RLock.acquire``): False when it could not within ``timeout``."""
        me = threading.get_ident()
        with self._cond:
            if self._writer == me:
                self._write_depth += 1
                return True
            if me in self._reads:
                raise RuntimeError("a thread reading the collection cannot take its write lock (it would wait for "
                                   "itself): let the reading go first")
            if not self._can_write():
                if not blocking:
                    return False
                deadline = None if timeout is None or timeout < 0 else time.monotonic() + timeout
                self._writers_waiting += 1
                try:
                    while not self._can_write():
                        left = None if deadline is None else deadline - time.monotonic()
                        if left is not None and left <= 0:
                            return False
                        self._cond.wait(left)
                finally:
                    self._writers_waiting -= 1
                    self._cond.notify_all()  # readers held back by this waiting writer may go
            self._writer, self._write_depth = me, 1
            return True

    def release(self) -> None:
        """Let one level of the write lock go."""
        with self._cond:
            if self._writer != threading.get_ident():
                raise RuntimeError("release of a write lock this thread does not hold")
            self._write_depth -= 1
            if self._write_depth == 0:
                self._writer = None
                self._released += 1
                self._admitted = self._read_waiting
                self._cond.notify_all()

    def __enter__(self) -> SharedLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    def writing(self) -> bool:
        """Whether this thread holds the write lock."""
        return self._writer == threading.get_ident()

    def _can_write(self) -> bool:
        return self._writer is None and not self._reads and not self._admitted

    # -- reading -------------------------------------------------------------------------------------------------
    def acquire_read(self) -> None:
        """Take a share of the lock: waits while a writer holds it or (for a thread not reading yet) waits for it."""
        self.acquire_reads(1)

    def acquire_reads(self, depth: int) -> None:
        """Take ``depth`` shares at once (what :meth:`release_reads` returned); 0 does nothing."""
        if depth <= 0:
            return
        me = threading.get_ident()
        with self._cond:
            if self._writer != me and me not in self._reads and (self._writer is not None or self._writers_waiting):
                since = self._released
                self._read_waiting += 1
                try:
                    while self._writer is not None or (self._writers_waiting and self._released == since):
                        self._cond.wait()
                finally:
                    self._read_waiting -= 1
                if self._released != since:  # let in by a writer's release, before any waiting writer
                    self._admitted = max(0, self._admitted - 1)
            self._reads[me] = self._reads.get(me, 0) + depth

    def release_read(self) -> None:
        """Let one share go."""
        self._drop(threading.get_ident(), 1)

    def release_reads(self) -> int:
        """Let every share this thread holds go; returns how many (give it to :meth:`acquire_reads`)."""
        me = threading.get_ident()
        with self._cond:
            depth = self._reads.get(me, 0)
        if depth:
            self._drop(me, depth)
        return depth

    def _drop(self, me: int, depth: int) -> None:
        with self._cond:
            held = self._reads.get(me, 0)
            if held < depth:
                raise RuntimeError("release of a read lock this thread does not hold")
            if held == depth:
                del self._reads[me]
                if not self._reads:
                    self._cond.notify_all()
            else:
                self._reads[me] = held - depth

    @contextmanager
    def read(self) -> Iterator[None]:
        """``with lock.read():`` a shared hold."""
        self.acquire_read()
        try:
            yield
        finally:
            self.release_read()

    def reading(self) -> bool:
        """Whether this thread holds a share."""
        return threading.get_ident() in self._reads

    @property
    def readers(self) -> int:
        """Threads holding a share now."""
        return len(self._reads)
