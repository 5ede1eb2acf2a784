"""Files of the data directory: durable writes (fsync, atomic ``os.replace``) and setting a damaged file aside.

The data directory of a ``Library`` (retrieval/library.py) holds::

    citebot.sqlite     the store (articles, aliases, origins, paragraphs, sentences, change log, source status)
    index.npz          snapshot: row arrays, float16 sentence vectors, both BM25 indexes (uncompressed .npy members,
                       memory-mapped or read by offset on load; a cache of work keyed by paragraph id, never wrong)
    vectors/           the dense index's own files (``[index] kind``; ``VectorIndex.save``), never wrong either
    embeddings.sqlite  the embedding cache
    write.lock         one writer at a time across processes (names its holder)
    last_index.json    the last index/sync report
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from pathlib import Path

log = logging.getLogger("citebot.library")  # the name these messages have always been logged under


def fsync_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically: temporary file, fsync, ``os.replace``."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    """Make a file just written durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def set_aside(path: Path, why: str) -> str:
    """Rename a damaged file (or folder) to ``NAME.damaged-YYYYmmdd-HHMMSS``; returns the message to show."""
    target = path.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
    n = 1
    while target.exists():
        n += 1
        target = target.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}-{n}")
    os.replace(path, target)
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            os.replace(side, target.with_name(target.name + suffix))
    message = f"{path.name} was damaged ({why}): set aside as {target.name}, rebuilding it"
    log.warning("%s", message)
    return message
