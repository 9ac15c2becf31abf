"""The robustness tests' fixtures (small_build, the short contracts' build, is tests/conftest.py's)."""

from __future__ import annotations

from pathlib import Path

import pytest


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
