"""The write lock: one holder at a time, a busy lock named (pid, command, since), released on exit."""

from __future__ import annotations

import os

import pytest

from retrieval.errors import CitebotError, ReindexBusyError
from retrieval.index.lock import LOCK_FILE, WriteLock, describe_holder


def test_a_second_writer_is_refused_with_the_holder_named_then_gets_the_lock(tmp_path):
    with WriteLock(tmp_path, command="citebot index"):
        with pytest.raises(ReindexBusyError, match=rf"pid {os.getpid()} \(citebot index\), since \d{{4}}-"):
            with WriteLock(tmp_path, timeout=0):
                pass
    with WriteLock(tmp_path, timeout=0) as lock:
        assert lock.holder()["pid"] == os.getpid()
    assert (tmp_path / LOCK_FILE).read_text(encoding="utf-8") == ""  # no holder left named


def test_a_waiting_writer_is_told_once_who_it_waits_for(tmp_path):
    told = []
    with WriteLock(tmp_path, command="citebot sync"):
        with pytest.raises(ReindexBusyError):
            with WriteLock(tmp_path, timeout=0.3, on_wait=told.append):
                pass
    assert len(told) == 1 and "citebot sync" in told[0]


def test_describe_holder_without_information():
    assert describe_holder({}) == "another process"
    assert describe_holder({"pid": 7, "since": 0}).startswith("pid 7 (unknown command), since ")


def test_a_lock_path_that_cannot_be_opened_is_one_clear_error(tmp_path):
    (tmp_path / LOCK_FILE).mkdir()
    with pytest.raises(CitebotError, match="cannot open the write lock .*write.lock"):
        with WriteLock(tmp_path):
            pass
