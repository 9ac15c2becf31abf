"""One real build of the shipped corpus, shared by every test that needs built data.

Built once per test session into a temporary data directory (the encoder, the graph, the store
and the index are all real), then reused read-only. The build's encoder is the fast blend of the
word vectors and USE (CONTRATS_TEST_MODEL to change it), so the suite does not wait on e5; the
default encoder's quality is checked in tests/test_search_gold.py over the same records. Passage
vectors persist between sessions in the embedding cache (CONTRATS_EMBEDDINGS, else
.cache/embeddings), so a second session encodes nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

from kg.build.pipeline import build
from kg.config import Settings

ROOT = Path(__file__).resolve().parent.parent
FAST_MODEL = "builtin:fr-word-vectors@0.5+builtin:use-multilingual@0.5"


def build_corpus(data_dir: Path, corpus: Path = ROOT / "corpus") -> Settings:
    settings = Settings(data_dir=data_dir, store="oxigraph", model=os.environ.get("CONTRATS_TEST_MODEL", FAST_MODEL),
                        reference_dir=ROOT / "reference",
                        embeddings=Path(os.environ.get("CONTRATS_EMBEDDINGS") or ROOT / ".cache" / "embeddings"))
    summary = build([corpus], settings, log=lambda m: None)
    assert not summary.failures, summary.failures
    return settings
