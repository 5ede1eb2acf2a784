"""Read article files (.txt, .md, .html, .json) into ``Article`` objects with attribution.

``.txt``: the first non-empty line is the title; ``Key: value`` lines may follow it (source, author, published,
url); the body starts after the first blank line. ``.md``: ``---`` front matter with the same keys (``title`` too).
``.html``: main text and metadata extracted with trafilatura. ``.json``: an object (or a list of objects) with
``title, text, url, source, author, published``.
"""

from __future__ import annotations

import json
import re
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


@dataclass(frozen=True)
class Article:
    """An article's attribution and its body text (the text quotes are cut from).

    ``aliases``: every normalised URL the article was reached by (``retrieval.sources.urls.url_key``: feed link,
    fetched URL, canonical URL), so the same story found again under another address is recognised.
    """

    meta: ArticleMeta
    text: str
    aliases: list[str] = field(default_factory=list, hash=False)


def slugify(value: str) -> str:
    """A readable, stable id from a file name."""
    slug = re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")
    return slug or "article"


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
    if value is None:
        return None
    text = str(value).strip().strip('"').strip("'").strip()
    return text or None


def _meta(article_id: str, fields: dict, path: Path, fallback_title: str) -> ArticleMeta:
    return ArticleMeta(
        article_id=article_id,
        title=_clean(fields.get("title")) or fallback_title,
        source=_clean(fields.get("source") or fields.get("publisher") or fields.get("sitename")),
        author=_clean(fields.get("author")),
        published=normalise_date(fields.get("published") or fields.get("date")),
        url=_clean(fields.get("url") or fields.get("link")),
        path=str(path),
    )


def _body(text: str) -> str:
    return text.strip("\n").rstrip()


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
    text = raw.replace("\r\n", "\n")
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
    """A saved web page, extracted as fetched pages are (``retrieval.sources.pages``): one paragraph per page
    paragraph."""
    from retrieval.sources.pages import article_text, extract_page  # lazy: pages imports this module

    page = extract_page(raw)
    body = _body(article_text(page.blocks))
    if not body.strip():
        raise ArticleError(f"{path}: no article text found in the HTML")
    fields = {
        "title": page.title,
        "source": page.sitename,
        "author": page.author,
        "published": page.date,
        "url": page.canonical,
    }
    return Article(_meta(article_id, fields, path, path.stem), body)


def parse_json(path: Path, raw: str, article_id: str) -> list[Article]:
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ArticleError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from exc
    items = data if isinstance(data, list) else [data]
    articles = []
    for n, item in enumerate(items, 1):
        if not isinstance(item, dict) or not isinstance(item.get("text"), str) or not item["text"].strip():
            raise ArticleError(f"{path}: article {n} needs a non-empty string 'text'")
        aid = article_id if len(items) == 1 else f"{article_id}-{n}"
        articles.append(Article(_meta(aid, item, path, path.stem), _body(item["text"])))
    return articles


def read_article_file(path: Path, article_id: str | None = None) -> list[Article]:
    """Parse one file; raises ``ArticleError`` naming the file when it cannot be read."""
    path = Path(path)
    article_id = article_id or slugify(path.stem)
    suffix = path.suffix.lower()
    if suffix not in ARTICLE_SUFFIXES:
        raise ArticleError(f"{path}: unsupported file type {suffix or '(none)'}")
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ArticleError(f"{path}: file is larger than {MAX_FILE_BYTES // 1_000_000} MB")
        raw = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ArticleError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except OSError as exc:
        raise ArticleError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    if suffix == ".txt":
        return [parse_txt(path, raw, article_id)]
    if suffix == ".md":
        return [parse_md(path, raw, article_id)]
    if suffix in (".html", ".htm"):
        return [parse_html(path, raw, article_id)]
    return parse_json(path, raw, article_id)


def find_article_files(paths: list[Path]) -> Iterator[Path]:
    """Article files under each path (a file is taken as it is), sorted for a stable order."""
    for path in paths:
        path = Path(path)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.suffix.lower() in ARTICLE_SUFFIXES and not child.name.startswith("."):
                    yield child
        else:
            yield path


def read_articles(paths: list[Path]) -> tuple[list[Article], list[tuple[str, str]]]:
    """Read every article under ``paths``; unreadable files are skipped and listed as (path, reason)."""
    articles: list[Article] = []
    skipped: list[tuple[str, str]] = []
    seen: set[str] = set()
    for path in find_article_files(paths):
        if not path.exists():
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
