"""An engine that runs across machines: Milvus through ``pymilvus``.

``uri`` is a Milvus server (``http://host:19530``, a cluster behind it) or, by default, a milvus-lite database
file in the index folder (``milvus.db``), which runs in-process: the same client code either way. Milvus keeps
its data itself, so ``save`` only records which collection holds the index; ``load`` reconnects to it.

A milvus-lite file is opened by one process at a time; several processes (the bot and ``citebot index``) share
one index only through a Milvus server.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from retrieval.index.vectors.base import Result, VectorIndex, as_ids, as_rows, empty_result, last_per_id

LITE_FILE = "milvus.db"
BATCH = 5_000  # rows per insert/query request
_CLIENTS: dict[str, object] = {}  # one client per milvus-lite file in this process


def _client(uri: str):
    from pymilvus import MilvusClient  # imported only when this kind is used

    if uri not in _CLIENTS:
        _CLIENTS[uri] = MilvusClient(uri)
    return _CLIENTS[uri]


class MilvusIndex(VectorIndex):
    """A Milvus collection (int64 primary key ``id``, ``vector`` FLOAT_VECTOR, inner product)."""

    kind = "milvus"

    def __init__(self, dimension: int, folder: Path | None = None, uri: str = "", collection: str = "paragraphs",
                 index_type: str = "FLAT") -> None:
        super().__init__(dimension)
        if not uri:
            if folder is None:
                raise ValueError("a milvus index needs a server uri or a folder for its milvus-lite file")
            Path(folder).mkdir(parents=True, exist_ok=True)
            uri = str(Path(folder).resolve() / LITE_FILE)
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,254}", collection):
            raise ValueError(f"not a valid Milvus collection name: {collection!r}")
        self.uri, self.collection, self.index_type = uri, collection, index_type
        self.client = _client(uri)
        if not self.client.has_collection(collection):
            self._create()
        self._check_dimension()

    def _create(self) -> None:
        from pymilvus import DataType

        schema = self.client.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=self.dimension)
        params = self.client.prepare_index_params()
        params.add_index("vector", index_type=self.index_type, metric_type="IP")
        self.client.create_collection(self.collection, schema=schema, index_params=params,
                                      consistency_level="Strong")

    def _check_dimension(self) -> None:
        fields = self.client.describe_collection(self.collection).get("fields", [])
        for f in fields:
            if f.get("name") == "vector":
                dim = int((f.get("params") or {}).get("dim", self.dimension))
                if dim != self.dimension:
                    raise ValueError(f"Milvus collection {self.collection!r} holds {dim}-dimensional vectors, "
                                     f"the model gives {self.dimension}")

    def close(self) -> None:
        """Close the client (and, for milvus-lite, the in-process server) of this index's uri."""
        client = _CLIENTS.pop(self.uri, None)
        if client is not None:
            client.close()

    def clear(self) -> None:
        """Drop every vector (a fresh collection)."""
        self.client.drop_collection(self.collection)
        self._create()

    # -- writing -------------------------------------------------------------------------------------------------
    def upsert(self, ids, vectors) -> None:
        ids = as_ids(ids)
        if len(ids) == 0:
            return
        ids, rows = last_per_id(ids, as_rows(vectors, len(ids), self.dimension))
        for start in range(0, len(ids), BATCH):
            part = slice(start, start + BATCH)
            self.client.upsert(self.collection, [{"id": int(i), "vector": v.tolist()}
                                                 for i, v in zip(ids[part], rows[part], strict=True)])

    def delete(self, ids) -> int:
        ids = as_ids(ids)
        if len(ids) == 0:
            return 0
        present = ids[self.contains(ids)]
        for start in range(0, len(present), BATCH):
            self.client.delete(self.collection, ids=[int(i) for i in present[start:start + BATCH]])
        return len(present)

    # -- reading -------------------------------------------------------------------------------------------------
    @property
    def count(self) -> int:
        rows = self.client.query(self.collection, filter="", output_fields=["count(*)"])
        return int(rows[0]["count(*)"]) if rows else 0

    def _get(self, ids: np.ndarray, fields: list[str]) -> list[dict]:
        out: list[dict] = []
        for start in range(0, len(ids), BATCH):
            part = [int(i) for i in ids[start:start + BATCH]]
            out.extend(self.client.get(self.collection, ids=part, output_fields=fields))
        return out

    def contains(self, ids) -> np.ndarray:
        ids = as_ids(ids)
        if len(ids) == 0:
            return np.zeros(0, dtype=bool)
        found = {int(r["id"]) for r in self._get(ids, ["id"])}
        return np.asarray([int(i) in found for i in ids], dtype=bool)

    def ids(self) -> np.ndarray:
        rows = self.client.query(self.collection, filter=f"id >= {np.iinfo(np.int64).min}", output_fields=["id"])
        return np.asarray([int(r["id"]) for r in rows], dtype=np.int64)

    def vectors_of(self, ids) -> np.ndarray:
        ids = as_ids(ids)
        if len(ids) == 0:
            return np.zeros((0, self.dimension), dtype=np.float32)
        by_id = {int(r["id"]): r["vector"] for r in self._get(ids, ["id", "vector"])}
        missing = [int(i) for i in ids if int(i) not in by_id]
        if missing:
            raise KeyError(f"id {missing[0]} is not in the index")
        return np.asarray([by_id[int(i)] for i in ids], dtype=np.float32)

    def search(self, query: np.ndarray, k: int, allowed=None) -> Result:
        k = int(k)
        options: dict = {}
        if allowed is not None:
            allowed = as_ids(allowed)
            k = min(k, len(allowed))
            # a literal list: milvus-lite does not take filter templates (``filter_params``)
            options = {"filter": "id in [" + ",".join(str(int(i)) for i in np.unique(allowed)) + "]"}
        if k <= 0:
            return empty_result()
        vector = np.asarray(query, dtype=np.float32).reshape(-1).tolist()
        hits = self.client.search(self.collection, [vector], limit=min(k, 16_384), output_fields=["id"],
                                  search_params={"metric_type": "IP"}, **options)[0]
        if not hits:
            return empty_result()
        return (np.asarray([int(h["id"]) for h in hits], dtype=np.int64),
                np.asarray([float(h["distance"]) for h in hits], dtype=np.float32))

    # -- persistence ---------------------------------------------------------------------------------------------
    def _save_files(self, folder: Path, tag: str) -> dict:
        self.client.flush(self.collection)
        # a milvus-lite file lives in the folder and is found there again; a server's uri is kept
        return {"params": {"uri": self.uri if "://" in self.uri else "", "collection": self.collection}}

    @classmethod
    def _load(cls, folder: Path, meta: dict, /, **options) -> MilvusIndex:
        saved = meta["files"].get("params", {})
        options = {"uri": saved.get("uri", ""), "collection": saved.get("collection", "paragraphs"), **options}
        options.pop("folder", None)
        return cls(int(meta["dimension"]), folder=folder, **options)
