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


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return out


def _alive(pid: int) -> bool:
    """Running or sleeping: not gone, and not a zombie waiting for a reaper."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_the_workers_of_a_killed_build_do_not_outlive_it(tmp_path: Path) -> None:
    """A build killed outright cannot stop its pool: its workers, waiting for the next document,
    must notice that their parent is gone and exit (they used to stay, 0.7 GB each, for good)."""
    import subprocess
    import sys
    import time

    driver = subprocess.Popen([sys.executable, "-c",
                               "import time; from kg.build.document_pool import run_each\n"
                               "for _ in run_each(time.sleep, [600, 600, 600], workers=2): pass"],
                              cwd=ROOT)
    try:
        deadline = time.time() + 60
        workers: list[int] = []
        while time.time() < deadline and len(workers) < 2:
            time.sleep(0.2)
            workers = [p for p in _children(driver.pid)
                       if "spawn_main" in Path(f"/proc/{p}/cmdline").read_bytes().decode(errors="replace")]
        assert len(workers) == 2, workers
        driver.kill()
        driver.wait()
        deadline = time.time() + 15
        while time.time() < deadline and any(_alive(p) for p in workers):
            time.sleep(0.2)
        assert not [p for p in workers if _alive(p)]
    finally:
        driver.kill()


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
