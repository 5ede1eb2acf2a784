"""News questions made from cnndm-val's highlights, for training the answer tower on news paraphrase (round 11).

A CNN highlight restates a fact of its story in other words; the story's sentence that holds the same name or
number says it the way the reporter did. Taking one name, place, date or number out of a highlight and putting the
wh-word it answers in its place ("Zully Broussard's gift resulted in six transplants" → "Zully Broussard's gift
resulted in how many transplants?") gives a question whose answering sentences are the story's sentences holding
that name or number, and whose other sentences (the same story's: the lead that names the subject among them) are
the near negatives the reader must tell it from. Only answers the story holds in 1 to ``MAX_POSITIVE`` sentences
are kept (a name in every sentence teaches nothing), only highlights with a few words beside the answer, and only
answers the story first gives after its first ``--skip-lead`` sentences (3): a highlight restating the lead teaches
the tower that the lead answers, which is what news readers' detail questions must unlearn (all of them: newsqa-dev
alone .6643; after the first three sentences: .7063; docs/benchmarks.md "Round 11").

Data: ``../shared/eval/cnndm-val`` (CNN/DailyMail 3.0.0 validation, first 1,000 stories; a shared dev set). Its
stories are cnn-news's too: cnn-news scores the article (R@1 cannot move with the reader's choice inside it).

    .venv/bin/python benchmarks/cloze_questions.py --out /tmp/cloze.pkl [--skip-lead 3] [--limit N] [--show 20]

Writes a pickle: ``questions`` (str), ``items`` (per question: the story's sentence vectors as the index stores
them — all-MiniLM-L6-v2 of the plain sentence — and the answering mask), ``groups`` (story id).
"""

from __future__ import annotations

import argparse
import json
import pickle
import re
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from retrieval.text.sentences import split_sentences  # noqa: E402

SOURCE = ROOT.parent / "shared" / "eval" / "cnndm-val" / "articles.jsonl"
MAX_POSITIVE = 3
MIN_WORDS = 5  # words of the highlight beside the answer

_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_DAYS = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
_SPANS = [
    ("when", re.compile(rf"\b(?:{_MONTHS})(?: \d{{1,2}})?(?:, \d{{4}})?\b|\b(?:{_DAYS})\b|\b(?:in )?(?:19|20)\d\d\b")),
    ("how much", re.compile(r"[$£€]\s?\d[\d,.]*(?: (?:million|billion|trillion))?|\b\d[\d,.]*(?: ?%| percent)")),
    ("how many", re.compile(r"\b\d[\d,]*(?:\.\d+)?(?: (?:million|billion|thousand|hundred))?\b|\b(?:two|three|four|"
                            r"five|six|seven|eight|nine|ten|eleven|twelve|dozens|hundreds|thousands)(?= [a-z]+s\b)")),
    ("where", re.compile(r"\b(?:in|at|from|near|to) (?:the )?([A-Z][a-z]+(?: [A-Z][a-z]+){0,2})\b")),
    ("who", re.compile(r"\b[A-Z][a-z'’.-]+(?: [A-Z][a-z'’.-]+)+\b")),
]
_LEAD = re.compile(r"^\s*(?:\(CNN\)|[A-Z][A-Za-z ,.]*\(CNN\)\s*(?:--)?)\s*")
_WORD = re.compile(r"[A-Za-z]{3,}")


def clean_highlight(text: str) -> str:
    return re.sub(r"\s+\.$", "", text.strip())


def cloze(highlight: str) -> list[tuple[str, str]]:
    """(question, answer) pairs from one highlight: each name, place, date or number span in it (not its first
    word) replaced by the wh-word that asks for it. Spans of an earlier pattern win an overlap."""
    taken: list[tuple[int, int]] = []
    out = []
    for wh, pattern in _SPANS:
        for m in pattern.finditer(highlight):
            group = 1 if m.lastindex else 0  # a place: the name after its preposition
            start, end = m.span(group)
            answer = m.group(group).removeprefix("in ").strip()
            if start == 0 or any(start < b and a < end for a, b in taken) or len(answer) < 2:
                continue
            taken.append((start, end))
            rest = highlight[:start] + wh + highlight[end:]
            if len(_WORD.findall(highlight[:start] + highlight[end:])) < MIN_WORDS:
                continue
            out.append((rest.rstrip(" .") + "?", answer))
    return out


def story_sentences(article: str) -> list[str]:
    return [s for s in split_sentences(_LEAD.sub("", article, count=1)) if len(s.split()) >= 4]


def make(records: list[dict], skip_lead: int) -> tuple[list[str], list[list[str]], list[np.ndarray], list[str],
                                                      list[str]]:
    """The cloze questions of ``records``: per question its text, its story's sentences, the answering mask, the
    story id and the answer."""
    questions, sentences, positives, groups, answers = [], [], [], [], []
    for record in records:
        sents = story_sentences(record["article"])
        if len(sents) < 6:
            continue
        for highlight in record["highlights"]:
            for question, answer in cloze(clean_highlight(highlight)):
                mask = np.asarray([answer in s for s in sents], dtype=bool)
                if not 1 <= mask.sum() <= MAX_POSITIVE or mask[:skip_lead].any():
                    continue
                questions.append(question)
                sentences.append(sents)
                positives.append(mask)
                groups.append(record["id"])
                answers.append(answer)
    return questions, sentences, positives, groups, answers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--skip-lead", type=int, default=3, help="drop answers given in the first N sentences")
    parser.add_argument("--show", type=int, default=0, help="print this many questions with their answer sentence")
    args = parser.parse_args()
    records = [json.loads(line) for line in SOURCE.read_text(encoding="utf-8").splitlines()][:args.limit]
    records = [r for r in records if r.get("source", "cnn") == "cnn"]
    questions, sentences, positives, groups, answers = make(records, args.skip_lead)
    first = [int(np.flatnonzero(p)[0]) for p in positives]
    print(json.dumps({"stories": len(records), "questions": len(questions),
                      "answer_in_first_sentence": round(float(np.mean([f == 0 for f in first])), 3),
                      "answer_in_first_3": round(float(np.mean([f < 3 for f in first])), 3),
                      "by_wh": {wh: sum(q.count(wh) > 0 for q in questions) for wh, _ in _SPANS}}), flush=True)
    rng = np.random.default_rng(0)
    for i in rng.choice(len(questions), size=min(args.show, len(questions)), replace=False):
        k = int(np.flatnonzero(positives[i])[0])
        print(f"Q: {questions[i]}\n   A: {answers[i]} | #{k}: {sentences[i][k][:160]}")
    if args.show:
        return
    from embeddings.model import Embedder

    embedder = Embedder()
    unique = list(dict.fromkeys(s for sents in sentences for s in sents))
    vectors = embedder.encode(unique)
    row = {s: i for i, s in enumerate(unique)}
    items = [(np.asarray(vectors[[row[s] for s in sents]], dtype=np.float32), mask)
             for sents, mask in zip(sentences, positives, strict=True)]
    with open(args.out, "wb") as handle:
        pickle.dump({"questions": questions, "items": items, "groups": groups, "answers": answers}, handle)
    print(f"wrote {args.out}: {len(questions)} questions, {len(unique)} sentences", file=sys.stderr)


if __name__ == "__main__":
    main()
