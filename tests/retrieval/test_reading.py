"""The read-only view queries use: it holds the collection's lock while entered, and its dense search filters
inside the index."""

from __future__ import annotations

import threading

import numpy as np


def test_the_view_holds_the_collections_lock_while_entered(sample_library):
    collection = sample_library.collection()
    taken: list[bool] = []

    def writer() -> None:
        got = collection.lock.acquire(timeout=0.2)
        taken.append(got)
        if got:
            collection.lock.release()

    with collection.reading():
        thread = threading.Thread(target=writer)
        thread.start()
        thread.join()
    assert taken == [False]  # a writer waits while a question is read
    thread = threading.Thread(target=writer)
    thread.start()
    thread.join()
    assert taken == [False, True]


def test_dense_search_keeps_only_allowed_rows_before_the_cut(sample_library):
    collection = sample_library.collection()
    vector = sample_library.embedder.encode_query("Who is the British ambassador to Ukraine?")
    with collection.reading() as view:
        geology = view.article_rows("geology")
        allowed = np.zeros(view.rows, dtype=bool)
        allowed[geology] = True
        best, _ = view.search(vector, 1)
        assert view.paragraph_at(int(best[0])).article_id != "geology"  # unfiltered, the nearest is elsewhere
        k = min(3, len(geology))
        rows, cosines = view.search(vector, k, allowed)
        assert len(rows) == k and allowed[rows].all()
        assert np.allclose(view.cosines(vector, rows), cosines, atol=1e-4)
        assert list(cosines) == sorted(cosines, reverse=True)
        assert len(view.article_rows("no-such-article")) == 0
