"""Read article files (.txt, .md, .html, .json) into ``Article`` objects with attribution.

``.txt``: the first non-empty line is the title; ``Key: value`` lines may follow it (source, author, published,
url); the body starts after the first blank line. ``.md``: ``---`` front matter with the same keys (``title`` too).
``.html``: main text and metadata extracted with trafilatura. ``.json``: an object (or a list of objects) with
``title, text, url, source, author, published``.
"""

from __future__ import annotations

import codecs
import json
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from retrieval.errors import ArticleError
from retrieval.models import ArticleMeta

ARTICLE_SUFFIXES = (".txt", ".md", ".html", ".htm", ".json")
HEADER_KEYS = {"source", "publisher", "author", "published", "date", "url", "link", "title"}
_HEADER_LINE = re.compile(r"^\s*([A-Za-z]+)\s*:\s*(.*?)\s*$")
MAX_FILE_BYTES = 5_000_000
MAX_STRAY_NULS = 8  # NUL bytes a text file may hold (stripped) before it counts as binary
MAX_FOLDER_FILES = 20_000  # article files read from one folder (a source pointed at a whole disk stops there)
#: Folders never walked for articles: the root and the system's own folders.
SYSTEM_ROOTS = frozenset({"/", "/bin", "/boot", "/dev", "/etc", "/lib", "/lib64", "/proc", "/run", "/sbin", "/sys",
                          "/usr", "/var", "/snap", "/System", "/Library", "/Applications", "/private", "C:\\"})
#: Terminal escape sequences (CSI/OSC) and control characters that may hide in untrusted text; tabs and line
#: breaks are kept.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves, screen clears
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: window titles, hyperlinks
    r"|\x1b[@-Z\\-_]?"  # other two-character escapes
    r"|\x9b[0-?]*[ -/]*[@-~]"  # the one-character C1 CSI
)
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f]")
#: Link schemes kept in metadata; anything else (javascript:, data:, file:…) is dropped.
SAFE_URL = re.compile(r"^https?://[^\s<>\"'`\x00-\x1f\x7f]+$", re.IGNORECASE)


@dataclass(frozen=True)
class Article:
    """An article's attribution and its body text (the text quotes are cut from).

    ``aliases``: every normalised URL the article was reached by (``retrieval.text.urls.url_key``: feed link,
    fetched URL, canonical URL), so the same story found again under another address is recognised.
    """

    meta: ArticleMeta
    text: str
    aliases: list[str] = field(default_factory=list, hash=False)


def slugify(value: str) -> str:
    """A readable, stable id from a file name."""
    slug = re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")
    return slug or "article"


def strip_controls(text: str) -> str:
    """``text`` without terminal escape sequences and control characters (tabs and line breaks kept)."""
    return _CONTROLS.sub("", _ESCAPES.sub("", text))


def safe_url(value: object) -> str | None:
    """An http(s) link, or None (``javascript:``, ``data:``, relative or malformed links are dropped)."""
    text = _clean(value)
    return text if text and SAFE_URL.match(text) else None


def normalise_date(value: object) -> str | None:
    """YYYY-MM-DD from an ISO-like date or datetime, or None when it cannot be read."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    match = re.match(r"(\d{4})-(\d{2})-(\d{2})", text)
    if match:
        try:
            return date(*map(int, match.groups())).isoformat()
        except ValueError:
            return None
    for fmt in ("%d %B %Y", "%d %b %Y", "%B %d, %Y", "%b %d, %Y", "%A %d %B %Y", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    return None


def _clean(value: object) -> str | None:
    if value is None or isinstance(value, bool) or not isinstance(value, str | int | float):
        return None  # lists, objects: not a title, a name or a link
    text = " ".join(strip_controls(str(value)).split()).strip('"').strip("'").strip()
    return text or None


def checked_date(value: object, path: Path) -> str | None:
    """The publication date as YYYY-MM-DD; ``ArticleError`` for a date given but impossible or unreadable."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    published = normalise_date(value)
    if published is None:
        raise ArticleError(
            f"{path}: the date {strip_controls(str(value))[:40]!r} is not a real date or not readable: "
            "write it as YYYY-MM-DD (e.g. 2022-02-11) or remove it"
        )
    return published


def _meta(article_id: str, fields: dict, path: Path, fallback_title: str) -> ArticleMeta:
    return ArticleMeta(
        article_id=article_id,
        title=_clean(fields.get("title")) or fallback_title,
        source=_clean(fields.get("source") or fields.get("publisher") or fields.get("sitename")),
        author=_clean(fields.get("author")),
        published=checked_date(fields.get("published") or fields.get("date"), path),
        url=safe_url(fields.get("url") or fields.get("link")),
        path=str(path),
    )


def _body(text: str) -> str:
    return strip_controls(text).strip("\n").rstrip()


def parse_txt(path: Path, raw: str, article_id: str) -> Article:
    lines = raw.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i == len(lines):
        raise ArticleError(f"{path}: the file is empty")
    fields: dict[str, str] = {"title": lines[i].strip()}
    i += 1
    while i < len(lines):
        match = _HEADER_LINE.match(lines[i])
        if not match or match.group(1).lower() not in HEADER_KEYS:
            break
        fields[match.group(1).lower()] = match.group(2)
        i += 1
    body = _body("\n".join(lines[i:]))
    if not body.strip():
        raise ArticleError(f"{path}: no article text after the title")
    return Article(_meta(article_id, fields, path, path.stem), body)


def parse_md(path: Path, raw: str, article_id: str) -> Article:
    text = raw.replace("\r\n", "\n").replace("\r", "\n")  # Windows and old-Mac line ends
    fields: dict[str, str] = {}
    if text.startswith("---\n"):
        end = text.find("\n---", 4)
        if end < 0:
            raise ArticleError(f"{path}: front matter opened with '---' is never closed")
        for line in text[4:end].split("\n"):
            match = _HEADER_LINE.match(line)
            if match:
                fields[match.group(1).lower()] = match.group(2)
        text = text[end + 4 :].split("\n", 1)[1] if "\n" in text[end + 4 :] else ""
    if "title" not in fields:
        heading = re.search(r"^#\s+(.+)$", text, re.M)
        if heading:
            fields["title"] = heading.group(1)
            text = text[: heading.start()] + text[heading.end() :]
    body = _body(text)
    if not body.strip():
        raise ArticleError(f"{path}: no article text")
    return Article(_meta(article_id, fields, path, path.stem), body)


def parse_html(path: Path, raw: str, article_id: str) -> Article:
    """A saved web page, extracted as fetched pages are (``retrieval.text.html``): one paragraph per page
    paragraph."""
    from retrieval.text.html import article_text, error_page, extract_page  # lazy: trafilatura loads on use

    page = extract_page(raw)
    body = _body(article_text(page.blocks))
    if not body.strip():
        raise ArticleError(f"{path}: no article text found in the HTML")
    problem = error_page(page.title, body)
    if problem:
        raise ArticleError(f"{path}: {problem}")
    fields = {
        "title": page.title,
        "source": page.sitename,
        "author": page.author,
        "published": normalise_date(page.date),  # found by heuristics, not written by the user: unreadable is None
        "url": page.canonical,
    }
    return Article(_meta(article_id, fields, path, path.stem), body)


def parse_json(path: Path, raw: str, article_id: str) -> list[Article]:
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ArticleError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from exc
    items = data if isinstance(data, list) else [data]
    if not items:
        raise ArticleError(f"{path}: the JSON list is empty: no article in it")
    articles = []
    for n, item in enumerate(items, 1):
        if not isinstance(item, dict) or not isinstance(item.get("text"), str) or not item["text"].strip():
            raise ArticleError(f"{path}: article {n} needs a non-empty string 'text'")
        aid = article_id if len(items) == 1 else f"{article_id}-{n}"
        articles.append(Article(_meta(aid, item, path, path.stem), _body(item["text"])))
    return articles


def read_limited(path: Path) -> bytes:
    """The bytes of a regular file of at most MAX_FILE_BYTES; ``ArticleError`` for anything else (a FIFO or a
    device would hang or never end, a symlink loop cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise ArticleError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ArticleError(f"{path}: not a regular file (a folder, FIFO, device or socket): skipped")
        if info.st_size > MAX_FILE_BYTES:
            raise ArticleError(f"{path}: file is larger than {MAX_FILE_BYTES // 1_000_000} MB: split it")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ArticleError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    finally:
        os.close(fd)
    if len(data) > MAX_FILE_BYTES:
        raise ArticleError(f"{path}: file is larger than {MAX_FILE_BYTES // 1_000_000} MB: split it")
    return data


def _utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def decode(path: Path, data: bytes) -> str:
    """Text from UTF-8 (a byte-order mark is dropped, so front matter still starts the file) or BOM-marked
    UTF-16/32; ``ArticleError`` for binary data or another encoding."""
    boms = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
            (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
    encoding = next((name for bom, name in boms if data.startswith(bom)), "utf-8")
    if encoding == "utf-8":
        head = data[:8192]
        if b"\x00" in head and (head.count(0) > MAX_STRAY_NULS or not _utf8(data.replace(b"\x00", b""))):
            raise ArticleError(f"{path}: looks like a binary file (NUL bytes), not text: skipped")
        # else a stray NUL in a text: dropped with the other control characters, the text kept
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise ArticleError(
            f"{path}: not {encoding.upper().removesuffix('-SIG')} text (byte {exc.object[exc.start]:#04x} at offset "
            f"{exc.start}): re-save it as UTF-8"
        ) from None


def read_article_file(path: Path, article_id: str | None = None) -> list[Article]:
    """Parse one file; raises ``ArticleError`` naming the file when it cannot be read."""
    path = Path(path)
    article_id = article_id or slugify(path.stem)
    suffix = path.suffix.lower()
    if suffix not in ARTICLE_SUFFIXES:
        raise ArticleError(f"{path}: unsupported file type {suffix or '(none)'}")
    raw = strip_controls(decode(path, read_limited(path)))
    if suffix == ".txt":
        return [parse_txt(path, raw, article_id)]
    if suffix == ".md":
        return [parse_md(path, raw, article_id)]
    if suffix in (".html", ".htm"):
        return [parse_html(path, raw, article_id)]
    return parse_json(path, raw, article_id)


def find_article_files(paths: list[Path], skipped: list[tuple[str, str]] | None = None) -> Iterator[Path]:
    """Article files under each path (a file is taken as it is), sorted for a stable order.

    Folders are walked without following symbolic links to folders (no loops); unreadable folders and files that
    are not regular files (FIFOs, devices, broken links) are added to ``skipped`` instead of hanging the walk.
    """
    for path in paths:
        path = Path(path)
        if not path.is_dir():
            yield path
            continue
        if str(path.resolve()) in SYSTEM_ROOTS or path.resolve() == Path(path.resolve().anchor):
            if skipped is not None:
                skipped.append((str(path), f"refused: {path.resolve()} is a system folder, not a folder of "
                                           "articles; point the source at the folder that holds them"))
            continue
        yield from sorted(_walk_folder(path, skipped))


def _walk_folder(path: Path, skipped: list[tuple[str, str]] | None) -> list[Path]:
    """The article files under one folder, at most MAX_FOLDER_FILES of them (and 10 times as many files looked
    at); a folder cut short is reported under its own path."""
    found: list[Path] = []
    walked = 0

    def report(reason: str, where: Path = path) -> None:
        if skipped is not None:
            skipped.append((str(where), reason))

    def unreadable(exc: OSError) -> None:
        report(f"cannot read the folder ({exc.strerror or exc})", Path(exc.filename or path))

    for folder, dirs, files in os.walk(path, onerror=unreadable):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            walked += 1
            child = Path(folder) / name
            if name.startswith(".") or child.suffix.lower() not in ARTICLE_SUFFIXES:
                if walked > 10 * MAX_FOLDER_FILES:
                    report(f"holds more than {10 * MAX_FOLDER_FILES} files: only the first {len(found)} article "
                           "files are read; point the source at the folder of articles itself")
                    return found
                continue
            if len(found) == MAX_FOLDER_FILES:
                report(f"holds more than {MAX_FOLDER_FILES} article files: only the first {MAX_FOLDER_FILES} are "
                       "read; split it into several sources")
                return found
            try:
                regular = stat.S_ISREG(child.stat().st_mode)
                reason = "not a regular file (a FIFO, device or socket): skipped"
            except OSError as exc:
                regular, reason = False, f"cannot read ({exc.strerror or exc})"
            if regular:
                found.append(child)
            else:
                report(reason, child)
    return found


def read_articles(paths: list[Path]) -> tuple[list[Article], list[tuple[str, str]]]:
    """Read every article under ``paths``; unreadable files are skipped and listed as (path, reason)."""
    articles: list[Article] = []
    skipped: list[tuple[str, str]] = []
    seen: set[str] = set()
    for path in find_article_files(paths, skipped):
        if not path.exists() and not path.is_symlink():
            skipped.append((str(path), "no such file or folder"))
            continue
        try:
            found = read_article_file(path)
        except ArticleError as exc:
            skipped.append((str(path), str(exc).removeprefix(f"{path}: ")))
            continue
        except Exception as exc:  # a broken file never aborts the index
            skipped.append((str(path), f"cannot parse ({type(exc).__name__}: {exc})"))
            continue
        for article in found:
            aid = article.meta.article_id
            if aid in seen:  # same file stem in two folders: keep both, distinguishably
                n = 2
                while f"{aid}-{n}" in seen:
                    n += 1
                meta = ArticleMeta(**{**article.meta.__dict__, "article_id": f"{aid}-{n}"})
                article = Article(meta, article.text)
            seen.add(article.meta.article_id)
            articles.append(article)
    return articles, skipped
