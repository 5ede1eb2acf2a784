"""The incremental, crash-safe index: one SQLite store (the truth), stable ids, and indexes kept beside it.

- ``store``: articles, aliases, origins, paragraphs and sentence offsets in SQLite (WAL); every change to an
  article is one transaction that also appends to a change log (``changes.seq`` is the store's counter).
- ``identity``: article identity (URL normalisation, text hashes) for dedup.
- ``lock``: one writer at a time across processes (``fcntl`` lock naming its holder).
- ``datadir``: files of the data directory: atomic writes, setting a damaged file aside.
- ``report``: ``IndexReport``, what one index, add or sync did (saved as ``last_index.json``).
- ``snapshot``: the dense vectors, sentence vectors and BM25 tokens written aside (fsync + ``os.replace``) with
  the change counter they reflect; a loader applies what the store changed since (see ``retrieval.collection``).
"""
