"""One real build of the shipped corpus, shared by every test that needs built data.

Built once per test session into a temporary data directory (the encoder, the graph, the store
and the index are all real), then reused read-only.
"""

from __future__ import annotations

from pathlib import Path

from kg.build import build
from kg.config import DEFAULT_MODEL, Settings

ROOT = Path(__file__).resolve().parent.parent


def build_corpus(data_dir: Path, corpus: Path = ROOT / "corpus") -> Settings:
    settings = Settings(data_dir=data_dir, store="oxigraph", model=DEFAULT_MODEL,
                        reference_dir=ROOT / "reference")
    summary = build([corpus], settings, log=lambda m: None)
    assert not summary.failures, summary.failures
    return settings
