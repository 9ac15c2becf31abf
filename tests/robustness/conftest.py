from __future__ import annotations

from pathlib import Path

import pytest

from tests.robustness.helpers import FAST_MODEL, ROOT, write_good_corpus


@pytest.fixture(scope="session")
def small_build(tmp_path_factory):
    """Settings of a real build (fast encoder) of the small good corpus, shared read-only."""
    from kg.build import build
    from kg.config import Settings

    top = tmp_path_factory.mktemp("small")
    write_good_corpus(top / "corpus")
    settings = Settings(data_dir=top / "data", store="oxigraph", model=FAST_MODEL, reference_dir=ROOT / "reference")
    summary = build([top / "corpus"], settings, log=lambda m: None)
    assert not summary.failures, summary.failures
    return settings


@pytest.fixture
def graph_build(tmp_path: Path) -> Path:
    """A bare build folder (graph.nt + Oxigraph store) of 300 subjects, made in a second."""
    import pyoxigraph as ox

    ex = "https://example.org/"
    lines = []
    for i in range(300):
        lines.append(f'<{ex}s{i}> <{ex}label> "Quartier n°{i}"@fr .')
        lines.append(f"<{ex}s{i}> <{ex}next> <{ex}s{(i + 1) % 300}> .")
    (tmp_path / "graph.nt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    store = ox.Store(str(tmp_path / "store"))
    store.bulk_load(path=str(tmp_path / "graph.nt"), format=ox.RdfFormat.N_TRIPLES)
    del store
    return tmp_path
