"""The hostile-input catalogue (docs/hardening.md lists every case and its outcome).

Families: questions (CLI and console), article files, config, the data directory, eval files, terminal output.
A case that must fail ends in exactly one line on stderr naming the problem and what to do, a non-zero exit code,
no traceback, and the index and embedding cache byte for byte as they were. Articles that cannot be read are
skipped with a line naming the file and the reason; nothing hangs.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bot import cli
from bot.config import Config, load_config
from bot.console import chat, render_sources
from retrieval.text.articles import read_articles
from tests.conftest import ROOT, SAMPLE_ARTICLE, SAMPLES

AMBASSADOR = "Who is the British ambassador to Ukraine?"
CONTROL = [chr(c) for c in range(32) if chr(c) not in "\n\t"] + [chr(c) for c in range(0x7F, 0xA0)]


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (SQLite's -wal/-shm side files aside) -> its SHA-256."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.endswith(("-wal", "-shm"))
    }


def assert_untouched(before: dict[str, str], folder: Path) -> None:
    """Every file of the index and cache is as it was; at most an empty embedding cache was created."""
    after = snapshot(folder) if folder.exists() else {}
    assert {k: after.get(k) for k in before} == before
    assert set(after) - set(before) <= {"embeddings.sqlite"}


def assert_one_line_error(code: int, err: str, *fragments: str) -> None:
    assert code != 0, err
    assert err.count("\n") == 1 and err.startswith("citebot: error: "), err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, err
    assert not any(ch in err for ch in CONTROL), repr(err)


@pytest.fixture
def data_dir(config_file: Path) -> Path:
    return load_config(config_file).data_dir


# ------------------------------------------------------------------------------------------------ questions

REFUSED_QUESTIONS = [
    pytest.param("", "question is empty", id="empty"),
    pytest.param("   \t  \n ", "question is empty", id="only-whitespace"),
    pytest.param("\u200b\u200c\u200d\ufeff\u2060", "question is empty", id="only-zero-width"),
    pytest.param("\x00\x01\x02\x1b\x7f", "question is empty", id="only-control-characters"),
    pytest.param("x" * 2000, "limit is 500", id="too-long"),
    pytest.param("Who " * 20_000, "limit is 500", id="huge"),
]


@pytest.mark.parametrize(("question", "message"), REFUSED_QUESTIONS)
def test_question_refused_with_one_line(capsys, config_file, data_dir, question, message):
    before = snapshot(data_dir)
    code, out, err = run_cli(capsys, "--config", str(config_file), "ask", question)
    assert_one_line_error(code, err, message)
    assert out == ""
    assert_untouched(before, data_dir)


CONTENT_FREE = [
    pytest.param("help", id="help"),
    pytest.param("/help", id="slash-help"),
    pytest.param("Hello!", id="hello"),
    pytest.param("good morning citebot", id="greeting"),
    pytest.param("thanks!!", id="thanks"),
    pytest.param("?!?...", id="only-punctuation"),
    pytest.param("🙂🙂🙂", id="only-emoji"),
    pytest.param("Hey, can you help me please?", id="help-request"),
    pytest.param("What can you do?", id="what-can-you-do"),
]


@pytest.mark.parametrize("question", CONTENT_FREE)
def test_content_free_question_gets_help_and_found_false(capsys, config_file, question):
    code, out, err = run_cli(capsys, "--config", str(config_file), "ask", question, "--json")
    assert code == 0 and err == ""
    answer = json.loads(out)
    assert answer["found"] is False and answer["quotes"] == [] and answer["content_free"] is True
    code, out, _ = run_cli(capsys, "--config", str(config_file), "ask", question)
    assert code == 0 and "Ask a question about the indexed news articles" in out


ANSWERED_QUESTIONS = [
    pytest.param(f"\x1b[2J\x1b[31m{AMBASSADOR}\x1b[0m", id="ansi-escapes"),
    pytest.param(AMBASSADOR.replace("British", "Brit\u200bish"), id="zero-width-inside"),
    pytest.param(AMBASSADOR.replace(" ", "\x00 ") + "\r\n", id="nul-and-crlf"),
    pytest.param(f"@everyone {AMBASSADOR}", id="everyone"),
    pytest.param(f"\u202e{AMBASSADOR}\u202c", id="bidi-override"),
]


@pytest.mark.parametrize("question", ANSWERED_QUESTIONS)
def test_question_with_invisible_or_control_characters_is_answered(capsys, config_file, question):
    code, out, err = run_cli(capsys, "--config", str(config_file), "ask", question)
    assert code == 0 and err == ""
    assert "Melinda Simmons" in out
    assert not any(ch in out for ch in CONTROL)


def test_question_the_articles_do_not_cover_is_not_content_free(capsys, config_file):
    code, out, _ = run_cli(capsys, "--config", str(config_file), "ask", "What is a good recipe for banana bread?",
                           "--json")
    answer = json.loads(out)
    assert code == 0 and answer["found"] is False and "content_free" not in answer and answer["quotes"]


def console(config_file: Path, data: bytes) -> str:
    """Console mode (piped) fed ``data`` as raw bytes on stdin; returns what it printed."""
    config = load_config(config_file)
    from bot.services import open_library

    stdin = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")
    stdout = io.StringIO()
    chat(cli.console_handler(open_library(config), config), stdin=stdin, stdout=stdout)
    return stdout.getvalue()


CONSOLE_CASES = [
    pytest.param(b"\xff\xfe\xc3(broken utf-8\n", "> \ufffd", id="invalid-utf8-line"),
    pytest.param(b"\x1b]0;pwned\x07\x1b[2Jhello\n", "Ask a question", id="escape-sequences-in-line"),
    pytest.param(b"help\n", "Ask a question", id="help"),
    pytest.param(b"x" * 3000 + b"\n", "error: the question is 3000 characters long", id="too-long-line"),
    pytest.param(b"\x00\x00\n", "error: the question is empty", id="nul-line"),
]


@pytest.mark.parametrize(("line", "expected"), CONSOLE_CASES)
def test_console_survives_a_hostile_line_and_answers_the_next(config_file, line, expected):
    out = console(config_file, line + AMBASSADOR.encode() + b"\n")
    assert expected in out
    assert "Melinda Simmons" in out  # the session went on to the next line
    assert not any(ch in out for ch in CONTROL), repr(out)


# ------------------------------------------------------------------------------------------------ article files

GOOD_TXT = SAMPLE_ARTICLE.read_bytes()


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _loop(path: Path) -> None:
    other = path.with_name("other-end.txt")
    path.symlink_to(other)
    other.symlink_to(path)


def _sparse(path: Path) -> None:
    with open(path, "wb") as handle:
        handle.write(b"Big\n\n")
        handle.truncate(6_000_000)


def _write(content: bytes):
    return lambda path: path.write_bytes(content)


SKIPPED_FILES = [
    pytest.param("latin1.txt", _write("Café\n\nUn café au lait coûte trois euros.".encode("latin-1")),
                 "not UTF-8 text (byte 0xe9", id="latin-1"),
    pytest.param("binary.txt", _write(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))),
                 "looks like a binary file", id="binary-txt"),
    pytest.param("image.html", _write(b"\x00\x01\x02\x03" * 100), "looks like a binary file", id="binary-html"),
    pytest.param("huge.txt", _sparse, "larger than 5 MB", id="huge"),
    pytest.param("pipe.txt", _fifo, "not a regular file", id="fifo"),
    pytest.param("zero.txt", lambda p: p.symlink_to("/dev/zero"), "not a regular file", id="device-symlink"),
    pytest.param("loop.txt", _loop, "cannot read", id="symlink-loop"),
    pytest.param("dangling.txt", lambda p: p.symlink_to(p.with_name("gone.txt")), "cannot read", id="broken-link"),
    pytest.param("bad.json", _write(b'{"title": "x", "text": '), "not valid JSON", id="malformed-json"),
    pytest.param("types.json", _write(b'{"title": "x", "text": 5}'), "needs a non-empty string 'text'",
                 id="json-text-not-a-string"),
    pytest.param("list.json", _write(b'[1, 2, 3]'), "needs a non-empty string 'text'", id="json-list-of-numbers"),
    pytest.param("open.md", _write(b"---\ntitle: Never closed\n\nBody text here."), "never closed",
                 id="front-matter-not-closed"),
    pytest.param("date.txt", _write(b"A title\nPublished: 2022-02-30\n\nSome body text."), "2022-02-30' is not a real",
                 id="impossible-date-txt"),
    pytest.param("date.json", _write(b'{"title": "x", "text": "Body.", "published": "2021-13-45"}'),
                 "is not a real date", id="impossible-date-json"),
    pytest.param("words.md", _write(b"---\ntitle: T\npublished: last Tuesday\n---\nBody."), "not a real date",
                 id="unreadable-date"),
    pytest.param("empty.txt", _write(b""), "the file is empty", id="empty-file"),
    pytest.param("title-only.txt", _write(b"Just a title\n\n\n"), "no article text", id="title-only"),
    pytest.param("nothing.html", _write(b"<html><head></head><body></body></html>"), "no article text",
                 id="html-without-article"),
]


def read_with_timeout(paths: list[Path], timeout: float = 20.0):
    """``read_articles(paths)``, failing (instead of hanging the suite) if it does not return in time."""
    result: list = []
    worker = threading.Thread(target=lambda: result.append(read_articles(paths)), daemon=True)
    worker.start()
    worker.join(timeout)
    assert result, f"reading {paths} hung for {timeout} s"
    return result[0]


@pytest.mark.parametrize(("name", "make", "reason"), SKIPPED_FILES)
def test_bad_article_file_is_skipped_with_its_reason(tmp_path, name, make, reason):
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "good.txt").write_bytes(GOOD_TXT)
    make(folder / name)
    for paths in ([folder], [folder / name]):  # in a folder, and named directly (`citebot index FILE`)
        articles, skipped = read_with_timeout(paths)
        reasons = {Path(p).name: r for p, r in skipped}
        assert name in reasons and reason in reasons[name], skipped
        assert not any(ch in r for r in reasons.values() for ch in CONTROL)
    assert [a.meta.article_id for a in read_with_timeout([folder])[0]] == ["good"]


def _read_one(tmp_path: Path, name: str, content: bytes):
    path = tmp_path / name
    path.write_bytes(content)
    articles, skipped = read_with_timeout([path])
    assert skipped == [] and len(articles) == 1
    return articles[0]


def test_utf8_bom_keeps_markdown_front_matter(tmp_path):
    md = b"---\ntitle: Front matter title\nsource: Wire\npublished: 2022-02-11\n---\nThe body, one paragraph."
    article = _read_one(tmp_path, "bom.md", codecs.BOM_UTF8 + md)
    assert (article.meta.title, article.meta.source, article.meta.published) == (
        "Front matter title", "Wire", "2022-02-11")
    assert article.text == "The body, one paragraph."


def test_utf8_bom_txt_title_has_no_bom(tmp_path):
    article = _read_one(tmp_path, "bom.txt", codecs.BOM_UTF8 + b"Title\nSource: Wire\n\nBody text.")
    assert article.meta.title == "Title" and article.meta.source == "Wire"


def test_utf16_with_bom_is_read(tmp_path):
    article = _read_one(tmp_path, "wide.txt", "Título\n\nCafé con leche.".encode("utf-16"))
    assert article.meta.title == "Título" and article.text == "Café con leche."


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<script>x</script>", "file:///etc/passwd",
     "vbscript:msgbox", "//example.com/no-scheme", "https://exa mple.com/space"],
)
def test_unsafe_url_in_metadata_is_dropped(tmp_path, url):
    json_article = _read_one(tmp_path, "a.json", json.dumps({"title": "T", "text": "Body.", "url": url}).encode())
    md_article = _read_one(tmp_path, "a.md", f"---\ntitle: T\nurl: {url}\n---\nBody.".encode())
    assert json_article.meta.url is None and md_article.meta.url is None


def test_safe_url_is_kept(tmp_path):
    article = _read_one(tmp_path, "a.json", b'{"title": "T", "text": "Body.", "url": "https://example.com/a?b=1"}')
    assert article.meta.url == "https://example.com/a?b=1"


def test_escape_sequences_are_stripped_from_article_text_and_metadata(tmp_path):
    article = _read_one(
        tmp_path, "a.json",
        json.dumps({"title": "\x1b[2J\x1b]0;pwned\x07Title\x9b31m", "source": "Wire\x00",
                    "text": "Body \x1b[31mred\x1b[0m text.\x07"}).encode(),
    )
    assert article.meta.title == "Title" and article.meta.source == "Wire"
    assert article.text == "Body red text."


def test_metadata_of_the_wrong_type_is_ignored(tmp_path):
    article = _read_one(tmp_path, "obj.json", b'{"title": {"a": 1}, "source": ["x"], "text": "Body."}')
    assert article.meta.title == "obj" and article.meta.source is None


def test_symlink_loop_between_folders_ends(tmp_path):
    folder = tmp_path / "articles"
    (folder / "sub").mkdir(parents=True)
    (folder / "good.txt").write_bytes(GOOD_TXT)
    (folder / "sub" / "loop").symlink_to(folder, target_is_directory=True)
    articles, _ = read_with_timeout([folder])
    assert [a.meta.article_id for a in articles] == ["good"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every folder")
def test_unreadable_folder_is_reported(tmp_path):
    folder = tmp_path / "articles"
    (folder / "locked").mkdir(parents=True)
    (folder / "good.txt").write_bytes(GOOD_TXT)
    (folder / "locked").chmod(0)
    try:
        articles, skipped = read_with_timeout([folder])
    finally:
        (folder / "locked").chmod(0o755)
    assert [a.meta.article_id for a in articles] == ["good"]
    assert any("locked" in p and "cannot read the folder" in r for p, r in skipped)


# ------------------------------------------------------------------------------------------------ config

def _every_key_with_a_wrong_type() -> list:
    """One case per config key: a value of the wrong type must be refused, naming that key."""
    from dataclasses import fields, is_dataclass
    from typing import get_type_hints

    cases = []
    for section in fields(Config):
        cls = get_type_hints(Config)[section.name]
        if not is_dataclass(cls):  # base_dir, the [[sources]] list
            continue
        for key, kind in get_type_hints(cls).items():
            wrong = '"abc"' if kind in (int, float) else ("12" if kind is str else '"not a list"')
            cases.append(pytest.param(f"[{section.name}]\n{key} = {wrong}\n", f"{section.name}.{key}",
                                      id=f"type-{section.name}.{key}"))
    return cases


BAD_CONFIGS = [
    *_every_key_with_a_wrong_type(),
    pytest.param("[retrieval]\nmin_score = nan\n", "'retrieval.min_score' must be a finite number", id="nan"),
    pytest.param("[retrieval]\nmin_score = -5\n", "'retrieval.min_score' must be between 0 and 1", id="negative"),
    pytest.param("[retrieval]\nbm25_weight = inf\n", "retrieval.bm25_weight", id="inf"),
    pytest.param("[retrieval]\ntop_k = 0\n", "retrieval.top_k", id="top_k-zero"),
    pytest.param("[retrieval]\ntop_k = 3.5\n", "retrieval.top_k", id="float-for-int"),
    pytest.param("[retrieval]\ntop_k = true\n", "retrieval.top_k", id="bool-for-int"),
    pytest.param("[splitter]\ncaption_patterns = ['(unclosed']\n", "'splitter.caption_patterns[0]' is not a valid "
                 "regular expression", id="bad-regex"),
    pytest.param("[splitter]\nboilerplate_patterns = ['ok', '*star']\n", "splitter.boilerplate_patterns[1]",
                 id="bad-regex-second"),
    pytest.param("[retrieval]\ntopk = 3\n", "unknown config key 'retrieval.topk'", id="unknown-key"),
    pytest.param("[retreival]\ntop_k = 3\n", "unknown config table [retreival]", id="unknown-table"),
    pytest.param("retrieval = 5\n", "config key 'retrieval' must be a table", id="section-not-a-table"),
    pytest.param("[retrieval\ntop_k = 3\n", "is not valid TOML", id="invalid-toml"),
    pytest.param("[logging]\nlevel = 'LOUD'\n", "'logging.level' must be one of DEBUG", id="log-level"),
    pytest.param("[limits]\nqueue_size = -1\n", "limits.queue_size", id="queue-size-negative"),
    pytest.param("[limits]\nuser_window_s = -1\n", "limits.user_window_s", id="negative-window"),
    pytest.param("[limits]\ndelivery_deadline_s = 1e9\n", "limits.delivery_deadline_s", id="deadline-huge"),
    pytest.param("[discord]\nguild_ids = [-1]\n", "discord.guild_ids[0]", id="negative-id"),
    pytest.param("[model]\nbatch_size = 0\n", "model.batch_size", id="batch-zero"),
    pytest.param("[data]\ndir = ''\n", "data.dir", id="empty-data-dir"),
    pytest.param("[articles]\nfolders = ['']\n", "articles.folders[0]", id="empty-folder"),
    pytest.param("[summary]\nsentences = 99\n", "summary.sentences", id="sentences-out-of-range"),
]


@pytest.mark.parametrize(("toml", "message"), BAD_CONFIGS)
def test_bad_config_is_one_line_naming_the_key(capsys, tmp_path, toml, message):
    path = tmp_path / "config.toml"
    path.write_text(toml, encoding="utf-8")
    code, out, err = run_cli(capsys, "--config", str(path), "sources")
    assert_one_line_error(code, err, message)
    assert out == ""


@pytest.mark.parametrize(
    ("make", "message"),
    [
        pytest.param(lambda p: p.write_bytes("[articles]\nfolders = ['Café']\n".encode("latin-1")),
                     "is not UTF-8 text (byte 0xe9", id="latin-1-file"),
        pytest.param(lambda p: p.mkdir(), "is not a regular file", id="config-is-a-folder"),
        pytest.param(lambda p: os.mkfifo(p), "is not a regular file", id="config-is-a-fifo"),
        pytest.param(lambda p: None, "does not exist", id="missing-config"),
    ],
)
def test_unreadable_config_file_names_the_problem(capsys, tmp_path, make, message):
    path = tmp_path / "config.toml"
    make(path)
    code, _, err = run_cli(capsys, "--config", str(path), "sources")
    assert_one_line_error(code, err, message)


# ------------------------------------------------------------------------------------------------ data directory
# A missing or unreadable store is one line naming the fix; a damaged or missing snapshot (index.npz) is repaired
# from the store and the embedding cache, and the question is answered.

def _garbage(path: Path) -> None:
    for side in ("-wal", "-shm"):
        path.with_name(path.name + side).unlink(missing_ok=True)
    path.write_bytes(b"garbage" * 100)


DAMAGED_DATA = [
    pytest.param(lambda d: shutil.rmtree(d), "run `citebot index`", id="data-dir-missing"),
    pytest.param(lambda d: [(d / f"citebot.sqlite{s}").unlink(missing_ok=True) for s in ("", "-wal", "-shm")],
                 "run `citebot index`", id="store-missing"),
]


@pytest.mark.parametrize(("damage", "message"), DAMAGED_DATA)
def test_damaged_data_directory_is_one_line(capsys, config_file, data_dir, damage, message):
    damage(data_dir)
    before = snapshot(data_dir) if data_dir.exists() else {}
    code, out, err = run_cli(capsys, "--config", str(config_file), "ask", AMBASSADOR)
    assert_one_line_error(code, err, message)
    assert out == ""
    assert_untouched(before, data_dir)


def test_garbage_store_is_set_aside_with_a_message(capsys, config_file, data_dir):
    _garbage(data_dir / "citebot.sqlite")
    code, out, err = run_cli(capsys, "--config", str(config_file), "ask", AMBASSADOR)
    assert code == 1 and out == "" and "set aside" in err and "run `citebot index`" in err
    assert "Traceback" not in err and list(data_dir.glob("citebot.sqlite.damaged-*"))


REPAIRED = [
    pytest.param(lambda d: (d / "index.npz").unlink(missing_ok=True), id="snapshot-missing"),
    pytest.param(lambda d: (d / "index.npz").write_bytes(b"PK\x03\x04"), id="snapshot-truncated"),
    pytest.param(lambda d: (d / "index.npz").write_bytes(b"\x00" * 10), id="snapshot-garbage"),
    pytest.param(lambda d: (d / "write.lock").write_bytes(b"\xff\xfe garbage"), id="lock-file-garbage"),
]


@pytest.mark.parametrize("damage", REPAIRED)
def test_damaged_snapshot_is_repaired_and_answers(capsys, config_file, data_dir, damage):
    damage(data_dir)
    code, out, err = run_cli(capsys, "--config", str(config_file), "ask", AMBASSADOR)
    assert code == 0 and "Melinda Simmons" in out and "Traceback" not in err


def test_data_directory_that_is_a_file_is_one_line(capsys, config_file, data_dir):
    shutil.rmtree(data_dir)
    data_dir.write_text("not a folder\n", encoding="utf-8")
    code, out, err = run_cli(capsys, "--config", str(config_file), "ask", AMBASSADOR)
    assert_one_line_error(code, err, "'data.dir'")
    assert "is a file, not a folder" in err and out == ""
    assert data_dir.read_text(encoding="utf-8") == "not a folder\n"


def test_write_lock_that_is_a_folder_is_one_line(capsys, config_file, data_dir):
    (data_dir / "write.lock").unlink(missing_ok=True)
    (data_dir / "write.lock").mkdir()
    code, _, err = run_cli(capsys, "--config", str(config_file), "index")
    assert_one_line_error(code, err, "write lock")
    code, out, _ = run_cli(capsys, "--config", str(config_file), "ask", AMBASSADOR)
    assert code == 0 and "Melinda Simmons" in out


def test_damaged_embedding_cache_is_set_aside_and_indexing_goes_on(capsys, caplog, tmp_path, config_file, data_dir):
    _garbage(data_dir / "embeddings.sqlite")
    article = tmp_path / "harbour.txt"
    article.write_text("Title: Harbour reopens\nSource: Test Gazette\nDate: 2024-03-01\n\n"
                       "The old harbour of Kestrel Bay reopened on Friday after a two-year repair of its sea wall.\n",
                       encoding="utf-8")
    code, out, err = run_cli(capsys, "--config", str(config_file), "index", str(article))
    assert code == 0 and "Traceback" not in err
    assert "set aside" in caplog.text and list(data_dir.glob("embeddings.sqlite.damaged-*"))
    code, out, _ = run_cli(capsys, "--config", str(config_file), "ask", "When did the Kestrel Bay harbour reopen?")
    assert code == 0 and "Kestrel Bay" in out


# ------------------------------------------------------------------------------------------------ eval files

PARAGRAPH = {"pid": "d1#0", "doc_id": "d1", "text": "Melinda Simmons is the British ambassador to Ukraine."}
QUESTION = {"qid": "q1", "question": AMBASSADOR, "gold_pid": "d1#0"}


def _jsonl(*rows) -> bytes:
    return b"".join((r if isinstance(r, bytes) else json.dumps(r).encode()) + b"\n" for r in rows)


BAD_EVAL = [
    pytest.param(_jsonl(PARAGRAPH, b"{not json"), None, ":2: not valid JSON", id="malformed-row"),
    pytest.param(_jsonl(b"[1, 2]"), None, ":1: each line must be a JSON object", id="row-not-an-object"),
    pytest.param(_jsonl(b"42"), None, "each line must be a JSON object", id="row-a-number"),
    pytest.param(_jsonl({"pid": "x", "text": "t"}), None, ":1: missing key(s) doc_id", id="missing-key"),
    pytest.param(_jsonl({**PARAGRAPH, "text": 5}), None, "'text' has the wrong type", id="text-not-a-string"),
    pytest.param(_jsonl({**PARAGRAPH, "text": ""}), None, "'text' has the wrong type or is empty", id="empty-text"),
    pytest.param(_jsonl(PARAGRAPH, PARAGRAPH), None, "appears more than once", id="duplicate-pid"),
    pytest.param(b"", None, "has no rows", id="empty-file"),
    pytest.param("é".encode("latin-1") + b"\n", None, "is not UTF-8 text", id="latin-1"),
    pytest.param(None, _jsonl({**QUESTION, "gold_pid": "nope#9"}), "gold_pid 'nope#9' is not in the paragraphs",
                 id="unknown-gold-pid"),
    pytest.param(None, _jsonl({**QUESTION, "gold_pid": None, "gold_doc": "d9"}), "gold_doc 'd9' is not in",
                 id="unknown-gold-doc"),
    pytest.param(None, _jsonl({"qid": "q1", "question": ["a"]}), "'question' has the wrong type",
                 id="question-not-a-string"),
]


@pytest.mark.parametrize(("paragraphs", "questions", "message"), BAD_EVAL)
def test_bad_eval_file_is_one_line_naming_file_and_line(capsys, tmp_path, config_file, data_dir, paragraphs,
                                                       questions, message):
    p, q = tmp_path / "paragraphs.jsonl", tmp_path / "questions.jsonl"
    p.write_bytes(paragraphs if paragraphs is not None else _jsonl(PARAGRAPH))
    q.write_bytes(questions if questions is not None else _jsonl(QUESTION))
    before = snapshot(data_dir)
    code, out, err = run_cli(capsys, "--config", str(config_file), "eval", "retrieval", "--paragraphs", str(p),
                             "--questions", str(q))
    assert_one_line_error(code, err, message)
    assert out == ""
    assert_untouched(before, data_dir)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--paragraphs", "FIFO", "--questions", "Q"], "is not a regular file", id="fifo"),
        pytest.param(["--paragraphs", "MISSING", "--questions", "Q"], "cannot read", id="missing-file"),
        pytest.param(["--paragraphs", "P", "--questions", "Q", "--limit", "0"], "--limit must be at least 1",
                     id="limit-zero"),
    ],
)
def test_eval_arguments_that_cannot_work(capsys, tmp_path, config_file, args, message):
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "p.jsonl").write_bytes(_jsonl(PARAGRAPH))
    (tmp_path / "q.jsonl").write_bytes(_jsonl(QUESTION))
    names = {"FIFO": "fifo", "MISSING": "missing.jsonl", "P": "p.jsonl", "Q": "q.jsonl"}
    args = [str(tmp_path / names[a]) if a in names else a for a in args]
    code, _, err = run_cli(capsys, "--config", str(config_file), "eval", "retrieval", *args)
    assert_one_line_error(code, err, message)


def test_summary_eval_highlights_not_a_list(capsys, tmp_path, config_file):
    path = tmp_path / "articles.jsonl"
    path.write_bytes(_jsonl({"id": "a", "article": "Text.", "highlights": "not a list"}))
    code, _, err = run_cli(capsys, "--config", str(config_file), "eval", "summary", "--articles", str(path))
    assert_one_line_error(code, err, ":1: 'highlights' has the wrong type")


# ------------------------------------------------------------------------------------------------ terminal output

def test_sources_never_prints_control_characters():
    rows = [{"article_id": "a\x1b[2J", "title": "\x1b]0;pwned\x07Title\x9b2J\r", "source": "Wire\x00",
             "published": None, "url": "https://x.example/\x1b[31m", "paragraphs": 3}]
    text = render_sources(rows)
    assert "Title" in text and not any(ch in text for ch in CONTROL + ["\r"])


def test_sources_into_a_closed_pipe_is_quiet(config_file):
    """`citebot sources | head`: the reader is gone before citebot writes; no BrokenPipeError traceback."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "--config", str(config_file), "sources"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT)
    proc.stdout.close()  # like `head` exiting before the output arrives
    err = proc.stderr.read().decode()
    proc.wait(120)
    assert "BrokenPipeError" not in err and "Traceback" not in err, err
    assert proc.returncode == 141


def test_index_of_a_hostile_folder_reports_each_file(capsys, tmp_path, config_file):
    """One real `citebot index` over a folder with a good article and hostile files: exit 0, each bad file
    named once with its reason, no traceback, no hang, the good article indexed."""
    folder = tmp_path / "hostile"
    folder.mkdir()
    shutil.copy(SAMPLE_ARTICLE, folder / "good.txt")
    os.mkfifo(folder / "pipe.txt")
    (folder / "zero.txt").symlink_to("/dev/zero")
    (folder / "bin.md").write_bytes(b"\x00" * 64)
    (folder / "latin.txt").write_bytes("Café\n\nThé.".encode("latin-1"))
    (folder / "\x1b[31mescape.txt").write_bytes(b"")
    config = tmp_path / "index.toml"
    config.write_text(config_file.read_text().replace(json.dumps(str(SAMPLES)), json.dumps(str(folder))))
    code, _, err = run_cli(capsys, "--config", str(config), "index", "--prune")  # the samples' 4 go: confirmed
    assert code == 0, err
    assert "Traceback" not in err and "\x1b" not in err
    for name in ("pipe.txt", "zero.txt", "bin.md", "latin.txt", "/escape.txt"):
        assert sum(f"{name}:" in line for line in err.splitlines()) == 1, (name, err)
    code, out, _ = run_cli(capsys, "--config", str(config), "sources", "--json")
    assert code == 0 and len(json.loads(out)) == 1
