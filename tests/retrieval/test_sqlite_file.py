"""A small SQLite file of its own in the data folder: created with its schema, seeded once, written to survive."""

import sqlite3
import threading

from retrieval.sqlite_file import SqliteFile


class Notes(SqliteFile):
    FILE = "notes.sqlite3"
    SCHEMA = "CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL);"

    def opened(self) -> None:
        self.seen = self.conn.execute("SELECT count(*) FROM notes").fetchone()[0]

    def add(self, text: str) -> None:
        with self.lock, self.conn:
            self.conn.execute("INSERT INTO notes (text) VALUES (?)", (text,))


def test_the_file_is_made_in_a_new_data_folder_and_keeps_what_was_written(tmp_path):
    folder = tmp_path / "new" / "data"
    notes = Notes.in_folder(folder)
    assert notes.path == folder / "notes.sqlite3" and notes.seen == 0
    notes.add("one")
    notes.close()
    with sqlite3.connect(folder / "notes.sqlite3") as raw:  # a write that returned is in the file
        assert raw.execute("SELECT text FROM notes").fetchall() == [("one",)]
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert Notes.in_folder(folder).seen == 1  # the schema is not re-created over the data


def test_writes_from_several_threads_all_land(tmp_path):
    notes = Notes.in_folder(tmp_path)
    workers = [threading.Thread(target=lambda n=n: [notes.add(f"{n}-{i}") for i in range(20)]) for n in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    notes.close()
    assert Notes.in_folder(tmp_path).seen == 80
