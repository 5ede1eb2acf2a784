"""Data-dir files: atomic writes leave no temporary file behind, and a damaged file is set aside (with its SQLite
side files) under a dated name, never overwritten."""

from __future__ import annotations

from retrieval.index.datadir import fsync_write, set_aside


def test_fsync_write_replaces_the_file_and_leaves_nothing_else(tmp_path):
    path = tmp_path / "state.json"
    path.write_text("old", encoding="utf-8")
    fsync_write(path, "new ✓")
    assert path.read_text(encoding="utf-8") == "new ✓"
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_set_aside_keeps_the_damaged_file_and_its_side_files(tmp_path):
    store = tmp_path / "store.sqlite"
    store.write_bytes(b"garbage")
    (tmp_path / "store.sqlite-wal").write_bytes(b"wal")
    message = set_aside(store, "not a database")
    assert not store.exists() and not (tmp_path / "store.sqlite-wal").exists()
    kept = sorted(p.name for p in tmp_path.iterdir())
    assert len(kept) == 2 and kept[0].startswith("store.sqlite.damaged-") and kept[1] == kept[0] + "-wal"
    assert (tmp_path / kept[0]).read_bytes() == b"garbage"
    assert "store.sqlite was damaged (not a database)" in message and kept[0] in message


def test_set_aside_twice_in_the_same_second_keeps_both(tmp_path):
    path = tmp_path / "index.npz"
    path.write_bytes(b"one")
    set_aside(path, "bad zip")
    path.write_bytes(b"two")
    set_aside(path, "bad zip")
    assert sorted(p.read_bytes() for p in tmp_path.iterdir()) == [b"one", b"two"]
