"""Topic follows: one alert per article per follower (whatever the topic), a limit per hour, state kept on disk."""

from __future__ import annotations

import pytest

from bot.follow_store import CHANNEL, USER, FollowStore
from retrieval.errors import CitebotError


def test_follow_claim_limit_and_reopen(tmp_path) -> None:
    store = FollowStore.in_folder(tmp_path)
    harbour, new = store.follow(USER, 7, "  harbour   repairs ", guild_id=1)
    assert new and harbour.topic == "harbour repairs"
    assert store.follow(USER, 7, "Harbour Repairs")[1] is False  # the same topic, any case
    ferries, _ = store.follow(USER, 7, "ferries")
    channel, _ = store.follow(CHANNEL, 55, "harbour repairs", guild_id=1)
    assert store.claim(harbour, "a1", per_hour=2, now=1000.0) == "send"
    assert store.claim(ferries, "a1", per_hour=2, now=1001.0) == "sent"  # one alert per article per follower
    assert store.claim(channel, "a1", per_hour=2, now=1001.0) == "send"  # another follower
    assert store.claim(harbour, "a2", per_hour=2, now=1002.0) == "send"
    assert store.claim(harbour, "a3", per_hour=2, now=1003.0) == "limited"
    assert store.claim(harbour, "a3", per_hour=2, now=1000.0 + 3601) == "send"  # an hour later
    store.release(harbour, "a3")
    store.close()

    again = FollowStore.in_folder(tmp_path)
    assert again.claim(harbour, "a1", per_hour=10) == "sent"
    assert again.claim(harbour, "a3", per_hour=10) == "send"  # released: not delivered, may try again
    assert [f.topic for f in again.of(7)] == ["ferries", "harbour repairs"]
    assert [(f.kind, f.target) for f in again.of(7, guild_id=1)][-1] == (CHANNEL, 55)
    assert again.unfollow(ferries.id) == ferries and again.unfollow(ferries.id) is None


@pytest.mark.parametrize(("topic", "error"), [("   ", "the topic is empty"), ("x" * 101, "the limit is 100")])
def test_bad_topics_are_named(tmp_path, topic: str, error: str) -> None:
    with pytest.raises(CitebotError, match=error):
        FollowStore.in_folder(tmp_path).follow(USER, 1, topic)
