"""Sentence vectors (float16, one row per sentence): the snapshot's read from its file on demand, those added
since in RAM, and past ``SPILL_ROWS`` of them (a large build) spilled to an unnamed temporary file, so neither a
loaded collection nor a build holds the corpus's sentence vectors in memory."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from retrieval.bm25 import Grow

SPILL_ROWS = 262_144  # sentence vectors added in RAM before they go to a spill file (~200 MB at 384 dims)


class FileRows:
    """Rows of a 2-d ``.npy`` member read with ``pread`` when asked for: nothing mapped, nothing cached by the
    process (the kernel's page cache serves repeated reads), so RSS does not grow with the rows read."""

    def __init__(self, path: Path, offset: int, shape: tuple[int, ...], dtype: np.dtype) -> None:
        self.offset, self.shape, self.dtype = offset, tuple(shape), np.dtype(dtype)
        self.row_bytes = int(np.prod(self.shape[1:])) * self.dtype.itemsize
        self.fd = os.open(path, os.O_RDONLY)  # stays valid when the snapshot is replaced (same inode)

    def __len__(self) -> int:
        return self.shape[0]

    def __del__(self) -> None:
        try:
            os.close(self.fd)
        except (OSError, AttributeError):
            pass

    def __getitem__(self, index):
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            return self.read(start, stop)[::step]
        index = int(index) + (len(self) if int(index) < 0 else 0)
        return self.read(index, index + 1)[0]

    def read(self, start: int, stop: int) -> np.ndarray:
        """Rows ``start:stop``."""
        count = max(0, stop - start)
        data = os.pread(self.fd, count * self.row_bytes, self.offset + start * self.row_bytes)
        if len(data) != count * self.row_bytes:
            raise OSError("the snapshot file is shorter than its header says")
        return np.frombuffer(data, dtype=self.dtype).reshape((count, *self.shape[1:]))


class SentenceVectors:
    """float16 sentence vectors: the snapshot's read from its file on demand, those added since in RAM — or, past
    ``SPILL_ROWS`` of them (a large build), appended to an unnamed temporary file in ``spill_dir`` and read back
    like the snapshot's, so a build never holds the corpus's sentence vectors in memory."""

    def __init__(self, dimension: int, base: FileRows | np.ndarray | None = None,
                 spill_dir: Path | None = None) -> None:
        self.dimension = dimension
        self.segments: list[tuple[int, FileRows | np.ndarray]] = []  # (first row, rows) read from files
        if base is not None and len(base):
            self.segments.append((0, base))
        self.base_rows = len(base) if base is not None else 0  # rows in segments
        self.tail = Grow(np.float16, width=dimension)
        self.spill_dir = spill_dir
        self._spill = None

    def __len__(self) -> int:
        return self.base_rows + len(self.tail)

    @property
    def base(self):
        return self.segments[0][1] if self.segments else None

    def extend(self, values: np.ndarray) -> None:
        self.tail.extend(values)
        if self.spill_dir is not None and len(self.tail) >= SPILL_ROWS:
            self._spill_tail()

    def _spill_tail(self) -> None:
        if self._spill is None:
            self._spill = tempfile.TemporaryFile(dir=self.spill_dir, prefix=".sentences-")  # gone when closed
        rows = self.tail.view()
        offset = os.fstat(self._spill.fileno()).st_size
        os.pwrite(self._spill.fileno(), np.ascontiguousarray(rows).tobytes(), offset)
        segment = FileRows.__new__(FileRows)
        segment.offset, segment.shape, segment.dtype = offset, (len(rows), self.dimension), np.dtype(np.float16)
        segment.row_bytes, segment.fd = self.dimension * 2, os.dup(self._spill.fileno())
        self.segments.append((self.base_rows, segment))
        self.base_rows += len(rows)
        self.tail = Grow(np.float16, width=self.dimension)

    def _segment(self, row: int) -> tuple[int, FileRows | np.ndarray]:
        for first, rows in reversed(self.segments):
            if row >= first:
                return first, rows
        raise IndexError(row)

    def rows(self, first: int, count: int) -> np.ndarray:
        """Rows ``first:first + count`` (one paragraph's sentences never straddle two segments)."""
        if first >= self.base_rows:
            first -= self.base_rows
            return self.tail.data[first:first + count]
        start, rows = self._segment(first)
        return np.asarray(rows[first - start:first - start + count])

    def take(self, indices: np.ndarray) -> np.ndarray:
        """Rows at ascending ``indices`` (each file segment read as one span)."""
        indices = np.asarray(indices, dtype=np.int64)
        out = np.zeros((len(indices), self.dimension), dtype=np.float16)
        bounds = [first for first, _ in self.segments] + [self.base_rows]
        for (first, rows), stop in zip(self.segments, bounds[1:], strict=True):
            inside = (indices >= first) & (indices < stop)
            if inside.any():
                picked = indices[inside] - first
                lo, hi = int(picked.min()), int(picked.max()) + 1
                out[inside] = np.asarray(rows[lo:hi])[picked - lo]
        in_tail = indices >= self.base_rows
        if in_tail.any():
            out[in_tail] = self.tail.data[indices[in_tail] - self.base_rows]
        return out
