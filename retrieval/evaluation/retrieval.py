"""``eval retrieval``: index given paragraphs into a temporary store and score the real answering code."""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from retrieval.errors import CitebotError
from retrieval.evaluation.collection import build_collection
from retrieval.index.vectors.recall import exact_copy, recall_at_k
from retrieval.index.vectors.settings import IndexSettings
from retrieval.models import ArticleMeta, Paragraph
from retrieval.query.answerer import Answerer
from retrieval.query.conversation import ContextSettings, Turn, extend
from retrieval.query.timefilter import TimeWindow, published_day
from retrieval.settings import RetrievalSettings
from retrieval.text.paragraphs import make_paragraph

PARAGRAPH_SEPARATOR = "\n\n"


def read_jsonl(path: Path, required: tuple[str, ...]) -> list[dict]:
    """Rows of a JSON-lines file; a bad line raises ``CitebotError`` naming the file and line."""
    rows = []
    path = Path(path)
    if path.exists() and not path.is_file():
        raise CitebotError(f"{path} is not a regular file: give a .jsonl file")
    try:
        with open(path, encoding="utf-8") as handle:
            for n, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise CitebotError(f"{path}:{n}: not valid JSON ({exc.msg})") from exc
                if not isinstance(row, dict):
                    raise CitebotError(f"{path}:{n}: each line must be a JSON object, got {type(row).__name__}")
                missing = [key for key in required if key not in row]
                if missing:
                    raise CitebotError(f"{path}:{n}: missing key(s) {', '.join(missing)}")
                for key in required:
                    value = row[key]
                    if key == "highlights":
                        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
                    elif key in ("text", "question", "article"):
                        ok = isinstance(value, str) and bool(value.strip())
                    else:
                        ok = isinstance(value, str | int) and not isinstance(value, bool) and value != ""
                    if not ok:
                        raise CitebotError(f"{path}:{n}: {key!r} has the wrong type or is empty: {value!r:.40}")
                rows.append(row)
    except UnicodeDecodeError as exc:
        raise CitebotError(f"{path} is not UTF-8 text (byte offset {exc.start}): save it as UTF-8") from None
    except OSError as exc:
        raise CitebotError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if not rows:
        raise CitebotError(f"{path} has no rows: one JSON object per line expected")
    return rows


def spread_questions(paths: list[Path], n_each: int) -> list[str]:
    """``n_each`` question texts from each questions.jsonl, spread evenly over the file (not only its first
    articles): real questions for benchmarks and tests of the query path."""
    questions: list[str] = []
    for path in paths:
        lines = path.read_text(encoding="utf-8").splitlines()
        step = max(1, len(lines) // n_each)
        questions += [json.loads(line)["question"] for line in lines[::step][:n_each]]
    return questions


def check_questions(questions: list[dict], paragraphs: list[dict], path: Path) -> None:
    """Every gold id a question names must exist in the paragraphs file; ``CitebotError`` naming the first that
    does not."""
    pids = {str(row["pid"]) for row in paragraphs}
    docs = {str(row["doc_id"]) for row in paragraphs}
    for n, q in enumerate(questions, 1):
        if not isinstance(q["question"], str):
            raise CitebotError(f"{path}: question {n} ({q['qid']}): 'question' must be a string")
        gold_pid, gold_doc = q.get("gold_pid"), q.get("gold_doc")
        where = f"{path}: question {n} ({q['qid']})"
        if gold_pid is not None and str(gold_pid) not in pids:
            raise CitebotError(f"{where}: gold_pid {gold_pid!r} is not in the paragraphs file")
        if gold_doc is not None and str(gold_doc) not in docs:
            raise CitebotError(f"{where}: gold_doc {gold_doc!r} is not in the paragraphs file")


def articles_from_paragraphs(rows: list[dict]) -> tuple[list[tuple[ArticleMeta, str]], list[Paragraph]]:
    """Articles and paragraphs exactly as given: paragraphs sharing a doc_id form one article, in file order.

    An article's date is the first ``published`` among its paragraphs (YYYY-MM-DD; a bad one is an error).
    """
    grouped: dict[str, list[dict]] = {}
    for row in rows:
        grouped.setdefault(str(row["doc_id"]), []).append(row)
    articles, paragraphs = [], []
    for doc_id, parts in grouped.items():
        offset, pieces = 0, []
        for number, row in enumerate(parts, 1):
            text = row["text"]
            paragraph = make_paragraph(doc_id, number, text, offset, offset + len(text))
            paragraphs.append(Paragraph(**{**paragraph.__dict__, "pid": str(row["pid"])}))
            pieces.append(text)
            offset += len(text) + len(PARAGRAPH_SEPARATOR)
        published = next((str(r["published"]) for r in parts if r.get("published")), None)
        if published is not None and published_day(published) is None:
            raise CitebotError(f"paragraph {parts[0]['pid']}: published “{published}” is not a YYYY-MM-DD date")
        meta = ArticleMeta(article_id=doc_id, title=str(parts[0].get("title") or doc_id), source=row.get("source"),
                           published=published)
        articles.append((meta, PARAGRAPH_SEPARATOR.join(pieces)))
    return articles, paragraphs


def conversations(questions: list[dict]) -> list[list[str]]:
    """The conversations of a question file, in order: a question with no history starts one, the rest continue it."""
    found: list[list[str]] = []
    for q in questions:
        history = [str(h) for h in q.get("history") or []]
        if not history or not found:
            found.append(history + [q["question"]])
        else:
            found[-1].append(q["question"])
    return found


def histories(questions: list[dict], mode: str) -> list[list[str]]:
    """Each question's history: as given, none (``"none"``), or another conversation's (``"other"``).

    With ``"other"`` a question with a history gets, instead, as many first questions (at most all) of the next
    conversation in the file (the last one takes the first's): each follow-up is asked after an unrelated
    conversation of the same length; a first question stays first.
    """
    if mode == "given":
        return [[str(h) for h in q.get("history") or []] for q in questions]
    if mode == "none":
        return [[] for _ in questions]
    convs = conversations(questions)
    result, index = [], -1
    for q in questions:
        own = q.get("history") or []
        if not own or index < 0:
            index += 1
        other = convs[(index + 1) % len(convs)] if len(convs) > 1 else []
        result.append(other[: len(own)])
    return result


class Conversations:
    """Replays earlier questions through ``Answerer.ask`` (the product's own answers become the context), once per
    distinct conversation prefix and day."""

    def __init__(self, answerer: Answerer, k: int) -> None:
        self.answerer = answerer
        self.k = k
        self.memo: dict[tuple, list[Turn]] = {}

    def turns(self, history: list[str], window: TimeWindow | None) -> list[Turn]:
        key = (tuple(history), window)
        if not history:
            return []
        if key not in self.memo:
            before = self.turns(history[:-1], window)
            try:
                answer = self.answerer.ask(history[-1], k=self.k, history=before, window=window)
                self.memo[key] = extend(before, answer)
            except CitebotError:
                self.memo[key] = [Turn(" ".join(history[-1].split()))]
        return self.memo[key]


def question_window(q: dict, path: Path, n: int) -> TimeWindow | None:
    """The ``asked_at`` day of a question as a window (visible: published on or before it, or undated)."""
    asked = q.get("asked_at")
    if not asked:
        return None
    day = published_day(str(asked))
    if day is None or len(str(asked)) != 10:
        raise CitebotError(f"{path}:{n}: asked_at “{asked}” is not a YYYY-MM-DD date")
    return TimeWindow(as_of=day)


def _percentile(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 2) if values else None


def evaluate_retrieval(
    paragraphs_path: Path,
    questions_path: Path,
    embedder,
    settings: RetrievalSettings,
    progress: Callable[[str, int, int], None] | None = None,
    limit: int | None = None,
    history_mode: str = "given",
    details: Path | None = None,
    index: IndexSettings | None = None,
    context: ContextSettings | None = None,
) -> dict:
    """Recall@1/5, MRR@10, answered/abstain rates, highlight hits and latency of ``Answerer.ask``.

    A question's ``history`` is replayed first (``history_mode``: ``"given"``, ``"none"`` or ``"other"``, see
    :func:`histories`), and its ``asked_at`` day hides later articles. Gold fields of earlier turns are never read.
    ``details`` receives one JSON line per question (qid, rank of the gold, article hit, follow-up or not).
    ``index`` picks the dense index kind (default: exact); an approximate kind also reports its recall@10 against
    exact search over the same vectors, per question. ``context`` replaces the conversation settings (for
    benchmarks/context_ceiling.py; default: the product's).
    """
    started = time.time()
    paragraph_rows = read_jsonl(paragraphs_path, ("pid", "doc_id", "text"))
    all_questions = read_jsonl(questions_path, ("qid", "question"))
    windows = [question_window(q, questions_path, n) for n, q in enumerate(all_questions, 1)]
    given = histories(all_questions, history_mode)
    questions = all_questions[:limit]
    check_questions(questions, paragraph_rows, Path(questions_path))
    pids = [str(row["pid"]) for row in paragraph_rows]
    if len(set(pids)) != len(pids):
        duplicate = next(p for p in pids if pids.count(p) > 1)
        raise CitebotError(f"{paragraphs_path}: the pid {duplicate!r} appears more than once: pids must be unique")
    articles, paragraphs = articles_from_paragraphs(paragraph_rows)
    doc_of = {str(r["pid"]): str(r["doc_id"]) for r in paragraph_rows}
    rows_out: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="citebot-eval-") as tmp:
        collection = build_collection(Path(tmp) / "collection", articles, paragraphs, embedder, progress,
                                      index=index)
        answerer = Answerer(collection, embedder, settings)
        if context is not None:
            answerer.context = context
        replay = Conversations(answerer, settings.top_k)
        answerable = absent = hits1 = hits5 = answered = abstained = highlight_hits = highlight_total = 0
        article_hits = followups = followup_hits = firsts = first_hits = 0
        reciprocal = 0.0
        latencies: list[float] = []
        for n, q in enumerate(questions, 1):
            gold_pid, gold_doc = q.get("gold_pid"), q.get("gold_doc")
            history, window = given[n - 1], windows[n - 1]
            before = replay.turns(history, window)
            tick = time.perf_counter()
            try:
                answer = answerer.ask(q["question"], k=10, history=before, window=window)
            except CitebotError:
                answer = None
            latencies.append((time.perf_counter() - tick) * 1000)
            if progress:
                progress("questions", n, len(questions))
            if gold_pid is None and gold_doc is None:
                absent += 1
                abstained += int(answer is None or not answer.found)
                continue
            answerable += 1
            if answer is None:
                continue
            answered += int(answer.found)
            ranks = [
                i for i, quote in enumerate(answer.quotes, 1)
                if (quote.pid == gold_pid if gold_pid is not None else quote.article.article_id == gold_doc)
            ]
            first = ranks[0] if ranks else None
            hits1 += int(first == 1)
            wanted_doc = gold_doc if gold_doc is not None else doc_of.get(str(gold_pid))
            article_hit = bool(answer.quotes) and answer.quotes[0].article.article_id == wanted_doc
            article_hits += int(article_hit)
            if history:
                followups += 1
                followup_hits += int(first == 1)
            else:
                firsts += 1
                first_hits += int(first == 1)
            if details is not None:
                rows_out.append({"qid": q["qid"], "rank": first, "article_hit": article_hit,
                                 "history": len(history), "follows_up": answer.follows_up is not None})
            hits5 += int(first is not None and first <= 5)
            reciprocal += 1.0 / first if first else 0.0
            gold_answers = [a for a in q.get("answers") or [] if a]
            if gold_answers and answer.quotes:
                highlight_total += 1
                highlight_hits += int(any(a in answer.quotes[0].highlight for a in gold_answers))

        kind = collection.dense.kind
        dense_recall = None
        if kind != "exact":
            queries = [embedder.encode_query(q["question"]) for q in questions]
            dense_recall = recall_at_k(collection.dense, exact_copy(collection.dense), queries, 10)
        collection.dense.close()

    if details is not None:
        Path(details).write_text("".join(json.dumps(r) + "\n" for r in rows_out), encoding="utf-8")

    def ratio(part: float, whole: int) -> float | None:
        return round(part / whole, 4) if whole else None

    return {
        "questions": len(questions),
        "recall@1": ratio(hits1, answerable),
        "recall@5": ratio(hits5, answerable),
        "mrr@10": ratio(reciprocal, answerable),
        "article_recall@1": ratio(article_hits, answerable),
        "recall@1_followups": ratio(followup_hits, followups),
        "recall@1_first": ratio(first_hits, firsts),
        "answered_rate": ratio(answered, answerable),
        "abstain_rate": ratio(abstained, absent),
        "highlight_hit": ratio(highlight_hits, highlight_total),
        "index": kind,
        "dense_recall@10_vs_exact": dense_recall,
        "p50_ms": _percentile(latencies, 50),
        "p95_ms": _percentile(latencies, 95),
        "seconds": round(time.time() - started, 2),
    }
