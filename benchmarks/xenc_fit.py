"""A small cross-encoder trained on the CPU: does this sentence answer this question (round 8, measured, not shipped).

The first ``--layers`` transformer layers of the packaged all-MiniLM-L6-v2 (its embeddings and those layers, the rest
dropped) read the question and one candidate sentence together (``[CLS] question [SEP] sentence [SEP]``, at most
``--max-len`` tokens); a linear head on the mean of the output tokens gives the score. Trained as a listwise softmax
over a question's candidate sentences: one answering sentence (a sentence of a right candidate holding an answer
string, else any of a right candidate's sentences, as ``adapter_fit.py``'s ``Table`` marks them) against
``--negatives`` of the question's other candidate sentences (mostly the same article's: the reader's candidates).
Training data: squad-dev's near-topic split only (the rows of ``reader_fit.py features``); newsqa-dev is never
trained on, so every newsqa figure is held out. Checkpoints (weights not committed) go to ``--out`` as it trains.

``eval`` scores every newsqa candidate sentence and reports (1) the CE alone inside the ranking's first article
(right@1 of the candidate whose best sentence scores highest, beside the reader's residual and cosine features);
(2) the CE's best sentence per candidate added to the held-out reader, its weight chosen on newsqa's training folds
only (the reader's 25 weights are fitted as ``reader_fit.py`` does; squad rows are unchanged, their CE scores being
in-sample); (3) the time to score one question's top 5 / top 20 candidates' sentences, torch and ONNX, 1 thread.

    .venv/bin/python benchmarks/xenc_fit.py speed --features F.pkl                     # pairs/s training
    nice -n 10 .venv/bin/python benchmarks/xenc_fit.py train --features F.pkl --out /tmp/xenc --minutes 40
    .venv/bin/python benchmarks/xenc_fit.py eval --features F.pkl --out /tmp/xenc
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from adapter_fit import Table, best_per_candidate, load_table  # noqa: E402
from reader_fit import FOLDS, fold_of, held_out, report  # noqa: E402

from embeddings.model import resolve_model_path  # noqa: E402
from retrieval.query.reader import FEATURES, answers, reading_order  # noqa: E402

WEIGHTS = (0.0, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0)


class CrossEncoder(torch.nn.Module):
    """The first ``layers`` layers of MiniLM and a linear head on the mean of the output tokens."""

    def __init__(self, layers: int) -> None:
        super().__init__()
        from transformers import AutoModel

        self.bert = AutoModel.from_pretrained(resolve_model_path("all-MiniLM-L6-v2"))
        self.bert.encoder.layer = self.bert.encoder.layer[:layers]
        self.bert.config.num_hidden_layers = layers
        self.head = torch.nn.Linear(self.bert.config.hidden_size, 1)
        torch.nn.init.zeros_(self.head.bias)
        torch.nn.init.normal_(self.head.weight, std=0.02)

    def forward(self, input_ids, attention_mask, token_type_ids) -> torch.Tensor:
        hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                           token_type_ids=token_type_ids).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        return self.head((hidden * mask).sum(1) / mask.sum(1).clamp_min(1.0)).squeeze(-1)


def tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(resolve_model_path("all-MiniLM-L6-v2"))


def encode(tok, questions: list[str], sentences: list[str], max_len: int) -> dict:
    return dict(tok(questions, sentences, truncation="only_second", max_length=max_len, padding=True,
                    return_tensors="pt"))


def load(features: str) -> tuple[list[dict], Table, list[str]]:
    """The rows, adapter_fit's Table of their candidate sentences, and every sentence's text by the table's id."""
    rows, table, sentences = load_table(features)
    texts = [t for paragraphs in sentences.values() for sents, _ in paragraphs.values() for t in sents]
    return rows, table, texts


def groups(rows: list[dict], table: Table, texts: list[str], negatives: int, rng) -> list[tuple[str, list[str]]]:
    """One training group per usable squad question, shuffled: (question, [answering sentence, negatives...])."""
    out = []
    usable = [i for i, r in enumerate(rows) if r["set"] == "squad" and table.items[i][2].any()]
    rng.shuffle(usable)
    for i in usable:
        ids, _, positive = table.items[i]
        neg = ids[~positive]
        if not len(neg):
            continue
        pos = int(rng.choice(ids[positive]))
        picked = rng.choice(neg, size=min(negatives, len(neg)), replace=False)
        out.append((rows[i]["read_question"], [texts[pos]] + [texts[k] for k in picked]))
    return out


def train_steps(model, opt, tok, batch: list[tuple[str, list[str]]], max_len: int) -> float:
    questions = [q for q, sents in batch for _ in sents]
    sentences = [s for _, sents in batch for s in sents]
    scores = model(**encode(tok, questions, sentences, max_len))
    loss, start = 0.0, 0
    for _, sents in batch:  # listwise: the answering sentence (first) against the question's negatives
        part = scores[start:start + len(sents)]
        loss = loss + torch.logsumexp(part, 0) - part[0]
        start += len(sents)
    loss = loss / len(batch)
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss.item()


def cmd_speed(args) -> None:
    torch.set_num_threads(args.threads)
    rows, table, texts = load(args.features)
    tok = tokenizer()
    rng = np.random.default_rng(0)
    data = groups(rows, table, texts, args.negatives, rng)
    for layers in (2, 3):
        torch.manual_seed(0)
        model = CrossEncoder(layers)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
        pairs, t0 = 0, None
        for step in range(6):
            batch = data[step * args.batch:(step + 1) * args.batch]
            if step == 1:
                t0 = time.perf_counter()
            train_steps(model, opt, tok, batch, args.max_len)
            pairs += sum(len(s) for _, s in batch) if step >= 1 else 0
        dt = time.perf_counter() - t0
        print(json.dumps({"layers": layers, "max_len": args.max_len, "pairs_per_s": round(pairs / dt, 1)}), flush=True)


def cmd_train(args) -> None:
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    rows, table, texts = load(args.features)
    tok = tokenizer()
    model = CrossEncoder(args.layers)
    opt = torch.optim.AdamW([{"params": model.bert.parameters(), "lr": args.lr},
                             {"params": model.head.parameters(), "lr": args.lr * 10}], weight_decay=0.01)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    start, step, pairs, recent = time.time(), 0, 0, []
    deadline = start + args.minutes * 60
    epoch = 0
    while time.time() < deadline:
        data = groups(rows, table, texts, args.negatives, rng)
        for b in range(0, len(data), args.batch):
            batch = data[b:b + args.batch]
            recent.append(train_steps(model, opt, tok, batch, args.max_len))
            step += 1
            pairs += sum(len(s) for _, s in batch)
            if step % args.every == 0 or time.time() >= deadline:
                torch.save({"state": model.state_dict(), "layers": args.layers, "max_len": args.max_len,
                            "step": step, "pairs": pairs, "epoch": epoch}, out / "ce.pt")
                elapsed = time.time() - start
                print(json.dumps({"step": step, "epoch": epoch, "pairs": pairs,
                                  "loss": round(float(np.mean(recent)), 4), "elapsed_s": round(elapsed),
                                  "pairs_per_s": round(pairs / elapsed, 1)}),
                      flush=True)
                recent = []
            if args.more_threads_at and time.time() >= args.more_threads_at and torch.get_num_threads() < 2:
                torch.set_num_threads(2)
                print(json.dumps({"step": step, "threads": 2}), flush=True)
            if time.time() >= deadline:
                break
        epoch += 1


def load_model(out: str) -> tuple[CrossEncoder, int, dict]:
    saved = torch.load(Path(out) / "ce.pt", weights_only=False)
    model = CrossEncoder(saved["layers"])
    model.load_state_dict(saved["state"])
    model.eval()
    return model, saved["max_len"], {k: saved[k] for k in ("layers", "max_len", "step", "pairs", "epoch")}


@torch.no_grad()
def score_pairs(model, tok, question: str, sentences: list[str], max_len: int, chunk: int = 64) -> np.ndarray:
    parts = [model(**encode(tok, [question] * len(sentences[k:k + chunk]), sentences[k:k + chunk], max_len)).numpy()
             for k in range(0, len(sentences), chunk)]
    return np.concatenate(parts) if parts else np.zeros(0)


def alone(rows: list[dict], ce: dict[int, np.ndarray]) -> dict:
    """Right@1 of one score alone inside the ranking's first article (newsqa answerable questions)."""
    columns = {"max_sim": FEATURES.index("max_sim"), "max_residual": FEATURES.index("max_residual")}
    counts, total = {"ce": 0, **dict.fromkeys(columns, 0)}, 0
    for i in ce:
        r = rows[i]
        if r["kind"] == "absent" or not len(r["labels"]):
            continue
        total += 1
        c = r["candidates"]
        same = np.asarray([a == c.articles[0] for a in c.articles]) if c.articles else np.ones(len(r["labels"]), bool)
        counts["ce"] += bool(r["labels"][int(np.argmax(np.where(same, ce[i], -np.inf)))])
        for key, col in columns.items():
            counts[key] += bool(r["labels"][int(np.argmax(np.where(same, c.features[:, col], -np.inf)))])
    return {"n": total, **{k: round(v / total, 4) for k, v in counts.items()}}


def with_ce(rows: list[dict], ce: dict[int, np.ndarray], base: list[dict]) -> tuple[list[dict], list]:
    """The held-out results with the CE added to the reader's score on newsqa rows: per held-out fold, the reader's
    25 weights fitted as reader_fit does, the CE's weight (on its standardised score) chosen on the newsqa rows of
    the training folds (right@1, then right@3; ties: the smaller weight). Squad rows keep the reader's pick."""
    from reader_fit import fit_listwise, trainable

    allce = np.concatenate([v for v in ce.values()])
    mu, sd = float(allce.mean()), float(allce.std()) or 1.0
    by_qid = {(b["set"], b["qid"]): b for b in base}
    out, chosen = [], []
    for fold in range(FOLDS):
        train = [i for i, r in enumerate(rows) if fold_of(r["group"]) != fold]
        mean, scale, w = fit_listwise(trainable([rows[i] for i in train]))

        def pick(i: int, weight: float, mean=mean, scale=scale, w=w) -> np.ndarray:
            c = rows[i]["candidates"]
            scores = ((c.features - mean) / scale) @ w
            if i in ce:
                scores = scores + weight * (ce[i] - mu) / sd
            return reading_order(scores, c.articles)

        news_train = [i for i in train if i in ce and rows[i]["kind"] != "absent" and len(rows[i]["labels"])]
        best, best_w = None, 0.0
        for weight in WEIGHTS:
            orders = [(i, pick(i, weight)) for i in news_train]
            key = (sum(bool(rows[i]["labels"][o[0]]) for i, o in orders),
                   sum(bool(rows[i]["labels"][o[:3]].any()) for i, o in orders))
            if best is None or key > best:
                best, best_w = key, weight
        chosen.append(best_w)
        for i, r in enumerate(rows):
            if fold_of(r["group"]) != fold:
                continue
            b = dict(by_qid[(r["set"], r["qid"])])
            if i in ce and len(r["labels"]):
                order = pick(i, best_w)
                b.update(right1=bool(r["labels"][order[0]]), right3=bool(r["labels"][order[:3]].any()),
                         rule=bool(answers(r["candidates"], int(order[0]))))
            out.append(b)
    return out, chosen


def newsqa_sentences(rows: list[dict], table: Table, texts: list[str], top: int) -> Iterator[tuple[dict, list[str]]]:
    """Each newsqa question's row and the sentences of its first ``top`` candidates (questions without any left out)."""
    for i, r in enumerate(rows):
        if r["set"] != "newsqa":
            continue
        ids, owner, _ = table.items[i]
        sents = [texts[k] for k, o in zip(ids.tolist(), owner.tolist(), strict=True) if o < top]
        if sents:
            yield r, sents


def cost(model, tok, rows: list[dict], table: Table, texts: list[str], max_len: int, top: int) -> dict:
    """Per newsqa question: the time to score the sentences of its first ``top`` candidates, torch, 1 thread."""
    times, counts = [], []
    for r, sents in newsqa_sentences(rows, table, texts, top):
        t0 = time.perf_counter()
        score_pairs(model, tok, r["read_question"], sents, max_len, chunk=256)
        times.append((time.perf_counter() - t0) * 1000)
        counts.append(len(sents))
    return {"top": top, "questions": len(times), "sentences_mean": round(float(np.mean(counts)), 1),
            "ms_p50": round(float(np.percentile(times, 50)), 1), "ms_p95": round(float(np.percentile(times, 95)), 1),
            "ms_mean": round(float(np.mean(times)), 1)}


def onnx_cost(model, tok, rows: list[dict], table: Table, texts: list[str], max_len: int, out: str) -> list[dict]:
    """The same per-question timing through ONNX Runtime (fp32 and dynamic int8 exports), 1 thread, tokenising
    included; and each export's size."""
    import onnxruntime as ort
    from onnxruntime.quantization import QuantType, quantize_dynamic

    path = Path(out) / "ce.onnx"
    names = ("input_ids", "attention_mask", "token_type_ids")
    dummy = encode(tok, ["a question"] * 2, ["a sentence"] * 2, max_len)
    torch.onnx.export(model, tuple(dummy[k] for k in names), str(path), input_names=list(names),
                      output_names=["score"], dynamic_axes={k: {0: "b", 1: "t"} for k in names},
                      opset_version=17, dynamo=False)
    quantize_dynamic(str(path), str(path.with_suffix(".int8.onnx")), weight_type=QuantType.QInt8)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = opts.inter_op_num_threads = 1
    results = []
    for name, p in (("fp32", path), ("int8", path.with_suffix(".int8.onnx"))):
        sess = ort.InferenceSession(str(p), opts, providers=["CPUExecutionProvider"])
        for top in (5, 20):
            times = []
            for r, sents in newsqa_sentences(rows, table, texts, top):
                t0 = time.perf_counter()
                feed = tok([r["read_question"]] * len(sents), sents, truncation="only_second", max_length=max_len,
                           padding=True, return_tensors="np")
                sess.run(None, {k: feed[k].astype(np.int64) for k in names})
                times.append((time.perf_counter() - t0) * 1000)
            results.append({"onnx": name, "mb": round(p.stat().st_size / 1e6, 1), "top": top,
                            "ms_p50": round(float(np.percentile(times, 50)), 1),
                            "ms_p95": round(float(np.percentile(times, 95)), 1),
                            "ms_mean": round(float(np.mean(times)), 1)})
    return results


def onnx_scores(rows: list[dict], table: Table, texts: list[str], tok, max_len: int, path: Path) -> dict:
    """The best sentence score per candidate of every newsqa question through an ONNX export."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    out = {}
    for i, r in enumerate(rows):
        if r["set"] != "newsqa":
            continue
        ids, owner, _ = table.items[i]
        parts = []
        for k in range(0, len(ids), 64):
            sents = [texts[j] for j in ids[k:k + 64].tolist()]
            feed = tok([r["read_question"]] * len(sents), sents, truncation="only_second", max_length=max_len,
                       padding=True, return_tensors="np")
            parts.append(sess.run(None, {n: feed[n].astype(np.int64) for n in
                                         ("input_ids", "attention_mask", "token_type_ids")})[0].reshape(-1))
        out[i] = best_per_candidate(np.concatenate(parts) if parts else np.zeros(0), owner, len(r["labels"]))
    return out


def cmd_eval(args) -> None:
    torch.set_num_threads(args.threads)
    rows, table, texts = load(args.features)
    tok = tokenizer()
    model, max_len, meta = load_model(args.out)
    print(json.dumps({"checkpoint": meta}), flush=True)
    t0 = time.time()
    ce = {}
    for i, r in enumerate(rows):
        if r["set"] != "newsqa" or (args.limit and len(ce) >= args.limit):
            continue
        ids, owner, _ = table.items[i]
        scores = score_pairs(model, tok, r["read_question"], [texts[k] for k in ids.tolist()], max_len)
        ce[i] = best_per_candidate(scores, owner, len(r["labels"]))
    print(json.dumps({"scored_newsqa_s": round(time.time() - t0)}), flush=True)
    print(json.dumps({"alone_newsqa": alone(rows, ce)}), flush=True)
    base = held_out(rows, 0.96)
    print(json.dumps({"base": report(base)["newsqa"]}), flush=True)
    results, weights = with_ce(rows, ce, base)
    print(json.dumps({"with_ce": report(results)["newsqa"], "ce_weight_per_fold": weights}), flush=True)
    if args.skip_cost:
        return
    torch.set_num_threads(1)
    for top in (5, 20):
        print(json.dumps({"cost_torch_1thread": cost(model, tok, rows, table, texts, max_len, top)}), flush=True)
    if args.onnx:
        for entry in onnx_cost(model, tok, rows, table, texts, max_len, args.out):
            print(json.dumps({"cost_onnx_1thread": entry}), flush=True)
        print(json.dumps({"alone_newsqa_int8": alone(rows, onnx_scores(rows, table, texts, tok, max_len,
                                                                       Path(args.out) / "ce.int8.onnx"))}),
              flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, func in (("speed", cmd_speed), ("train", cmd_train), ("eval", cmd_eval)):
        p = sub.add_parser(name)
        p.add_argument("--features", required=True)
        p.add_argument("--out", default="/tmp/xenc")
        p.add_argument("--threads", type=int, default=1)
        p.add_argument("--layers", type=int, default=2)
        p.add_argument("--max-len", type=int, default=96)
        p.add_argument("--negatives", type=int, default=7)
        p.add_argument("--batch", type=int, default=4, help="questions a step (each with 1 + negatives sentences)")
        p.add_argument("--lr", type=float, default=1e-4)
        p.add_argument("--minutes", type=float, default=40.0)
        p.add_argument("--every", type=int, default=50, help="checkpoint every this many steps")
        p.add_argument("--more-threads-at", type=float, default=0.0,
                       help="train: a Unix time from which to use 2 threads (when the other core is free)")
        p.add_argument("--limit", type=int, default=0, help="eval: only the first N newsqa questions (a smoke test)")
        p.add_argument("--skip-cost", action="store_true", help="eval: figures only, no timing")
        p.add_argument("--onnx", action="store_true", help="eval: also time an ONNX export (fp32 and int8)")
        p.set_defaults(func=func)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
