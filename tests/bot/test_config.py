"""Loading config.toml: one validated object; every error is one line naming the key (or file) at fault."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_config


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_valid_file_resolves_paths_against_its_folder_and_reads_ids_written_as_strings(tmp_path, monkeypatch):
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    config = load_config(write(tmp_path, '[data]\ndir = "store"\n[discord]\nadmin_role_ids = ["123", 456]\n'
                                         '[retrieval]\ntop_k = 4\n[digest]\ncheck_seconds = 5\n'))
    assert config.data_dir == tmp_path / "store"
    assert config.discord.admin_role_ids == [123, 456]
    assert config.retrieval.top_k == 4 and config.digest.check_seconds == 5.0
    monkeypatch.setenv("DISCORD_TOKEN", " from-the-environment ")
    assert load_config(write(tmp_path, '[discord]\ntoken = "from-the-file"\n')).discord.token == "from-the-environment"


@pytest.mark.parametrize(("text", "expected"), [
    ("[retrieval]\ntopk = 3\n", "unknown config key 'retrieval.topk' (known: "),
    ("[retreival]\ntop_k = 3\n", "unknown config table [retreival] (known: "),
    ('[retrieval]\ntop_k = "three"\n', "config key 'retrieval.top_k' must be int, got str 'three'"),
    ("[retrieval]\ntop_k = 11\n", "config key 'retrieval.top_k' must be between 1 and 10"),
    ("[retrieval]\ntop_k = true\n", "config key 'retrieval.top_k' must be int, got bool True"),
    ("[limits]\nuser_window_s = inf\n", "config key 'limits.user_window_s' must be a finite number"),
    ("[discord]\nadmin_role_ids = [-5]\n", "config key 'discord.admin_role_ids[0]' must be a Discord id"),
    ("[discord]\nadmin_user_ids = 5\n", "config key 'discord.admin_user_ids' must be a list, got int"),
    ('[discord]\ntimezone = "Mars/Olympus"\n', "config key 'discord.timezone' must be an IANA time zone"),
    ('[digest]\ntimezone = "CEST"\n', "config key 'digest.timezone' must be an IANA time zone"),
    ("[digest]\nstories = 0\n", "config key 'digest.stories' must be between 1 and 10"),
    ('[splitter]\ncaption_patterns = ["(unclosed"]\n',
     "config key 'splitter.caption_patterns[0]' is not a valid regular expression"),
    ("retrieval = 3\n", "config key 'retrieval' must be a table ([retrieval])"),
    ('[[sources]]\nkind = "feed"\nlocation = "news.test/rss"\nname = "Coast"\n',
     "config key 'sources[1].location' (Coast): a feed source needs an http(s) URL, got 'news.test/rss'"),
    ('[[sources]]\nkind = "podcast"\nlocation = "https://news.test/"\n', "config key 'sources[1].kind'"),
    ('[[sources]]\nkind = "feed"\nlocation = "https://news.test/rss"\npoll_minutes = 0\n',
     "config key 'sources[1].poll_minutes' (https://news.test/rss): must be a whole number of at least 1"),
    ('[[sources]]\nkind = "feed"\nlocation = "https://a.test/rss"\n[[sources]]\nkind = "feed"\n'
     'location = "https://a.test/rss"\n', "config key 'sources[2].location' (https://a.test/rss): the same as "
     "sources[1]"),
    ("[retrieval\n", "is not valid TOML"),
])
def test_each_error_names_the_key(tmp_path, text, expected):
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    assert expected in str(caught.value)


def test_a_missing_or_unreadable_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match=r"config file .*nowhere\.toml does not exist \(copy config\.example"):
        load_config(tmp_path / "nowhere.toml")
    with pytest.raises(ConfigError, match="is not a regular file"):
        load_config(tmp_path)
    latin = tmp_path / "latin.toml"
    latin.write_bytes('[discord]\ntimezone = "Europe/Zürich"\n'.encode("latin-1"))
    with pytest.raises(ConfigError, match="is not UTF-8 text .* save it as UTF-8"):
        load_config(latin)
