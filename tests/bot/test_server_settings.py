"""Each server's /settings, stored in the data folder: kept across a restart, config as the default."""

import pytest

from bot.server_settings import ServerSettingsStore, parse_ids
from retrieval.errors import CitebotError


def test_settings_survive_a_restart_and_default_to_config(tmp_path):
    store = ServerSettingsStore.in_folder(tmp_path)
    assert store.answer_channels(1, [7]) == {7} and store.announce_channel(1, 9) == 9 and store.admin_roles(1) == set()
    store.update(1, answer_channel_ids=(11, 12), admin_role_ids=(21,), announce_channel_id=0)
    store.update(2, admin_role_ids=(31,))
    again = ServerSettingsStore.in_folder(tmp_path)  # a new process reads what was acknowledged
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


def test_a_server_left_is_kept_keep_days_then_its_own_articles_go(tmp_path, embedder, sample_data_dir):
    from bot.config import Config
    from bot.servers import purge_departed
    from retrieval.library import Library
    from retrieval.models import ArticleMeta
    from retrieval.server_view import ServerView
    from retrieval.tenants import Tenant
    from retrieval.text.articles import Article
    from tests.conftest import copy_data_dir
    from tests.retrieval.sources.test_index_sources import HARBOUR

    copy_data_dir(sample_data_dir, tmp_path / "data")
    library = Library(tmp_path / "data", embedder)
    text = "\n\n".join(HARBOUR)
    own = Article(ArticleMeta(article_id="harbour", title="Harbour", url="https://example.org/h"), text)
    shared = Article(ArticleMeta(article_id="quay", title="Quay", url="https://example.org/q"), text + " Quay.")
    ServerView(library, Tenant(5)).upsert([own, shared])
    ServerView(library, Tenant(6)).upsert([shared])
    store = ServerSettingsStore.in_folder(tmp_path / "data")
    store.update(5, admin_role_ids=(1,))
    day, left_at = 86_400, 1_000_000.0
    store.left(5, left_at)
    config = Config()
    assert config.servers.keep_days == 30
    assert purge_departed(config, library, store, left_at + 29 * day) == {}  # the fake clock: 29 days later
    assert library.store.find("harbour") == ["harbour"]
    assert purge_departed(config, library, store, left_at + 31 * day) == {5: 1}
    assert library.store.find("harbour") == [] and library.store.find("quay") == ["quay"]  # 6 still holds it
    assert store.admin_roles(5) == set() and store.departed_before(left_at + 99 * day) == []
    store.left(6, left_at)
    store.returned(6)  # invited back in time: nothing goes
    assert purge_departed(config, library, store, left_at + 99 * day) == {}
    assert library.store.find("quay") == ["quay"]
