"""``citebot eval extraction``: how well web pages become indexed text, with the article-extraction benchmark's
own metric (scrapinghub/article-extraction-benchmark, evaluate.py; reimplemented here).

Per page, the text scored is what citebot would index: the paragraphs the splitter makes of the extracted article
(each sub-heading once, before the first paragraph it introduces, since it is indexed with it), joined by blank
lines. Tokens are ``\\w+`` with case kept; bodies are compared as multisets of 4-token shingles; per page TP/FP/FN
are normalised to sum to 1; precision is the mean over pages with a non-empty prediction, recall over pages with a
non-empty gold body, F1 the harmonic mean of the two means.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from statistics import mean

from retrieval.errors import CitebotError
from retrieval.settings import SplitterSettings
from retrieval.text.paragraphs import ParagraphSplitter

_TOKEN = re.compile(r"\w+")


def shingles(text: str, n: int = 4) -> Counter:
    tokens = _TOKEN.findall(text or "")
    return Counter(tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i : i + n])


def shingle_match(true: str, pred: str) -> tuple[float, float, float]:
    """Normalised (TP, FP, FN) of ``pred`` against ``true``."""
    a, b = shingles(true), shingles(pred)
    tp = sum((a & b).values())
    fp = sum((b - a).values())
    fn = sum((a - b).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def _precision(tp: float, fp: float, fn: float) -> float:
    return 1.0 if fp == fn == 0 else 0.0 if tp == fp == 0 else tp / (tp + fp)


def _recall(tp: float, fp: float, fn: float) -> float:
    return 1.0 if fp == fn == 0 else 0.0 if tp == fn == 0 else tp / (tp + fn)


def scores(rows: list[tuple[float, float, float]]) -> dict[str, float]:
    p = [_precision(*r) for r in rows if r[0] + r[1] > 0]
    r = [_recall(*r) for r in rows if r[0] + r[2] > 0]
    precision, recall = (mean(p) if p else 0.0), (mean(r) if r else 0.0)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def indexed_text(article_id: str, text: str, splitter: ParagraphSplitter) -> str:
    """What the index holds of ``text``: each sub-heading once, then the paragraphs, joined by blank lines."""
    out, last = [], None
    for paragraph in splitter.split(article_id, text):
        if paragraph.context and paragraph.context != last:
            out.append(paragraph.context)
        last = paragraph.context
        out.append(paragraph.text)
    return "\n\n".join(out)


def evaluate_extraction(
    set_dir: Path, splitter_settings: SplitterSettings | None = None, limit: int | None = None
) -> dict:
    """Score extraction over ``set_dir/pages/<id>.html`` against ``set_dir/gold.jsonl``."""
    from retrieval.text.html import article_text, extract_page

    set_dir = Path(set_dir)
    gold_file = set_dir / "gold.jsonl"
    if not gold_file.exists():
        raise CitebotError(f"{gold_file} does not exist (an extraction set has gold.jsonl and pages/)")
    gold = []
    for n, line in enumerate(gold_file.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            gold.append((str(row["id"]), row.get("url"), str(row["body"])))
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise CitebotError(f"{gold_file}:{n}: not a gold line with id and body ({exc})") from exc
    gold = gold[:limit] if limit else gold
    splitter = ParagraphSplitter(splitter_settings)
    rows, titles, dates = [], 0, 0
    for page_id, url, body in gold:
        path = set_dir / "pages" / f"{page_id}.html"
        try:
            html = path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise CitebotError(f"{path}: cannot read ({exc.strerror or exc})") from exc
        page = extract_page(html, url)
        rows.append(shingle_match(body, indexed_text(page_id, article_text(page.blocks), splitter)))
        titles += bool(page.title)
        dates += bool(page.date)
    n = len(gold)
    return {"pages": n, **scores(rows), "title_found": round(titles / n, 4) if n else 0.0,
            "date_found": round(dates / n, 4) if n else 0.0}
