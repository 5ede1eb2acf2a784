"""Thread counts chosen on purpose: few for answering a question, more for embedding passages while indexing.

Answering and re-indexing share one process in the Discord bot (the feed poller indexes while questions come in).
Left alone, torch, FAISS and ONNX Runtime each start a pool as large as the machine, and on two cores a question
then waits behind the indexer. ``configure`` is called once at start from ``[performance]``: questions get
``query_threads`` (the ONNX Runtime session, FAISS searches), passage embedding gets ``index_threads`` (torch).
"""

from __future__ import annotations

import os
import sys
import threading

#: Environment variables read by the OpenMP/BLAS runtimes when they load (FAISS's OpenMP, MKL, OpenBLAS).
THREAD_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")

_lock = threading.Lock()
_query_threads = 1
_index_threads = max(1, os.cpu_count() or 1)


def configure(query_threads: int, index_threads: int) -> tuple[int, int]:
    """Set the counts for this process (``index_threads`` 0: every core). Returns the (query, index) counts.

    The OpenMP/BLAS environment is set to ``query_threads`` so that a runtime loaded later starts small; torch is
    set to ``index_threads`` explicitly when it loads (it embeds passages), and at once if it is loaded already."""
    global _query_threads, _index_threads
    query = max(1, int(query_threads))
    index = int(index_threads) if index_threads and index_threads > 0 else max(1, os.cpu_count() or 1)
    with _lock:
        _query_threads, _index_threads = query, index
    for name in THREAD_ENV:
        os.environ[name] = str(query)
    if "torch" in sys.modules:
        apply_torch()
    return query, index


def query_threads() -> int:
    """Threads one question may use (ONNX Runtime intra-op, FAISS search)."""
    return _query_threads


def index_threads() -> int:
    """Threads passage embedding may use (torch)."""
    return _index_threads


def apply_torch() -> None:
    """Give torch ``index_threads`` intra-op threads and one inter-op thread (the latter only before first use)."""
    import torch

    torch.set_num_threads(_index_threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # already set, or torch already ran parallel work: keep what it has
        pass
