"""Each server's /settings, stored in the data folder: kept across a restart, config as the default."""

import pytest

from bot.server_settings import ServerSettingsStore, parse_ids
from retrieval.errors import CitebotError


def test_settings_survive_a_restart_and_default_to_config(tmp_path):
    store = ServerSettingsStore(tmp_path)
    store.load()
    assert store.answer_channels(1, [7]) == {7} and store.announce_channel(1, 9) == 9 and store.admin_roles(1) == set()
    store.update(1, answer_channel_ids=(11, 12), admin_role_ids=(21,), announce_channel_id=0)
    store.update(2, admin_role_ids=(31,))
    again = ServerSettingsStore(tmp_path)  # a new process reads what was acknowledged
    again.load()
    assert again.answer_channels(1, [7]) == {11, 12} and again.admin_roles(1) == {21}
    assert again.announce_channel(1, 9) == 0  # "none" set on purpose, not the default
    assert again.answer_channels(2, [7]) == {7} and again.admin_roles(2) == {31} and again.admin_roles(3) == set()
    again.update(1, answer_channel_ids=None)
    assert again.answer_channels(1, [7]) == {7}


def test_ids_are_parsed_from_mentions_and_bad_items_are_named():
    assert parse_ids("<#123456> 234567, <@&345678>", "channel") == (123456, 234567, 345678)
    assert parse_ids("none", "role") == () and parse_ids("default", "channel") is None
    with pytest.raises(CitebotError, match="“#general” is not a channel"):
        parse_ids("#general", "channel")
