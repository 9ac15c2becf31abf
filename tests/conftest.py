from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser and server tests are slow too: `-m "not slow"` is the whole fast loop (README)."""
    for item in items:
        if item.get_closest_marker("browser") or item.get_closest_marker("server"):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _main_module_kept():
    """Streamlit's AppTest runs a page as `__main__` and leaves it in sys.modules. Every process
    spawned afterwards (query workers, the document pool) then ran that page on start, Streamlit
    and pandas imported: seconds a worker, counted in the endpoint's 3 s query timeout, so
    tests/test_serve.py's endpoint answered 503 and its fixture polled /health for 220 s."""
    main = sys.modules.get("__main__")
    yield
    if main is not None and sys.modules.get("__main__") is not main:
        sys.modules["__main__"] = main


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    return CORPUS


@pytest.fixture(scope="session")
def small_build(tmp_path_factory):
    """Settings of a real build (fast encoder) of two short contracts, shared read-only: what
    the fast loop's tests open. The whole shipped corpus is the slow tests' `built`."""
    from concurrent.futures import ThreadPoolExecutor

    from kg.build.pipeline import build
    from kg.config import Settings
    from tests.robustness.helpers import FAST_MODEL, write_good_corpus

    top = tmp_path_factory.mktemp("small")
    write_good_corpus(top / "corpus")
    settings = Settings(data_dir=top / "data", store="oxigraph", model=FAST_MODEL,
                        reference_dir=ROOT / "reference")
    # The documents in this process (the pool's documented seam): a worker process would load
    # spaCy and the extraction again for two paragraphs. The pool has its own tests.
    with ThreadPoolExecutor(1) as executor:
        summary = build([top / "corpus"], settings, log=lambda m: None, executor=executor)
    assert not summary.failures, summary.failures
    return settings


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """Settings of a real build of the shipped corpus (built once per session; slow tests only)."""
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
