"""The `[distributed]` extra: the shipped corpus built on a local Dask cluster gives the same
extractions and graph as the local process pool (the build of tests/built.py)."""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from pathlib import Path

import pytest

from tests.built import ROOT


def _graph_lines(folder: Path) -> Counter:
    """The graph's triples, less the build's own activity (its id and time differ), blank node
    labels (the vocabulary's, new at each parse) made alike."""
    return Counter(re.sub(r"_:[A-Za-z0-9]+", "_:b", line)
                   for line in set((folder / "graph.nt").read_text(encoding="utf-8").splitlines())
                   if "/build/" not in line and "contrats-kg/software/" not in line)


@pytest.mark.slow
def test_a_local_dask_cluster_builds_the_shipped_corpus_as_the_pool_does(built, tmp_path: Path) -> None:
    pytest.importorskip("distributed", reason="the [distributed] extra is not installed")
    from kg.build.dask_executor import dask_executor
    from kg.build.pipeline import build, current_build

    settings = dataclasses.replace(built, data_dir=tmp_path / "data")
    with dask_executor("local", workers=2) as executor:
        summary = build([ROOT / "corpus"], settings, log=lambda m: None, executor=executor)
    assert not summary.failures and summary.shacl_conforms
    pooled, dasked = current_build(built.data_dir), current_build(settings.data_dir)
    names = sorted(p.name for p in (pooled / "extractions").iterdir())
    assert names == sorted(p.name for p in (dasked / "extractions").iterdir()) and len(names) >= 4
    for name in names:
        assert (pooled / "extractions" / name).read_bytes() == (dasked / "extractions" / name).read_bytes(), name
    assert _graph_lines(pooled) == _graph_lines(dasked)
