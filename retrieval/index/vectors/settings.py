"""The ``[index]`` settings (no FAISS import: config loading stays light)."""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("auto", "exact", "hnsw", "milvus")


@dataclass
class IndexSettings:
    """The ``[index]`` config table (see config.example.toml)."""

    kind: str = "auto"  # auto | exact | hnsw | milvus
    approximate_above: int = 50_000  # auto: exact up to this many paragraphs, HNSW above (docs/benchmarks.md)
    hnsw_m: int = 32  # graph neighbours per vector
    hnsw_ef_construction: int = 80
    hnsw_ef_search: int = 128  # candidates walked per query (recall against speed)
    exact_below: int = 20_000  # a filtered HNSW search scores the allowed ids exactly when at most this many
    milvus_uri: str = ""  # "" = a milvus-lite file in the data directory; else a server, e.g. http://host:19530
    milvus_collection: str = "paragraphs"
