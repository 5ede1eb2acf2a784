"""The snapshot file (``index.npz``): plain named arrays in an uncompressed zip of ``.npy`` members, written aside
and switched atomically (fsync + ``os.replace``), memory-mapped on load (or, for members named, read by offset)
so opening costs neither reading nor parsing them. What the arrays mean is the collection's business
(``retrieval.collection``); this module only writes, maps and checks them."""

from __future__ import annotations

import json
import mmap
import os
import uuid
import zipfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from retrieval.index.sentence_vectors import FileRows

SNAPSHOT_FORMAT = "2"


def pack(words: list[str]) -> np.ndarray:
    """Strings as one NUL-separated UTF-8 byte array (a snapshot member)."""
    return np.frombuffer("\x00".join(words).encode("utf-8"), dtype=np.uint8) if words else np.zeros(0, np.uint8)


def unpack(blob: np.ndarray) -> list[str]:
    return np.asarray(blob).tobytes().decode("utf-8").split("\x00") if len(blob) else []


def prefixed(arrays: dict[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    return {name[len(prefix):]: array for name, array in arrays.items() if name.startswith(prefix)}


def write_member(archive: zipfile.ZipFile, name: str, array: np.ndarray | None = None, *, shape=None, dtype=None,
                  chunks=None) -> None:
    """One ``.npy`` member, stored (not compressed) so it can be memory-mapped; ``chunks`` streams its rows."""
    if array is not None:
        array = np.ascontiguousarray(array)
        shape, dtype, chunks = array.shape, array.dtype, [array]
    header = {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)), "fortran_order": False,
              "shape": tuple(int(s) for s in shape)}
    with archive.open(f"{name}.npy", "w", force_zip64=True) as out:
        np.lib.format.write_array_header_2_0(out, header)
        for chunk in chunks:
            out.write(np.ascontiguousarray(chunk, dtype=dtype).tobytes())


def write_snapshot(path: Path, info: dict, arrays: dict[str, np.ndarray],
                   streamed: dict[str, tuple[tuple[int, ...], np.dtype, Iterable[np.ndarray]]] | None = None) -> None:
    """Write ``info`` (JSON) and ``arrays`` (then the ``streamed`` members: shape, dtype, chunks of rows) to a
    temporary file beside ``path``, fsync it, and ``os.replace`` it over ``path`` (atomic)."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "wb") as handle:
            with zipfile.ZipFile(handle, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
                write_member(archive, "info", np.asarray(json.dumps(info)))
                for name, array in arrays.items():
                    write_member(archive, name, array)
                for name, (shape, dtype, chunks) in (streamed or {}).items():
                    write_member(archive, name, shape=shape, dtype=dtype, chunks=chunks)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def map_members(path: Path, by_reads: tuple[str, ...] = ()) -> dict[str, np.ndarray]:
    """Every ``.npy`` member of an uncompressed ``.npz`` as a read-only memory map (0-d and empty ones read; those
    named in ``by_reads`` as a :class:`FileRows`, read with ``pread``)."""
    out: dict[str, np.ndarray] = {}
    with open(path, "rb") as handle, zipfile.ZipFile(handle) as archive:
        for member in archive.infolist():
            if member.compress_type != zipfile.ZIP_STORED or not member.filename.endswith(".npy"):
                raise ValueError(f"snapshot member {member.filename} is not a stored .npy")
            handle.seek(member.header_offset)
            local = handle.read(30)
            if local[:4] != b"PK\x03\x04":
                raise ValueError("snapshot member header is damaged")
            start = member.header_offset + 30 + int.from_bytes(local[26:28], "little") + \
                int.from_bytes(local[28:30], "little")
            handle.seek(start)
            version = np.lib.format.read_magic(handle)
            read = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
                np.lib.format.read_array_header_2_0
            shape, fortran, dtype = read(handle)
            offset = handle.tell()
            name = member.filename[:-4]
            count = int(np.prod(shape)) if shape else 1
            if offset + count * dtype.itemsize > start + member.file_size:
                raise ValueError(f"snapshot member {name} is truncated")
            if name in by_reads and len(shape) == 2 and count:
                out[name] = FileRows(path, offset, shape, dtype)
            elif not shape or dtype.kind in "UO" or count == 0:
                handle.seek(offset)
                data = np.frombuffer(handle.read(count * dtype.itemsize), dtype=dtype, count=count)
                out[name] = data.reshape(shape).copy()
            else:
                mapped = np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape,
                                   order="F" if fortran else "C")
                random_access(mapped)
                out[name] = np.asarray(mapped)  # a plain ndarray over the map (no memmap indexing overhead)
    return out


def random_access(mapped: np.memmap) -> None:
    """Tell the kernel reads are random: no read-ahead, so RSS grows by the pages a query reads, not megabytes
    around each of them."""
    handle = getattr(mapped, "_mmap", None)
    if handle is not None and hasattr(handle, "madvise") and hasattr(mmap, "MADV_RANDOM"):
        try:
            handle.madvise(mmap.MADV_RANDOM)
        except OSError:
            pass


SNAPSHOT_MEMBERS = ("ids", "article", "number", "sentence_count", "sentence_first", "sentence_spans",
                    "sentence_vectors", "article_keys", "article_count", "vocab")


def read_snapshot(path: Path, model: str) -> tuple[dict[str, np.ndarray] | None, dict]:
    """The snapshot's arrays, memory-mapped (None when the file is missing, of another format or for another
    model); raises on a damaged file."""
    if not path.exists():
        return None, {}
    arrays = map_members(path, by_reads=("sentence_vectors",))
    info = json.loads(str(np.asarray(arrays.pop("info")).reshape(-1)[0]))
    if info.get("format") != SNAPSHOT_FORMAT or info.get("model") != model:
        return None, info
    missing = [m for m in SNAPSHOT_MEMBERS if m not in arrays]
    if missing:
        raise ValueError(f"the snapshot lacks {', '.join(missing)}")
    rows, sentences = len(arrays["ids"]), len(arrays["sentence_spans"])
    counts = np.asarray(arrays["sentence_count"])
    if not (len(arrays["article"]) == len(arrays["number"]) == len(counts) == rows
            == len(arrays["bm25_lengths"]) and len(arrays["sentence_vectors"]) == sentences == int(counts.sum())
            and len(unpack(arrays["article_keys"])) == len(arrays["article_count"]) == len(arrays["abm25_lengths"])
            and int(np.asarray(arrays["article_count"]).sum()) == rows
            and arrays["bm25_fwd_start"][-1] == len(arrays["bm25_fwd_terms"])
            and arrays["bm25_inv_start"][-1] == len(arrays["bm25_inv_slots"])
            and len(arrays["bm25_df"]) <= len(unpack(arrays["vocab"]))):
        raise ValueError("the snapshot's arrays disagree in length")
    return arrays, info
