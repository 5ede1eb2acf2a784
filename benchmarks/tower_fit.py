"""The answer tower: all-MiniLM-L6-v2's question side fine-tuned over the frozen sentence vectors (round 9, shipped).

The adapters of ``adapter_fit.py`` reshape the question's *pooled* vector; this script fine-tunes the whole
all-MiniLM-L6-v2 question side instead (its 6 layers read the question's words, the wh-word included), while the
candidate sentences keep the vectors the index already stores (frozen, so nothing in an index changes). Trained as
``adapter_fit.py``'s adapters are: a softmax over a question's candidate sentences (``Table``: mostly the same
article's, the reader's candidates), its answering sentences as targets; AdamW, lr 2e-5, 16 questions a step.
Data: squad-dev's near-topic split (CC BY-SA 4.0) and, with ``--news-repeat N`` > 0, newsqa-dev; the shipped tower
uses ``--news-repeat 0``: it never saw a newsqa question, so every newsqa figure is held out for it. ``--cloze F``
adds the news questions ``cloze_questions.py`` makes from cnndm-val's highlights (round 11), in every fold (no
newsqa page is among cnndm-val's stories).

Folds are split by article / page (``reader_fit.fold_of``); the tower for fold f never sees fold f's articles.

- ``alone``: per set, right@1 of the candidate whose best sentence scores highest inside the ranking's first
  article (``adapter_fit.alone``'s protocol): the tower's cosine, its cosine beyond the article's common direction
  ("-res", what the reader reads), the frozen cosine (``max_sim``) and the residual (``max_residual``).
- ``probe``: the tower's score as one more reader column, every row's from the tower that never saw its fold, and
  ``reader_fit``'s held-out report.
- ``export``: trains the shipped tower on every row and writes it as per-channel int8 ONNX
  (embeddings/weights/answer_tower.onnx, read by embeddings/answer_tower.py).
- ``write``: the reader's weights (``reader_model.json``) fitted with the ``max_answer`` column of the fold towers
  (out of sample for every row, as any new question is for the shipped tower), after the held-out report.

The whole re-run (about 25 minutes on 2 cores):

    .venv/bin/python benchmarks/reader_fit.py features --out F.pkl
    nice -n 10 .venv/bin/python benchmarks/tower_fit.py alone --features F.pkl --out T --news-repeat 0
    nice -n 10 .venv/bin/python benchmarks/tower_fit.py export --features F.pkl --out T/final --news-repeat 0 \
        --target embeddings/weights/answer_tower.onnx
    .venv/bin/python benchmarks/tower_fit.py write --features F.pkl --out T --news-repeat 0
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from adapter_fit import Table, best_per_candidate, load_table, residualised, segment_lse, with_feature  # noqa: E402
from reader_fit import FOLDS, fold_of, held_out, report  # noqa: E402

from embeddings.model import resolve_model_path  # noqa: E402

EPOCHS = 2
BATCH = 16
LR = 2e-5
SCALE = 20.0
NEWS_REPEAT = 3


class Tower(torch.nn.Module):
    """all-MiniLM-L6-v2 as sentence-transformers runs it: mean of the output tokens, normalised."""

    def __init__(self) -> None:
        super().__init__()
        from transformers import AutoModel, AutoTokenizer

        path = resolve_model_path("all-MiniLM-L6-v2")
        self.bert = AutoModel.from_pretrained(path)
        self.tok = AutoTokenizer.from_pretrained(path)
        # "no sentence answers": the cosine an answering sentence must beat (trained with ``--null`` only)
        self.null = torch.nn.Parameter(torch.tensor(0.5))

    def forward(self, questions: list[str]) -> torch.Tensor:
        batch = self.tok(questions, truncation=True, max_length=64, padding=True, return_tensors="pt")
        hidden = self.bert(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp_min(1.0)
        return torch.nn.functional.normalize(pooled, dim=-1)


def train(table: Table, questions: list[str], rows: list[int], news_repeat: int = NEWS_REPEAT, seed: int = 0,
          epochs: int = EPOCHS, beyond: bool = False, absent: np.ndarray | None = None, scale: float = SCALE,
          anchor: float = 0.0, cloze: dict | None = None, cloze_repeat: int = 1) -> Tower:
    """Fine-tune a tower on the questions ``rows`` (indices into the table) that have an answering sentence, each
    news question ``news_repeat`` times an epoch (0: none). With ``absent`` (per row: no candidate answers), those
    questions train too, against a learned "no sentence answers" cosine (``Tower.null``) that every question's
    softmax also holds. ``anchor`` > 0 keeps each question's vector near MiniLM's own (1 - cosine, times it).
    ``cloze`` (``cloze_questions.py``'s file) adds its news questions, each ``cloze_repeat`` times an epoch, over
    their own story's sentences."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    tower = Tower()
    tower.train()
    params = [*tower.bert.parameters()]
    opt = torch.optim.AdamW([{"params": params}, *([{"params": [tower.null], "lr": 1e-2, "weight_decay": 0.0}]
                                                     if absent is not None else [])], lr=LR, weight_decay=0.01)
    nothing = absent if absent is not None else np.zeros(len(table.items), dtype=bool)
    usable = [i for i in rows if (table.items[i][2].any() or (nothing[i] and len(table.items[i][0])))
              and (news_repeat or not table.news[i])]
    usable += [i for i in usable if table.news[i]] * max(news_repeat - 1, 0)
    extra = cloze or {"questions": [], "items": []}
    if extra["questions"] and (beyond or anchor):
        raise SystemExit("--cloze trains on the plain cosine only (no --beyond, no --anchor)")
    extra_q, extra_items, extra_none = list(extra["questions"]), list(extra["items"]), [False] * len(extra["items"])
    if absent is not None:  # each cloze question again over its story less the answering sentences: a near-miss
        extra_q += extra["questions"]
        extra_items += [(vectors[~mask], np.zeros(int((~mask).sum()), dtype=bool)) for vectors, mask in extra["items"]]
        extra_none += [True] * len(extra["items"])
    usable += [-1 - k for k in range(len(extra_q))] * cloze_repeat  # negative: a cloze question
    steps, started = 0, time.time()
    for epoch in range(epochs):
        rng.shuffle(usable)
        for b in range(0, len(usable), BATCH):
            batch = usable[b:b + BATCH]
            parts = [(table.vectors[torch.from_numpy(table.items[i][0])], table.items[i][2]) if i >= 0
                     else (torch.from_numpy(extra_items[-1 - i][0]), extra_items[-1 - i][1]) for i in batch]
            seg = torch.from_numpy(np.concatenate([np.full(len(p[1]), j) for j, p in enumerate(parts)]))
            pos = torch.from_numpy(np.concatenate([p[1] for p in parts]))
            own = tower([questions[i] if i >= 0 else extra_q[-1 - i] for i in batch])
            q, v = own[seg], torch.cat([p[0] for p in parts])
            if beyond:  # trained on what the reader reads: both vectors beyond the article's common direction
                q, v = residualised(q, v, table.centres[torch.from_numpy(np.concatenate(
                    [table.centre_of[i] for i in batch]))])
            scores = scale * (q * v).sum(-1)
            every, right = segment_lse(scores, seg, len(batch)), segment_lse(scores.masked_fill(~pos, -1e9), seg,
                                                                             len(batch))
            if absent is not None:
                null = (scale * tower.null).expand(len(batch))
                none = torch.from_numpy(np.asarray([bool(nothing[i]) if i >= 0 else extra_none[-1 - i]
                                                    for i in batch]))
                every = torch.logaddexp(every, null)
                right = torch.where(none, null, right)
            loss = every - right
            if anchor:
                loss = loss + anchor * (1 - (own * table.queries[torch.from_numpy(np.asarray(batch))]).sum(-1))
            opt.zero_grad()
            loss.mean().backward()
            opt.step()
            steps += 1
            if steps % 50 == 0:
                print(f"  epoch {epoch} step {steps} loss {loss.mean().item():.3f} {time.time() - started:.0f}s",
                      file=sys.stderr, flush=True)
    tower.eval()
    return tower


@torch.no_grad()
def encode(tower: Tower, questions: list[str]) -> torch.Tensor:
    return torch.vstack([tower(questions[i:i + 64]) for i in range(0, len(questions), 64)])


def tower_scores(table: Table, queries: torch.Tensor, i: int, n: int, beyond: bool) -> np.ndarray:
    """Row ``i``'s best sentence score per candidate under the tower's question vector."""
    sids, owner, _ = table.items[i]
    if not len(sids):
        return best_per_candidate(np.zeros(0), owner, n)
    q, v = queries[i:i + 1].expand(len(sids), -1), table.vectors[torch.from_numpy(sids)]
    if beyond:
        q, v = residualised(q, v, table.centres[torch.from_numpy(table.centre_of[i])])
    return best_per_candidate((q * v).sum(-1).numpy(), owner, n)


def absent_rows(rows: list[dict]) -> np.ndarray:
    """Per row: a question whose answer is in no candidate (squad's near-topic absent questions, coqa's
    unanswerable turns; newsqa's only with ``news_repeat``)."""
    return np.asarray([r["kind"] == "absent" for r in rows], dtype=bool)


def fold_queries(table: Table, rows: list[dict], questions: list[str], out: Path,
                 **options) -> tuple[torch.Tensor, np.ndarray]:
    """Every row's vector of ``questions`` (one a row) from the tower (trained with ``options``, :func:`train`'s)
    that never saw the row's fold, and that tower's "no sentence answers" cosine (cached in ``out``)."""
    cache = out / "queries.pt"
    if cache.exists():
        saved = torch.load(cache, weights_only=False)
        return saved if isinstance(saved, tuple) else (saved, np.full(len(rows), np.nan))
    folds = np.asarray([fold_of(r["group"]) for r in rows])
    queries = torch.zeros_like(table.queries)
    nulls = np.full(len(rows), np.nan)
    for f in range(FOLDS):
        started = time.time()
        tower = train(table, questions, np.flatnonzero(folds != f).tolist(), **options)
        mine = np.flatnonzero(folds == f)
        queries[torch.from_numpy(mine)] = encode(tower, [questions[i] for i in mine])
        nulls[mine] = float(tower.null)
        print(f"fold {f}: trained and encoded in {time.time() - started:.0f}s (null {float(tower.null):.3f})",
              file=sys.stderr, flush=True)
    out.mkdir(parents=True, exist_ok=True)
    torch.save((queries, nulls), cache)
    return queries, nulls


_STOP = frozenset("a an the of in on at to for from by with and or is are was were be been did do does has have had "
                  "how many much what which who whom whose when where why will would can could should this that "
                  "these those it its their there his her he she they them as about into after before during than "
                  "up out over".split())


def subject_free(question: str, paragraphs: list[str], share: float) -> str:
    """``question`` without the content words that ``share`` or more of ``paragraphs`` (the ranking's first
    article's candidates) hold: what it asks beyond the article's subject."""
    stems = [{"".join(ch for ch in w if ch.isalnum())[:6] for w in p.lower().split()} for p in paragraphs]
    kept = []
    for word in question.split():
        core = "".join(ch for ch in word.lower() if ch.isalnum())
        if stems and len(core) > 2 and core not in _STOP and sum(core[:6] in s for s in stems) >= share * len(stems):
            continue
        kept.append(word)
    return " ".join(kept) or question


def read_questions(rows: list[dict], sentences: dict, share: float | None) -> list[str]:
    """Each row's question as the tower reads it: as asked, or (``share``) :func:`subject_free` of its first
    article's candidates."""
    if share is None:
        return [r["read_question"] for r in rows]
    out = []
    for r in rows:
        arts = r["candidates"].articles or tuple("" for _ in r["paragraph_ids"])
        mine = sentences.get(r["set"], {})
        paragraphs = [" ".join(mine[pid][0]) for pid, a in zip(r["paragraph_ids"], arts, strict=True)
                      if a == arts[0] and pid in mine]
        out.append(subject_free(r["read_question"], paragraphs, share))
    return out


def train_options(args, rows: list[dict]) -> dict:
    """:func:`train`'s options from the command line."""
    cloze = None
    if args.cloze:
        with open(args.cloze, "rb") as handle:
            cloze = pickle.load(handle)
    return {"news_repeat": args.news_repeat, "epochs": args.epochs, "beyond": args.beyond, "scale": args.scale,
            "anchor": args.anchor, "absent": absent_rows(rows) if args.null else None, "cloze": cloze,
            "cloze_repeat": args.cloze_repeat, "seed": args.seed}


def first_article_right(rows: list[dict], values: dict[int, np.ndarray], name: str) -> tuple[float, int]:
    hits = total = 0
    for i, r in enumerate(rows):
        if r["set"] != name or r["kind"] == "absent" or not len(r["labels"]):
            continue
        c = r["candidates"]
        same = np.asarray([a == c.articles[0] for a in c.articles]) if c.articles else np.ones(len(r["labels"]), bool)
        total += 1
        hits += bool(r["labels"][int(np.argmax(np.where(same, values[i], -np.inf)))])
    return hits / max(total, 1), total


def load(args) -> tuple[list[dict], Table, torch.Tensor]:
    torch.set_num_threads(args.threads)
    rows, table, sentences = load_table(args.features)
    questions = read_questions(rows, sentences, args.subject_free)
    queries, _ = fold_queries(table, rows, questions, Path(args.out), **train_options(args, rows))
    return rows, table, queries


def cmd_alone(args) -> None:
    from retrieval.query.reader import FEATURES

    rows, table, queries = load(args)
    scored = {
        "tower": {i: tower_scores(table, queries, i, len(r["labels"]), False) for i, r in enumerate(rows)},
        "tower-res": {i: tower_scores(table, queries, i, len(r["labels"]), True) for i, r in enumerate(rows)},
        "max_sim": {i: r["candidates"].features[:, FEATURES.index("max_sim")] for i, r in enumerate(rows)},
        "max_residual": {i: r["candidates"].features[:, FEATURES.index("max_residual")] for i, r in enumerate(rows)},
    }
    for name in ("squad", "newsqa"):
        figures = {key: first_article_right(rows, values, name) for key, values in scored.items()}
        n = next(iter(figures.values()))[1]
        print(json.dumps({"alone": name, "n": n, **{k: round(v[0], 4) for k, v in figures.items()}}), flush=True)


def cmd_probe(args) -> None:
    rows, table, queries = load(args)
    print(json.dumps({"base": report(held_out(rows, 0.96))}), flush=True)
    for beyond in (False, True):
        values = {i: tower_scores(table, queries, i, len(r["labels"]), beyond) for i, r in enumerate(rows)}
        print(json.dumps({f"tower{'-res' if beyond else ''}": report(held_out(with_feature(rows, values), 0.96))}),
              flush=True)


def first_article_best(table: Table, queries: torch.Tensor, rows: list[dict], i: int) -> float:
    """Row ``i``'s best tower cosine over the sentences of the ranking's first article (what "not found" reads)."""
    c = rows[i]["candidates"]
    values = tower_scores(table, queries, i, len(rows[i]["labels"]), False)
    same = np.asarray([a == c.articles[0] for a in c.articles]) if c.articles else np.ones(len(values), bool)
    return float(values[same].max()) if len(values) else 0.0


def cmd_abstain(args) -> None:
    """"Not found" by the tower's cosine against its learned "no sentence answers" one (``--null``), held out:
    per set, the absent questions declined and the answerable ones kept, at the null and at offsets from it; with
    ``--details`` (``citebot eval answers --details``), newsqa-dev combined with the product's own decisions."""
    torch.set_num_threads(args.threads)
    rows, table, sentences = load_table(args.features)
    questions = read_questions(rows, sentences, args.subject_free)
    queries, nulls = fold_queries(table, rows, questions, Path(args.out), **train_options(args, rows))
    best = np.asarray([first_article_best(table, queries, rows, i) for i in range(len(rows))])
    found = {}
    if args.details:
        for line in Path(args.details).read_text(encoding="utf-8").splitlines():
            d = json.loads(line)
            found[d["qid"]] = bool(d["found"])
    for offset in (-0.1, -0.05, -0.02, 0.0, 0.02, 0.05, 0.1):
        out = {"offset": offset}
        for name in ("squad", "coqa", "newsqa"):
            mine = [i for i, r in enumerate(rows) if r["set"] == name]
            if not mine:
                continue
            keep = {i: best[i] >= nulls[i] + offset for i in mine}
            absent = [i for i in mine if rows[i]["kind"] == "absent"]
            answerable = [i for i in mine if rows[i]["kind"] != "absent"]
            out[name] = {"declined": round(float(np.mean([not keep[i] for i in absent])), 4) if absent else None,
                         "kept": round(float(np.mean([keep[i] for i in answerable])), 4)}
            if name == "newsqa" and found:
                shipped = {i: found.get(rows[i]["qid"], True) and keep[i] for i in mine}
                out["newsqa+product"] = {
                    "absent_declined": round(float(np.mean([not shipped[i] for i in absent])), 4),
                    "answered": round(float(np.mean([shipped[i] for i in answerable])), 4)}
        print(json.dumps(out), flush=True)


def with_column(rows: list[dict], values: dict[int, np.ndarray], column: int) -> list[dict]:
    """Rows whose candidates' feature ``column`` is replaced by ``values``."""
    out = []
    for i, r in enumerate(rows):
        features = r["candidates"].features.copy()
        features[:, column] = values[i]
        out.append({**r, "candidates": replace(r["candidates"], features=features)})
    return out


def cmd_write(args) -> None:
    """The reader's weights fitted with the answer column of the cross-fitted towers (out of sample for every row,
    as any new question is for the shipped tower): the held-out report, then ``reader_model.json``."""
    from reader_fit import select_weight, write_model

    from retrieval.query.reader import FEATURES

    rows, table, queries = load(args)
    if rows[0]["candidates"].features.shape[1] != len(FEATURES):
        raise SystemExit(f"{args.features} was made for other reader features: run reader_fit.py features again")
    values = {i: tower_scores(table, queries, i, len(r["labels"]), True) for i, r in enumerate(rows)}
    rows = with_column(rows, values, FEATURES.index("max_answer"))
    print(json.dumps({"held_out": report(held_out(rows, 0.96))}), flush=True)
    if args.select:
        select_weight(rows, args.select)
    if not args.report_only:
        write_model(rows)


def export_int8(tower: Tower, target: Path, work: Path) -> None:
    """The tuned tower as plain ONNX (``embeddings.onnx.trace``, as MiniLM is exported), then dynamic int8 weights
    (per channel); checked against torch on a few questions (cosine printed) and written to ``target``."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from embeddings.onnx import OnnxEncoder, Tokens, load_tokenizer, model_layout, trace

    work.mkdir(parents=True, exist_ok=True)
    fp32 = work / "answer_tower.fp32.onnx"
    layout = model_layout(resolve_model_path("all-MiniLM-L6-v2"))
    probes = ["Who won the final?", "How many people were evacuated from the flooded town on Sunday night?"]
    trace(tower.bert, Tokens(load_tokenizer(layout), probes), fp32)
    target.parent.mkdir(parents=True, exist_ok=True)
    quantize_dynamic(str(fp32), str(target), weight_type=QuantType.QInt8, per_channel=True)
    expected = encode(tower, probes).numpy()
    for name, path in (("fp32", fp32), ("int8", target)):
        got = OnnxEncoder(layout, path).encode(probes)
        print(f"{name}: cosine with torch {np.sum(got * expected, axis=1).round(4).tolist()}, "
              f"{path.stat().st_size / 1e6:.1f} MB", file=sys.stderr)


def cmd_export(args) -> None:
    """Train the shipped tower on every usable row (all folds) and write it as int8 ONNX to ``--target``."""
    torch.set_num_threads(args.threads)
    rows, table, sentences = load_table(args.features)
    work = Path(args.out)
    saved = work / "tower.pt"
    tower = Tower()
    if saved.exists():
        tower.bert.load_state_dict(torch.load(saved))
    else:
        questions = read_questions(rows, sentences, args.subject_free)
        tower = train(table, questions, list(range(len(rows))), **train_options(args, rows))
        work.mkdir(parents=True, exist_ok=True)
        torch.save(tower.bert.state_dict(), saved)
    tower.eval()
    export_int8(tower, Path(args.target), work)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    commands = {"alone": cmd_alone, "probe": cmd_probe, "write": cmd_write, "export": cmd_export,
                "abstain": cmd_abstain}
    for name, func in commands.items():
        p = sub.add_parser(name)
        p.add_argument("--features", required=True)
        p.add_argument("--out", required=True, help="work folder: the held-out question vectors of the fold towers "
                                                     "(export: the trained weights and fp32 export); reused if there")
        p.add_argument("--threads", type=int, default=2)
        p.add_argument("--news-repeat", type=int, default=NEWS_REPEAT,
                       help="times each newsqa question is trained on per epoch (0: the towers never see newsqa)")
        p.add_argument("--epochs", type=int, default=EPOCHS)
        p.add_argument("--beyond", action="store_true", help="train on the cosine beyond the article's direction")
        p.add_argument("--subject-free", type=float, default=None, metavar="SHARE",
                       help="the tower reads the question without the words SHARE of its article's candidates hold")
        p.add_argument("--scale", type=float, default=SCALE, help="the softmax's scale on cosines")
        p.add_argument("--anchor", type=float, default=0.0, help="weight keeping the question's vector near MiniLM's")
        p.add_argument("--null", action="store_true", help="train absent questions against a learned "
                                                             "\"no sentence answers\" cosine too")
        p.add_argument("--cloze", default=None, help="cloze_questions.py's file: its news questions train too")
        p.add_argument("--cloze-repeat", type=int, default=1, help="times each cloze question is trained on per epoch")
        p.add_argument("--seed", type=int, default=0, help="the towers' seed (initial order and draws)")
        if name == "export":
            p.add_argument("--target", required=True, help="the int8 ONNX file to write")
        if name == "write":
            p.add_argument("--report-only", action="store_true", help="the held-out report, no reader_model.json")
            p.add_argument("--select", default=None, metavar="GRID",
                           help="also choose the fresh questions' news weight among GRID (e.g. 3,10,30) by nested "
                                "folds and report it held out (reader_fit.py select)")
        if name == "abstain":
            p.add_argument("--details", default=None, help="citebot eval answers --details file (newsqa-dev)")
        p.set_defaults(func=func)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
