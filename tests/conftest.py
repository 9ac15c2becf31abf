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
    import os

    from tests.built import build_corpus

    settings = build_corpus(tmp_path_factory.mktemp("data"))
    # Commands, the app and servers started by the tests open the build with its own encoder.
    previous = os.environ.get("CONTRATS_MODEL")
    os.environ["CONTRATS_MODEL"] = settings.model
    yield settings
    if previous is None:
        os.environ.pop("CONTRATS_MODEL", None)
    else:
        os.environ["CONTRATS_MODEL"] = previous
