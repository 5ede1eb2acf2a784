"""Sources in config, `citebot preview` and `citebot eval extraction`."""

from __future__ import annotations

import json
import shutil

import pytest

from bot import cli
from bot.config import ConfigError, load_config
from tests.conftest import SAMPLES, SHARED
from tests.retrieval.sources.conftest import PAGE_IDS, site  # noqa: F401 - the local web server fixture

EXTRACTION = SHARED / "eval" / "extraction"


def write(tmp_path, text: str):
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_default_config_has_only_the_bundled_samples_folder(tmp_path) -> None:
    config = load_config(write(tmp_path, '[model]\nbatch_size = 8\n'))
    assert [(s.kind, s.location, s.name) for s in config.sources] == [
        ("folder", str(tmp_path / "samples" / "articles"), "samples/articles")
    ]


def test_sources_tables(tmp_path) -> None:
    config = load_config(write(tmp_path, """
[[sources]]
kind = "feed"
location = "https://www.theguardian.com/world/rss"
name = "Guardian world"
poll_minutes = 15
max_items = 20
keep_days = 30

[[sources]]
kind = "url"
location = "https://example.org/news/harbour"

[[sources]]
kind = "folder"
location = "my-articles"
"""))
    feed, url, folder = config.sources  # no default folder once [[sources]] is given
    got = (feed.kind, feed.name, feed.poll_minutes, feed.max_items, feed.keep_days)
    assert got == ("feed", "Guardian world", 15, 20, 30)
    assert url.poll_minutes == 30 and url.keep_days == 0
    assert folder.location == str(tmp_path / "my-articles") and config.article_folders == [tmp_path / "my-articles"]
    assert config.fetch.max_bytes == 5_000_000 and config.fetch.allow_private_addresses is False


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('kind = "blog"\nlocation = "https://x.org"',
         "'sources[2].kind' (https://x.org): must be one of folder, feed, url"),
        ('kind = "feed"\nlocation = "x.org/rss"',
         "'sources[2].location' (x.org/rss): a feed source needs an http(s) URL"),
        ('kind = "feed"\nlocation = "https://x.org/rss"\npoll_minutes = 0', "'sources[2].poll_minutes'"),
        ('kind = "url"\nlocation = "https://x.org/a"\ncolour = "red"',
         "'sources[2].colour' (https://x.org/a): unknown key"),
        ('kind = "folder"', "'sources[2].location': must be a non-empty string"),
    ],
)
def test_bad_sources_name_the_source_and_key(tmp_path, table, message) -> None:
    text = f'[[sources]]\nkind = "folder"\nlocation = "a"\n\n[[sources]]\n{table}\n'
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    assert message in str(caught.value)


def test_fetch_settings_are_validated(tmp_path) -> None:
    with pytest.raises(ConfigError, match="fetch.host_delay"):
        load_config(write(tmp_path, "[fetch]\nhost_delay = 0.1\n"))
    with pytest.raises(ConfigError, match="unknown config key 'fetch.proxy'"):
        load_config(write(tmp_path, '[fetch]\nproxy = "x"\n'))


def test_preview_url_json_is_what_would_be_indexed(capsys, tmp_path, site) -> None:  # noqa: F811
    config = write(tmp_path, f'[data]\ndir = "{tmp_path / "data"}"\n\n[fetch]\nallow_private_addresses = true\n')
    code = cli.main(["--config", str(config), "preview", f"{site.base}/pages/{PAGE_IDS[0]}.html", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and set(out) == {"title", "source", "author", "published", "url", "paragraphs"}
    assert out["title"].startswith("Browns player") and out["source"] == "CBSSports.com"
    assert out["published"] == "2019-11-19" and out["url"] == f"{site.base}/pages/{PAGE_IDS[0]}.html"
    assert len(out["paragraphs"]) >= 8 and all("\n\n" not in p for p in out["paragraphs"])
    assert not (tmp_path / "data").exists()  # stores nothing


def test_preview_refusals_are_one_line(capsys, tmp_path, site) -> None:  # noqa: F811
    guarded = write(tmp_path, "")
    code = cli.main(["--config", str(guarded), "preview", f"{site.base}/pages/{PAGE_IDS[0]}.html"])
    err = capsys.readouterr().err
    assert code == 1 and "private or local address" in err and err.count("\n") == 1


def test_preview_file(capsys) -> None:
    code = cli.main(["preview", str(SAMPLES / "geology.txt")])
    out = capsys.readouterr().out
    assert code == 0 and out.startswith("Geology\n") and "paragraphs would be indexed" in out


def test_eval_extraction_on_a_slice(capsys, tmp_path) -> None:
    (tmp_path / "pages").mkdir()
    lines = (EXTRACTION / "gold.jsonl").read_text(encoding="utf-8").splitlines()[:3]
    (tmp_path / "gold.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for line in lines:
        page_id = json.loads(line)["id"]
        shutil.copy(EXTRACTION / "pages" / f"{page_id}.html", tmp_path / "pages")
    code = cli.main(["eval", "extraction", "--set", str(tmp_path), "--json"])
    result = json.loads(capsys.readouterr().out)
    assert code == 0 and set(result) == {"pages", "precision", "recall", "f1", "title_found", "date_found"}
    assert result["pages"] == 3 and result["f1"] > 0.9 and result["title_found"] == 1.0


def test_example_config_documents_the_fetch_defaults() -> None:
    from retrieval.sources import FetchSettings

    config = load_config(SAMPLES.parents[1] / "config.example.toml")
    assert config.fetch == FetchSettings() and [s.kind for s in config.sources] == ["folder"]
    text = (SAMPLES.parents[1] / "config.example.toml").read_text(encoding="utf-8")
    assert '# kind = "feed"' in text and '# kind = "url"' in text  # shown, commented out: the default stays offline
