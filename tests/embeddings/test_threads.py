"""Thread counts for answering and indexing: what ``configure`` sets and what it returns."""

import os

from embeddings import threads


def test_questions_get_few_threads_and_indexing_the_rest(threads_restored):
    assert threads.configure(2, 3) == (2, 3)
    assert threads.query_threads() == 2 and threads.index_threads() == 3
    assert all(os.environ[name] == "2" for name in threads.THREAD_ENV)  # a runtime loaded later starts small


def test_zero_index_threads_is_every_core_and_counts_are_at_least_one(threads_restored):
    assert threads.configure(0, 0) == (1, os.cpu_count() or 1)
