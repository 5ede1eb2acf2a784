"""``[performance]`` thread counts: an automatic index count leaves the question's threads free when serving."""

import os

from embeddings import threads as model_threads
from retrieval.threads import configure


def test_automatic_index_threads_leave_the_query_threads_free_while_serving(threads_restored):
    cores = os.cpu_count() or 1
    assert configure(1, 0, serving=True) == (1, max(1, cores - 1))
    assert configure(1, 0) == (1, cores)  # a command that only indexes takes every core
    assert configure(2, 5, serving=True) == (2, 5)  # an explicit count is kept
    assert model_threads.query_threads() == 2
