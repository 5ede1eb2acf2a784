"""Questions through ONNX Runtime, without torch: a sentence-transformers model exported once into the data folder.

A sentence-transformers model of the shape Transformer -> mean Pooling (-> Normalize) is exported with
``torch.onnx.export`` at first use to ``<data>/onnx/<model>-<fingerprint>/model.onnx`` (written aside, checked
against torch, then renamed: a crash leaves no half file). Later processes load that file with ONNX Runtime and
tokenize with the ``tokenizers`` package from the model's own ``tokenizer.json``, so answering a question imports
neither torch nor sentence-transformers. Vectors agree with torch's to cosine >= 0.999 (checked at export).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

ONNX_FILE = "model.onnx"
#: Least cosine between an exported model's vectors and torch's for the export to be kept.
MIN_EXPORT_COSINE = 0.999
#: Sentences the export is checked on (one short, one long enough to pad the other in a batch).
PROBES = (
    "Who is the British ambassador to Ukraine?",
    "The defence secretary said the troops would stay in Estonia for as long as the alliance needed them there.",
)


class OnnxUnavailable(RuntimeError):
    """The model cannot run through ONNX Runtime here (shape not supported, export failed, runtime missing)."""


@dataclass(frozen=True)
class Layout:
    """What the ONNX path needs to know about a sentence-transformers model folder."""

    path: Path
    max_seq_length: int
    normalize: bool
    dimension: int


def model_layout(model_path: str | Path) -> Layout:
    """Read ``modules.json`` and friends: only Transformer -> mean Pooling (-> Normalize) is supported."""
    path = Path(model_path)
    try:
        modules = json.loads((path / "modules.json").read_text(encoding="utf-8"))
        kinds = [m["type"].rsplit(".", 1)[-1] for m in sorted(modules, key=lambda m: m["idx"])]
        if kinds not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
            raise OnnxUnavailable(f"modules {kinds} (only Transformer, mean Pooling, Normalize are exported)")
        pooling_dir = next(m["path"] for m in modules if m["type"].endswith("Pooling"))
        pooling = json.loads((path / pooling_dir / "config.json").read_text(encoding="utf-8"))
        modes = [k for k, v in pooling.items() if k.startswith("pooling_mode") and v]
        if modes != ["pooling_mode_mean_tokens"]:
            raise OnnxUnavailable(f"pooling {modes} (only mean pooling is exported)")
        config_file = path / "sentence_bert_config.json"
        st_config = json.loads(config_file.read_text(encoding="utf-8")) if config_file.exists() else {}
        if st_config.get("do_lower_case"):
            raise OnnxUnavailable("do_lower_case in sentence_bert_config.json is not supported")
        if not (path / "tokenizer.json").is_file():
            raise OnnxUnavailable("the model folder has no tokenizer.json")
    except (OSError, ValueError, KeyError, StopIteration, TypeError) as exc:
        raise OnnxUnavailable(f"cannot read the model's layout in {path}: {exc}") from None
    return Layout(path, int(st_config.get("max_seq_length") or 512), kinds[-1] == "Normalize",
                  int(pooling["word_embedding_dimension"]))


def export_path(onnx_dir: Path, name: str, model_path: str | Path) -> Path:
    """Where the ONNX export of ``model_path`` lives: a folder per model name and fingerprint (model folder,
    its files' sizes, the onnxruntime version the export was optimised for)."""
    import onnxruntime

    path = Path(model_path)
    weights = sorted(p for p in path.glob("*") if p.suffix in (".safetensors", ".bin", ".json") and p.is_file())
    fingerprint = hashlib.sha1(
        "\n".join([str(path.resolve()), f"onnxruntime {onnxruntime.__version__}"]
                  + [f"{p.name}:{p.stat().st_size}" for p in weights]).encode()
    ).hexdigest()[:12]
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", Path(name).name or "model").strip("-.") or "model"
    return Path(onnx_dir) / f"{slug}-{fingerprint}" / ONNX_FILE


class Tokens:
    """A batch tokenized the way sentence-transformers does it (truncated, padded to the longest)."""

    def __init__(self, tokenizer, texts: list[str]) -> None:
        encodings = tokenizer.encode_batch(list(texts))
        width = max(len(e.ids) for e in encodings)
        self.input_ids = np.zeros((len(encodings), width), dtype=np.int64)
        self.attention_mask = np.zeros_like(self.input_ids)
        self.token_type_ids = np.zeros_like(self.input_ids)
        for row, e in enumerate(encodings):
            n = len(e.ids)
            self.input_ids[row, :n] = e.ids
            self.attention_mask[row, :n] = e.attention_mask
            self.token_type_ids[row, :n] = e.type_ids

    def feed(self, names: list[str]) -> dict[str, np.ndarray]:
        return {name: getattr(self, name) for name in names}


def load_tokenizer(layout: Layout):
    """The model's fast tokenizer from ``tokenizer.json``: no padding, truncation at ``max_seq_length``."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(layout.path / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(layout.max_seq_length)
    return tokenizer


def pool(hidden: np.ndarray, mask: np.ndarray, normalize: bool) -> np.ndarray:
    """Mean over the real tokens (as sentence-transformers' Pooling), then L2 normalisation."""
    weights = mask[..., None].astype(np.float32)
    vectors = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
    if normalize:
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return np.ascontiguousarray(vectors, dtype=np.float32)


def one_line(text: str, limit: int = 200) -> str:
    """An error message on one line, cut at ``limit`` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def unit(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1."""
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


class OnnxEncoder:
    """An exported model in an ONNX Runtime session: ``encode(texts)`` gives the same vectors as torch."""

    def __init__(self, layout: Layout, onnx_file: Path, threads: int = 1, optimized_to: Path | None = None) -> None:
        """A session on ``onnx_file`` (already optimised at export: only the cheap basic passes run at load);
        with ``optimized_to``, the file is optimised fully once and the result written there."""
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = max(1, threads)
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.log_severity_level = 3
        levels = ort.GraphOptimizationLevel
        options.graph_optimization_level = levels.ORT_ENABLE_BASIC
        if optimized_to is not None:  # fusions for the CPU provider, nothing tied to this processor
            options.graph_optimization_level = levels.ORT_ENABLE_EXTENDED
            options.optimized_model_filepath = str(optimized_to)
        self.layout = layout
        self.path = Path(onnx_file)
        self.threads = options.intra_op_num_threads
        self.session = ort.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])
        self.inputs = [i.name for i in self.session.get_inputs()]
        self.tokenizer = load_tokenizer(layout)

    @property
    def dimension(self) -> int:
        return self.layout.dimension

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embed ``texts`` into an (n, dim) float32 array (unit vectors when the model normalises)."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        tokens = Tokens(self.tokenizer, texts)
        (hidden,) = self.session.run(["last_hidden_state"], tokens.feed(self.inputs))
        return pool(hidden, tokens.attention_mask, self.layout.normalize)


def trace(model, tokens: Tokens, target: Path) -> np.ndarray:
    """Trace a BERT-style ``model`` (transformers) to plain ONNX at ``target``: positional inputs, the last hidden
    state as its one output, batch and length dynamic. Returns torch's hidden states for ``tokens`` (to check an
    export against)."""
    import torch

    class Wrapped(torch.nn.Module):
        """BertModel with positional inputs and one output (what the exporter traces)."""

        def __init__(self, model) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.model(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    names = ["input_ids", "attention_mask", "token_type_ids"]
    args = tuple(torch.from_numpy(getattr(tokens, n)) for n in names)
    wrapped = Wrapped(model).eval()  # export restores the wrapper's mode recursively: eval, never train
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            wrapped, args, str(target), dynamo=False, opset_version=17,
            input_names=names, output_names=["last_hidden_state"],
            dynamic_axes={n: {0: "batch", 1: "tokens"} for n in [*names, "last_hidden_state"]},
        )
        return wrapped(*args).numpy()


def export(layout: Layout, target: Path, threads: int = 1) -> Path:
    """Export the model's transformer to ``target`` with torch (once), check it, and move it into place."""
    try:
        import torch  # noqa: F401 - checked here: a missing torch means "stay off ONNX", said once
        from transformers import AutoModel
    except ImportError as exc:  # pragma: no cover - both are dependencies
        raise OnnxUnavailable(f"exporting needs torch and transformers: {exc}") from None

    from embeddings.threads import apply_torch

    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    started = time.perf_counter()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)  # a read-only data folder: stay on torch, say why
        apply_torch()
        model = AutoModel.from_pretrained(str(layout.path)).eval()
        tokens = Tokens(load_tokenizer(layout), list(PROBES))  # a padded row: no "all ones" shortcut is traced
        expected = pool(trace(model, tokens, tmp), tokens.attention_mask, layout.normalize)
        optimized = tmp.with_name(tmp.name + ".opt")
        OnnxEncoder(layout, tmp, threads, optimized_to=optimized)
        os.replace(optimized, tmp)
        got = OnnxEncoder(layout, tmp, threads).encode(list(PROBES))
        cosine = float(np.min(np.sum(unit(expected) * unit(got), axis=1)))
        if not cosine >= MIN_EXPORT_COSINE:
            raise OnnxUnavailable(f"the exported model disagrees with torch (cosine {cosine:.4f})")
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except OnnxUnavailable:
        raise
    except Exception as exc:  # noqa: BLE001 - any exporter failure means: stay on torch
        raise OnnxUnavailable(f"exporting to ONNX failed: {type(exc).__name__}: {one_line(str(exc))}") from None
    finally:
        for leftover in (tmp, tmp.with_name(tmp.name + ".opt")):
            try:
                leftover.unlink(missing_ok=True)
            except OSError:
                pass
    log.info("exported %s to %s in %.1f s", layout.path.name, target, time.perf_counter() - started)
    return target


def set_aside(path: Path, why: str) -> None:
    """Rename a broken export to ``model.onnx.broken-<time>`` so that it is exported afresh."""
    target = path.with_name(f"{path.name}.broken-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}")
    try:
        os.replace(path, target)
    except OSError:
        return
    log.warning("%s could not be loaded (%s): set aside as %s, exporting again", path, why, target.name)


def open_encoder(name: str, model_path: str | Path, onnx_dir: Path, threads: int = 1) -> OnnxEncoder:
    """The ONNX encoder of a model: loads its export, exporting first when missing (or set aside when broken)."""
    layout = model_layout(model_path)
    try:
        import onnxruntime  # noqa: F401
    except ImportError as exc:
        raise OnnxUnavailable(f"onnxruntime is not installed ({exc})") from None
    target = export_path(onnx_dir, name, model_path)
    if target.exists():
        try:
            return OnnxEncoder(layout, target, threads)
        except Exception as exc:  # noqa: BLE001 - a damaged or truncated file: set it aside, export again
            set_aside(target, f"{type(exc).__name__}: {one_line(str(exc))}")
    export(layout, target, threads)
    return OnnxEncoder(layout, target, threads)
