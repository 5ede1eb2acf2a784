"""One writer at a time across processes, and crash safety: kill -9 at each step of a write, then check that
questions are answered (each article in its old or new version) and that running the write again heals."""

import shutil
import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest

from retrieval.errors import ReindexBusyError
from retrieval.library import SNAPSHOT_FILE, STORE_FILE, Library
from retrieval.sources.sync import FolderSource
from tests.conftest import ROOT, SAMPLES, copy_data_dir

HOLD_LOCK = """
import sys, time
from pathlib import Path
from retrieval.index.lock import WriteLock
with WriteLock(Path(sys.argv[1]), command="citebot index (test)"):
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def start(script: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(script), *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_second_writer_is_told_who_holds_the_lock_then_waits(tmp_path, embedder, sample_data_dir):
    data = tmp_path / "data"
    copy_data_dir(sample_data_dir, data)
    holder = start(HOLD_LOCK, str(data), "3")
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(ReindexBusyError, match=rf"pid {holder.pid} \(citebot index \(test\)\), since"):
            Library(data, embedder).remove("geology")
        waited = []
        patient = Library(data, embedder, write_timeout=30)
        patient.on_wait = waited.append
        started = time.monotonic()
        assert [m.article_id for m in patient.remove("geology")] == ["geology"]
        assert waited and f"pid {holder.pid}" in waited[0] and time.monotonic() - started > 0.5
    finally:
        holder.kill()
        holder.wait()


CRASH = """
import os, signal, sys
from contextlib import contextmanager
from pathlib import Path
import numpy as np
import retrieval.library as library_module
import retrieval.index.snapshot as snapshot_module
from embeddings import CachedEmbedder, Embedder, EmbeddingCache
from retrieval.index.store import Store
from retrieval.library import Library
from retrieval.sources.sync import FolderSource

point, data, folder, cache = sys.argv[1], Path(sys.argv[2]), sys.argv[3], sys.argv[4]
library_module.CHECKPOINT_MIN_ARTICLES = 1  # every write rewrites the snapshot, so each step can be hit


def die():
    os.kill(os.getpid(), signal.SIGKILL)


if point == "embedding":
    original = Embedder.encode
    def encode(self, texts, *a, **k):
        original(self, texts[:1])
        die()
    Embedder.encode = encode
elif point == "store":
    puts = []
    original_put, original_transaction = Store.put, Store.transaction
    def put(self, *a, **k):
        puts.append(1)
        return original_put(self, *a, **k)
    @contextmanager
    def transaction(self):
        with original_transaction(self) as conn:
            yield conn
            if len(puts) == 2:  # the second changed article's transaction, written but not committed
                die()
    Store.put, Store.transaction = put, transaction
elif point == "snapshot":
    original_member = snapshot_module.write_member
    def write_member(archive, name, *a, **k):
        original_member(archive, name, *a, **k)
        if name == "ids":  # part of the snapshot written aside, not yet switched
            archive.fp.flush()
            die()
    snapshot_module.write_member = write_member
elif point in ("before-switch", "after-switch"):
    real_replace = os.replace
    def replace(src, dst):
        if str(dst).endswith("index.npz"):
            if point == "before-switch":
                die()
            real_replace(src, dst)
            die()
        real_replace(src, dst)
    snapshot_module.os.replace = replace
embedder = CachedEmbedder(Embedder(), EmbeddingCache(cache))
Library(data, embedder).sync([FolderSource(folder)])
print("finished without being killed", flush=True)
"""

NEW_PARAGRAPH = "The survey team returned in spring with forty new core samples from the northern ridge."


@pytest.mark.parametrize("point", ["embedding", "store", "snapshot", "before-switch", "after-switch"])
def test_kill_9_at_each_step_leaves_an_answering_index_and_a_rerun_heals(point, tmp_path, embedder,
                                                                          sample_data_dir):
    data, folder = tmp_path / "data", tmp_path / "articles"
    copy_data_dir(sample_data_dir, data)
    shutil.copytree(SAMPLES, folder)
    Library(data, embedder).sync([FolderSource(str(folder))])  # the samples, from this folder source
    geology = folder / "geology.txt"
    old_text = geology.read_text(encoding="utf-8")
    geology.write_text(old_text + f"\n\n{NEW_PARAGRAPH}\n", encoding="utf-8")
    (folder / "harbour.txt").write_text(
        "Harbour reopens\nSource: Coast News\n\nThe harbour of Port Elsworth reopened on Monday after six weeks "
        "of storm repairs.\n\nThe first ship to dock was the ferry Saint Brendan.\n", encoding="utf-8")
    cache = tmp_path / "cache.sqlite"
    shutil.copy(embedder.cache.path, cache)  # warm, as a real data dir would be; the new texts are not in it
    run = start(CRASH, point, str(data), str(folder), str(cache))
    out, err = run.communicate(timeout=300)
    assert run.returncode == -9, (out, err[-2000:])

    # after the crash: questions are answered; geology is in its old or its new version, never a mix
    after = Library(data, embedder)
    assert after.ask("Who is the British ambassador to Ukraine?").found
    collection = after.collection()
    texts = [p.text for p in collection.paragraphs_of("geology")]
    assert (NEW_PARAGRAPH in texts) == (NEW_PARAGRAPH in collection.texts["geology"])
    assert collection.dense.count == collection.paragraph_count

    # a rerun heals: both changes in, store intact, snapshot loads
    Library(data, embedder).sync([FolderSource(str(folder))])
    healed = Library(data, embedder)
    assert healed.ask("Which ferry was the first ship to dock in Port Elsworth?").found
    assert NEW_PARAGRAPH in [p.text for p in healed.collection().paragraphs_of("geology")]
    conn = sqlite3.connect(data / STORE_FILE)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    assert not any("damaged" in m for m in healed.repairs)
    assert not list(data.glob(f".{SNAPSHOT_FILE}.*.tmp"))
