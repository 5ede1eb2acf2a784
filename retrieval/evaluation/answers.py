"""``eval answers``: index real article pages as ``citebot index`` does and score the first quotes of the product's
own answers (``Library.ask``, follow-ups after their history, as ``citebot ask --history`` asks them).

The rule (shared/eval/newsqa-dev/PROVENANCE.md): an answerable question is right at rank n when one of the first n
quotes comes from its page and contains one of its answers (case-insensitive, runs of whitespace collapsed); a
question no page answers is right when the answer is "not found".
"""

from __future__ import annotations

import json
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from pathlib import Path

from retrieval.errors import CitebotError
from retrieval.evaluation.retrieval import read_jsonl
from retrieval.library import Library
from retrieval.models import Answer
from retrieval.query.conversation import Turn, extend

PAGE_SUFFIX = ".html"


def squeeze(text: str) -> str:
    """``text`` lower-cased with runs of whitespace collapsed to one space (the scoring rule's match)."""
    return " ".join(text.split()).lower()


def holds_answer(text: str, answers: list[str]) -> bool:
    """Whether ``text`` contains one of ``answers`` under the scoring rule."""
    body = squeeze(text)
    return any(squeeze(a) and squeeze(a) in body for a in answers)


def page_ids(questions: list[dict]) -> list[str]:
    """The pages the questions name (``page_id``, ``near_page_id``), in first-seen order."""
    seen: dict[str, None] = {}
    for q in questions:
        for key in ("page_id", "near_page_id"):
            if q.get(key):
                seen.setdefault(str(q[key]), None)
    return list(seen)


def page_paths(pages: Path, ids: list[str]) -> list[Path]:
    """``pages/<id>.html`` for each id; ``CitebotError`` naming the first that is missing."""
    paths = [Path(pages) / f"{pid}{PAGE_SUFFIX}" for pid in ids]
    for path in paths:
        if not path.is_file():
            raise CitebotError(f"{path}: no such page (the questions name it): give the folder of the pages")
    return paths


def score_answer(q: dict, answer: Answer | None, article_of_page: dict[str, str]) -> dict:
    """One question's outcome: found, the ranks (1..3) of the first quote that answers, and whether it is right."""
    found = bool(answer and answer.found)
    quotes = answer.quotes[:3] if answer else []
    if q.get("kind") == "absent" or not q.get("page_id"):
        return {"found": found, "right@1": not found, "right@3": not found}
    article = article_of_page.get(str(q["page_id"]))
    answers = [str(a) for a in q.get("answers") or []]
    good = [quote.article.article_id == article and holds_answer(quote.text, answers) for quote in quotes]
    return {"found": found, "right@1": bool(good and good[0]), "right@3": any(good)}


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def summarise(rows: list[dict]) -> dict:
    """The figures over scored rows: answer@1/@3 (single), followup@1, absent_declined, answered (found among
    answerable), then per kind and per qtype of the single questions (right@1 and right@3 of that group)."""
    by_kind: dict[str, list[dict]] = defaultdict(list)
    by_qtype: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_kind[row["kind"]].append(row)
        if row["kind"] == "single":
            by_qtype[row.get("qtype") or "other"].append(row)
    single, follow, absent = by_kind.get("single", []), by_kind.get("followup", []), by_kind.get("absent", [])
    answerable = single + follow

    def group(items: list[dict]) -> dict:
        return {"n": len(items), "right@1": _ratio(sum(r["right@1"] for r in items), len(items)),
                "right@3": _ratio(sum(r["right@3"] for r in items), len(items))}

    return {
        "questions": len(rows),
        "answer@1": _ratio(sum(r["right@1"] for r in single), len(single)),
        "answer@3": _ratio(sum(r["right@3"] for r in single), len(single)),
        "followup@1": _ratio(sum(r["right@1"] for r in follow), len(follow)),
        "followup@3": _ratio(sum(r["right@3"] for r in follow), len(follow)),
        "absent_declined": _ratio(sum(r["right@1"] for r in absent), len(absent)),
        "answered": _ratio(sum(r["found"] for r in answerable), len(answerable)),
        "by_kind": {kind: group(items) for kind, items in sorted(by_kind.items())},
        "by_qtype": {qtype: group(items) for qtype, items in sorted(by_qtype.items())},
    }


def ask_like_cli(library: Library, question: str, history: list[str], k: int | None,
                 today: date | None) -> Answer:
    """What ``citebot ask QUESTION --history H ... --json`` answers: each earlier question asked first, its answer
    extending the conversation (the CLI's own order)."""
    turns: list[Turn] = []
    for earlier in history:
        turns = extend(turns, library.ask(earlier, k, history=turns, today=today))
    return library.ask(question, k, history=turns, today=today)


def index_pages(library: Library, paths: list[Path], progress=None) -> dict[str, str]:
    """Index the pages as ``citebot index PATH`` does; page id -> the article id it was stored under."""
    library.index(paths, progress)
    collection = library.collection()
    article_of_page: dict[str, str] = {}
    for path in paths:
        page = path.stem
        match = next((aid for aid in collection.articles if aid == page or aid.lower() == page.lower()), None)
        if match is not None:
            article_of_page[page] = match
    return article_of_page


def evaluate_answers(
    pages: Path,
    questions_path: Path,
    make_library: Callable[[Path], Library],
    data_dir: Path | None = None,
    details: Path | None = None,
    k: int | None = None,
    today: date | None = None,
    limit: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict:
    """Index the pages the questions name into ``data_dir`` (kept; a temporary folder when None) through
    ``make_library(folder)``, ask every question as ``citebot ask --json`` does, and score it (:func:`summarise`).
    ``details`` receives one JSON line per question (its gold, first three quotes, found, scores)."""
    started = time.time()
    questions = read_jsonl(questions_path, ("qid", "question", "kind"))[:limit]
    paths = page_paths(pages, page_ids(questions))
    with tempfile.TemporaryDirectory(prefix="citebot-answers-") as tmp:
        library = make_library(Path(data_dir) if data_dir is not None else Path(tmp))
        article_of_page = index_pages(library, paths, progress)
        rows, out = [], []
        latencies: list[float] = []
        for n, q in enumerate(questions, 1):
            history = [str(h) for h in q.get("history") or []]
            tick = time.perf_counter()
            try:
                answer = ask_like_cli(library, str(q["question"]), history, k, today)
            except CitebotError:
                answer = None
            latencies.append((time.perf_counter() - tick) * 1000)
            score = score_answer(q, answer, article_of_page)
            rows.append({"kind": q["kind"], "qtype": q.get("qtype"), **score})
            if details is not None:
                out.append({
                    "qid": q["qid"], "kind": q["kind"], "qtype": q.get("qtype"), "question": q["question"],
                    "history": history, "page_id": q.get("page_id"), "near_page_id": q.get("near_page_id"),
                    "answers": q.get("answers") or [], "gold_paragraph": q.get("gold_paragraph"), **score,
                    "follows_up": answer.follows_up if answer else None,
                    "quotes": [{"article_id": x.article.article_id, "paragraph": x.paragraph,
                                "score": round(float(x.score), 4), "highlight": x.highlight, "text": x.text}
                               for x in (answer.quotes[:3] if answer else [])],
                })
            if progress:
                progress("questions", n, len(questions))
        library.store.close()
    if details is not None:
        Path(details).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in out), encoding="utf-8")
    result = summarise(rows)
    result["pages"] = len(paths)
    result["seconds"] = round(time.time() - started, 1)
    result["ms_per_question"] = round(sum(latencies) / max(1, len(latencies)), 1)
    return result
