"""/settings' checks without Discord: ids are checked against the server they are set in."""

import pytest

from bot.cogs.settings import Settings
from retrieval.errors import CitebotError


class Guild:
    """A server with channels 100010, 100011 and role 100020."""

    def get_channel(self, cid: int):
        return object() if cid in (100010, 100011) else None

    def get_role(self, rid: int):
        return object() if rid == 100020 else None


def test_changes_are_checked_against_the_server():
    assert Settings.changes(Guild(), "<#100010> 100011", "<@&100020>", "none") == {
        "answer_channel_ids": (100010, 100011), "admin_role_ids": (100020,), "announce_channel_id": 0}
    assert Settings.changes(Guild(), "default", None, "default") == {"answer_channel_ids": None,
                                                                     "announce_channel_id": None}
    with pytest.raises(CitebotError, match="is not a channel of this server"):
        Settings.changes(Guild(), "<#99999>", None, None)
    with pytest.raises(CitebotError, match="role 99999 is not a role of this server"):
        Settings.changes(Guild(), None, "99999", None)
    with pytest.raises(CitebotError, match="one announce channel"):
        Settings.changes(Guild(), None, None, "<#100010> <#100011>")
