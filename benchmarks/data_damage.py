"""Damage a copy of the indexed samples file by file and show what `citebot ask` says (docs/hardening.md,
"Left to the index work"). Run from the repository root: `PYTHONPATH=. .venv/bin/python benchmarks/data_damage.py`."""

import contextlib
import io
import json
import shutil
import tempfile
from pathlib import Path

from bot import cli
from embeddings import CachedEmbedder, Embedder, EmbeddingCache
from retrieval.library import Library

root = Path(tempfile.mkdtemp())
base = root/"base"
Library(base, CachedEmbedder(Embedder(), EmbeddingCache(base/"embeddings.sqlite"))).index([Path("samples/articles")])
print(sorted(str(p.relative_to(base)) for p in base.rglob("*")))
def case(name, mutate):
    d = root/name
    shutil.copytree(base, d)
    mutate(d)
    cfg = root/f"{name}.toml"
    cfg.write_text(f'[data]\ndir = {json.dumps(str(d))}\n')
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = cli.main(["--config", str(cfg), "ask", "Who is the British ambassador to Ukraine?"])
        except BaseException as e:
            code = f"RAISED {type(e).__name__}: {e}"
    print(f"{name:30} {code} {err.getvalue().strip()[:250]!r}")
def gen(d):
    return d/"index"/(d/"CURRENT").read_text().strip()
case("ok", lambda d: None)
case("no_current", lambda d: (d/"CURRENT").unlink())
case("empty_current", lambda d: (d/"CURRENT").write_text(""))
case("current_missing_gen", lambda d: (d/"CURRENT").write_text("gen-nope\n"))
case("current_is_dir", lambda d: ((d/"CURRENT").unlink(), (d/"CURRENT").mkdir()))
case("current_garbage_bytes", lambda d: (d/"CURRENT").write_bytes(b"\xff\xfe\x00garbage"))
case("gen_empty", lambda d: [p.unlink() for p in gen(d).iterdir() if p.is_file()])
for f in sorted(p.name for p in (base/"index").iterdir().__next__().iterdir()):
    case(f"missing_{f}", lambda d, f=f: (gen(d)/f).unlink() if (gen(d)/f).is_file() else shutil.rmtree(gen(d)/f))
    case(f"truncated_{f}",
         lambda d, f=f: (gen(d)/f).write_bytes((gen(d)/f).read_bytes()[:10]) if (gen(d)/f).is_file() else None)
    case(f"garbage_{f}", lambda d, f=f: (gen(d)/f).write_bytes(b"garbage"*10) if (gen(d)/f).is_file() else None)
    case(f"dir_{f}", lambda d, f=f: ((gen(d)/f).unlink(), (gen(d)/f).mkdir()) if (gen(d)/f).is_file() else None)
case("cache_garbage", lambda d: (d/"embeddings.sqlite").write_bytes(b"garbage"*100))
case("cache_dir", lambda d: ((d/"embeddings.sqlite").unlink(), (d/"embeddings.sqlite").mkdir()))
case("report_garbage", lambda d: (d/"last_index.json").write_text("{garbage"))
case("data_is_file", lambda d: (shutil.rmtree(d), d.write_text("x")))
