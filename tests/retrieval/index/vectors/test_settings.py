"""The ``[index]`` settings: the defaults in code are the ones config.example.toml documents, and every named kind
but ``auto`` is one the factory can build."""

from __future__ import annotations

import tomllib
from dataclasses import asdict

from retrieval.index.vectors.factory import new_index
from retrieval.index.vectors.settings import KINDS, IndexSettings
from tests.conftest import ROOT


def test_defaults_match_the_documented_example_config():
    example = tomllib.loads((ROOT / "config.example.toml").read_text(encoding="utf-8"))["index"]
    assert example == asdict(IndexSettings())


def test_every_concrete_kind_can_be_built(tmp_path):
    for kind in KINDS:
        index = new_index(IndexSettings(kind=kind), 4, tmp_path / kind)
        assert index.kind == ("exact" if kind == "auto" else kind) and index.count == 0
        index.close()
