from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    return CORPUS


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """Settings of a real build of the shipped corpus (built once per session)."""
    from tests.built import build_corpus

    return build_corpus(tmp_path_factory.mktemp("data"))
