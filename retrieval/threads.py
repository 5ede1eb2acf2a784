"""Thread counts for answering and indexing in one process (``[performance]``): FAISS here, the models in
``embeddings.threads``. A question uses ``query_threads``; passage embedding while indexing ``index_threads``."""

from __future__ import annotations

import os
import sys

from embeddings import threads as model_threads


def configure(query_threads: int = 1, index_threads: int = 0, serving: bool = False) -> tuple[int, int]:
    """Set this process's counts; returns (query, index). ``index_threads`` 0 is automatic: every core for a
    command that only indexes, the cores left beside ``query_threads`` when ``serving`` (the bot answers while
    its poller indexes)."""
    if index_threads <= 0:
        cores = os.cpu_count() or 1
        index_threads = max(1, cores - query_threads) if serving else cores
    counts = model_threads.configure(query_threads, index_threads)
    use_query_threads()
    return counts


def use_query_threads() -> None:
    """Limit FAISS's OpenMP threads in the calling thread to ``query_threads`` (OpenMP counts are per thread:
    each worker thread that answers calls this before searching)."""
    faiss = sys.modules.get("faiss")
    if faiss is not None:
        faiss.omp_set_num_threads(model_threads.query_threads())
