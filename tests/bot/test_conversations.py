"""The bot's SQLite memory of its answers: reply chains without Discord calls, bounded, expiring."""

from bot.conversations import ConversationStore
from retrieval.query.conversation import Turn


def test_reply_chain_is_rebuilt_oldest_first(tmp_path):
    store = ConversationStore(tmp_path / "c.sqlite")
    store.remember(1, Turn("Q1", ("a",), ("s1",), ("a-p1",)))
    store.remember(2, Turn("Q2", ("a",), ("s2",)), previous_id=1)
    store.remember(3, Turn("Q3", ("b",), ("s3",)), previous_id=2)
    assert [t.question for t in store.history(3)] == ["Q1", "Q2", "Q3"]
    assert store.history(1)[0].pids == ("a-p1",)
    assert [t.question for t in store.history(3, turns=2)] == ["Q2", "Q3"]
    store.close()
    reopened = ConversationStore(tmp_path / "c.sqlite")  # survives a restart
    assert [t.question for t in reopened.history(2)] == ["Q1", "Q2"]


def test_entries_expire_and_are_bounded(tmp_path):
    store = ConversationStore(tmp_path / "c.sqlite", max_rows=3, max_age_s=100)
    store.remember(1, Turn("old"), now=0)
    store.remember(2, Turn("new"), previous_id=1)
    assert [t.question for t in store.history(2)] == ["new"]  # the expired answer ends the chain
    for i in range(3, 8):
        store.remember(i, Turn(f"Q{i}"))
    assert store.count() == 3 and store.knows(7) and not store.knows(3)


def test_threads_remember_their_latest_answer(tmp_path):
    store = ConversationStore(tmp_path / "c.sqlite")
    assert store.thread_answer(50) is None
    store.remember(10, Turn("Q"), thread_id=50)
    store.remember(11, Turn("Q again"), previous_id=10, thread_id=50)
    assert store.thread_answer(50) == 11
