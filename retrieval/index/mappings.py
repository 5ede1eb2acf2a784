"""Read-only mappings a collection offers over its arrays, computed on demand (no per-paragraph objects)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from retrieval.models import Paragraph


class LazyMapping(Mapping):
    """A read-only mapping computed on demand (keeps old call sites working without per-item objects)."""

    def __init__(self, get, keys, count) -> None:
        self._get, self._keys, self._count = get, keys, count

    def __getitem__(self, key):
        value = self._get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __iter__(self) -> Iterator:
        return iter(self._keys())

    def __len__(self) -> int:
        return self._count()


class RowParagraphs:
    """Paragraphs by row, read from the store on demand (``len`` is the row count, dead rows included)."""

    def __init__(self, collection) -> None:
        self.collection = collection

    def __len__(self) -> int:
        return self.collection.bm25.slots

    def __getitem__(self, row: int) -> Paragraph:
        return self.collection.paragraph_at(int(row))

    def __iter__(self) -> Iterator[Paragraph]:
        return (self[r] for r in range(len(self)))
