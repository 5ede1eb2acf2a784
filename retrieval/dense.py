"""The exact dense index under its older name; the index kinds live in ``retrieval.index.vectors``."""

from retrieval.index.vectors.flat import FlatIndex as DenseIndex

__all__ = ["DenseIndex"]
