"""The collection's readers-writer lock: readers share, a writer excludes, neither starves, re-entry never deadlocks."""

from __future__ import annotations

import threading
import time

import pytest

from retrieval.shared_lock import SharedLock

WAIT = 5.0  # seconds any step may take before the test fails (instead of hanging)


def started(target) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def waits(thread: threading.Thread, seconds: float = 0.2) -> bool:
    """Whether ``thread`` is still blocked after ``seconds``."""
    thread.join(seconds)
    return thread.is_alive()


def test_readers_share_the_lock():
    lock = SharedLock()
    both_in = threading.Barrier(2, timeout=WAIT)  # breaks (and the test fails) unless two readers are in at once

    def reader() -> None:
        with lock.read():
            both_in.wait()

    threads = [started(reader), started(reader)]
    for thread in threads:
        thread.join(WAIT)
    assert not both_in.broken and lock.readers == 0


def test_a_writer_excludes_readers_and_readers_exclude_a_writer():
    lock = SharedLock()
    seen: list[str] = []
    with lock.read():
        started(lambda: seen.append(f"write {lock.acquire(timeout=0.1)}")).join(WAIT)
        assert seen == ["write False"]  # a reader holds it: the writer gives up after its timeout
    with lock:
        reader = started(lambda: (lock.acquire_read(), seen.append("read"), lock.release_read()))
        assert waits(reader)  # the writer holds it: the reader waits
        started(lambda: seen.append(f"write {lock.acquire(blocking=False)}")).join(WAIT)
    reader.join(WAIT)
    assert seen == ["write False", "write False", "read"]


def test_a_waiting_writer_goes_before_later_readers():
    lock = SharedLock()
    order: list[str] = []
    lock.acquire_read()  # a reader is in

    def writer() -> None:
        with lock:
            order.append("writer")

    def late_reader() -> None:
        with lock.read():
            order.append("late reader")

    w = started(writer)
    assert waits(w)  # waits for the reader already in
    r = started(late_reader)
    assert waits(r)  # a reader coming after a waiting writer waits behind it: the writer is not starved
    lock.release_read()
    w.join(WAIT)
    r.join(WAIT)
    assert order == ["writer", "late reader"]


def test_readers_waiting_when_a_writer_leaves_go_before_the_next_writer():
    lock = SharedLock()
    order: list[str] = []
    lock.acquire()  # a writer is in

    def reader() -> None:
        with lock.read():
            order.append("reader")
            time.sleep(0.05)

    def writer() -> None:
        with lock:
            order.append("second writer")

    r = started(reader)
    assert waits(r)
    w = started(writer)
    assert waits(w)
    lock.release()
    r.join(WAIT)
    w.join(WAIT)
    assert order == ["reader", "second writer"]  # a stream of writers cannot starve the readers either


def test_a_reader_re_enters_while_a_writer_waits_without_deadlock():
    lock = SharedLock()
    done: list[str] = []

    def nested_reader() -> None:
        with lock.read():
            time.sleep(0.2)  # a writer starts waiting meanwhile
            with lock.read():  # re-entered: goes in at once, not behind the waiting writer (who waits for it)
                done.append("nested")

    def writer() -> None:
        with lock:
            done.append("writer")

    r = started(nested_reader)
    time.sleep(0.05)
    w = started(writer)
    r.join(WAIT)
    w.join(WAIT)
    assert not r.is_alive() and not w.is_alive()
    assert done == ["nested", "writer"]


def test_a_paused_reader_lets_a_writer_in_and_takes_its_reads_back():
    lock = SharedLock()
    wrote: list[bool] = []
    lock.acquire_read()
    lock.acquire_read()  # two levels (a reading inside a reading)
    depth = lock.release_reads()
    assert depth == 2 and not lock.reading()
    started(lambda: wrote.append(lock.acquire(timeout=WAIT) and (lock.release() or True))).join(WAIT)
    assert wrote == [True]  # the writer got in during the pause
    lock.acquire_reads(depth)
    assert lock.reading()
    lock.release_read()
    lock.release_read()
    assert not lock.reading() and lock.readers == 0


def test_the_writer_re_enters_and_may_read_but_a_reader_may_not_write():
    lock = SharedLock()
    with lock:
        with lock:  # re-entrant, like the RLock it replaces
            with lock.read():
                assert lock.writing() and lock.reading()
        assert lock.writing()
    assert not lock.writing()
    with lock.read(), pytest.raises(RuntimeError, match="cannot take its write lock"):
        lock.acquire()
    with pytest.raises(RuntimeError):
        lock.release()
    with pytest.raises(RuntimeError):
        lock.release_read()
