"""Dense vector indexes behind one small interface (``base.VectorIndex``): upsert, delete, search with an
inside-the-index filter, count, vectors/cosines by id, save and load.

Kinds: ``exact`` (``flat``: FAISS flat, float32), ``hnsw`` (FAISS HNSW over 8-bit codes), ``milvus`` (pymilvus; a
Milvus server or an in-process milvus-lite file). ``factory`` picks one from the ``[index]`` config table
(``settings.IndexSettings``). Importing this package does not import FAISS; its modules do.
"""

from retrieval.index.vectors.settings import KINDS, IndexSettings

__all__ = ["KINDS", "IndexSettings"]
