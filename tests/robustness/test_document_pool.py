"""Per-document work in worker processes (kg.build.document_pool): a crash is one document's failure.

The crashes here are real: the job sends itself SIGSEGV or SIGKILL, as a reader dying in C code
would, and nothing in the job can catch it.
"""

from __future__ import annotations

import os
import re
import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from kg.build.document_pool import WorkerCrashed, run_each
from tests.robustness.helpers import FAST_MODEL, ROOT, write_good_corpus


def crashing_job(item: str) -> str:
    if item.startswith("segv"):
        os.kill(os.getpid(), signal.SIGSEGV)
    if item.startswith("kill"):
        os.kill(os.getpid(), signal.SIGKILL)
    if item.startswith("raise"):
        raise ValueError(f"bad item {item}")
    return item.upper()


def test_a_crashing_item_costs_only_itself() -> None:
    items = ["a", "segv-1", "b", "c", "kill-1", "d", "raise-1", "e"]
    outcomes = dict(run_each(crashing_job, items, workers=2))
    assert sorted(outcomes) == list(range(len(items)))
    for n, item in enumerate(items):
        if item.startswith(("segv", "kill")):
            assert isinstance(outcomes[n], WorkerCrashed), (item, outcomes[n])
        elif item.startswith("raise"):
            assert isinstance(outcomes[n], ValueError)
        else:
            assert outcomes[n] == item.upper()
    assert "SIGSEGV" in str(outcomes[1]) and "SIGKILL" in str(outcomes[4])


def test_any_executor_can_take_the_pools_place() -> None:
    with ThreadPoolExecutor(2) as executor:
        outcomes = dict(run_each(crashing_job, ["a", "raise-x", "b"], executor=executor))
    assert outcomes[0] == "A" and outcomes[2] == "B" and isinstance(outcomes[1], ValueError)


@pytest.mark.slow
def test_parallel_build_equals_the_serial_one(tmp_path: Path) -> None:
    """Two workers and one give the same graph and the same extractions, in the same order."""
    from kg.build.pipeline import build, current_build
    from kg.config import Settings

    corpus = tmp_path / "corpus"
    write_good_corpus(corpus)
    (corpus / "empty.txt").write_text("", encoding="utf-8")
    results = {}
    for workers in (1, 2):
        settings = Settings(data_dir=tmp_path / f"data{workers}", store="memory", model=FAST_MODEL,
                            reference_dir=ROOT / "reference", workers=workers)
        summary = build([corpus], settings, log=lambda m: None)
        current = current_build(settings.data_dir)
        # Blank nodes (the Data Cube's component specifications in the ontology) get new labels in
        # every build: compared by their content.
        triples = sorted(re.sub(r"_:\w+", "_:b", line)
                         for line in (current / "graph.nt").read_text(encoding="utf-8").splitlines()
                         if "/build/" not in line)
        results[workers] = ([d["id"] for d in summary.documents], summary.failures, triples)
    assert results[1][0] == results[2][0] == ["arras-test", "maubeuge-test"]
    assert len(results[1][1]) == len(results[2][1]) == 1 and "empty.txt" in results[2][1][0]
    assert results[1][2] == results[2][2]
