"""The incremental, crash-safe index: one SQLite store (the truth), stable ids, and indexes kept beside it.

- ``store``: articles, aliases, origins, paragraphs and sentence offsets in SQLite (WAL); every change to an
  article is one transaction that also appends to a change log (``changes.seq`` is the store's counter).
- ``identity``: article identity (URL normalisation, text hashes) for dedup.
- ``lock``: one writer at a time across processes (``fcntl`` lock naming its holder).
- ``datadir``: files of the data directory: atomic writes, setting a damaged file aside.
- ``report``: ``IndexReport``, what one index, add or sync did (saved as ``last_index.json``).
- ``snapshot``: the snapshot file's format on plain named arrays, written aside (fsync + ``os.replace``) with the
  change counter it reflects; opening applies what the store changed since (``retrieval.opening``).
- ``sentence_vectors``: float16 sentence vectors read from the snapshot by offset, spilled to a file past a limit.
- ``prepare``: what indexing a paragraph needs beyond its text (vector, BM25 tokens, sentence vectors).
- ``mappings``: read-only mappings a collection offers over its arrays.
- ``lookups``: paged, indexed look-ups for lists and autocomplete on their own read-only connection.
- ``indexer``: ``Indexer``, the one writer: upsert, remove, index files, under the write lock, with reports.
- ``vectors``: the dense index kinds (exact, HNSW, Milvus) behind one ``VectorIndex`` interface.
"""
