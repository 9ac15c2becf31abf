"""Issue 12, items 1 and 7: a good corpus plus every bad input, built by `contrats build`.

Each bad file gets exactly one `error: PATH: cause` line, the good documents (and the UTF-16 one,
and the one with a 240-byte name) are built, summary.json lists the failures, nothing is left
half-written and no traceback is printed.

Permissions: the tests run as root, which reads a chmod-000 file anyway (CAP_DAC_OVERRIDE). So
as root the build runs under `setpriv --bounding-set=-dac_override,-dac_read_search`: still uid 0,
but without the capabilities that bypass file modes, so reading the chmod-000 file fails in the
kernel with EACCES, not in a simulation. Not as root, chmod 000 suffices.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.robustness.helpers import (
    LONG_NAME,
    UTF16_NAME,
    cli,
    write_bad_inputs,
    write_good_corpus,
)

# Root without the capabilities that bypass file permissions (see the module docstring).
NO_DAC = ("setpriv", "--bounding-set=-dac_override,-dac_read_search")


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory):
    """(corpus folder, data folder, bad cases, good ids, completed process) of one CLI build."""
    top = tmp_path_factory.mktemp("hostile")
    corpus, data = top / "corpus", top / "data"
    good = write_good_corpus(corpus)
    cases = write_bad_inputs(corpus)
    prefix: tuple[str, ...] = ()
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.fail("running as root without setpriv (util-linux): the permission case cannot be made")
        prefix = NO_DAC
    result = cli("build", str(corpus), "--data", str(data), prefix=prefix)
    yield corpus, data, cases, good, result
    (corpus / "unreadable.txt").chmod(0o644)


@pytest.mark.slow
def test_build_reports_each_bad_file_once_and_builds_the_rest(hostile_build) -> None:
    _, data, cases, good, result = hostile_build
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr + result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    for name, word in cases.items():
        lines = [line for line in errors if f"/{name}:" in line]
        assert len(lines) == 1, (name, lines, result.stderr[-2000:])
        assert word.lower() in lines[0].lower(), lines[0]
    assert len(errors) == len(cases), errors

    current = (data / "current").resolve()
    summary = json.loads((current / "summary.json").read_text())
    built = {d["id"] for d in summary["documents"]}
    assert set(good) <= built
    assert Path(UTF16_NAME).stem in built  # UTF-16 is text, not "binary content"
    assert Path(LONG_NAME).stem in built
    assert len(summary["failures"]) == len(cases)
    for name in cases:
        assert sum(f"/{name}:" in f for f in summary["failures"]) == 1
    # Per-document warnings are printed by build (here: no manifest rows).
    assert any(line.startswith("warning: ") and "manifest" in line for line in result.stderr.splitlines())


@pytest.mark.slow
def test_nothing_half_written(hostile_build) -> None:
    _, data, _, _, result = hostile_build
    assert result.returncode == 0
    assert not list((data / "builds").glob(".tmp-*"))
    cache = list((data / "cache").iterdir())
    assert cache and not [p for p in cache if ".tmp" in p.name]
    assert all(len(p.name) <= 64 for p in cache)  # names from a hash, never from the file name
    for folder in cache:
        assert (folder / "done").exists()
    current = (data / "current").resolve()
    for name in ("documents.jsonl", "passages.jsonl", "graph.nt", "summary.json", "index", "store"):
        assert (current / name).exists(), name


@pytest.mark.slow
def test_disk_full_is_one_line_and_keeps_the_previous_build(tmp_path: Path) -> None:
    """A real ENOSPC: the data directory on a tmpfs that a filler file then fills."""
    mount = tmp_path / "small-disk"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=400m", "tmpfs", str(mount)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root); disk full is then not simulated")
    try:
        corpus = tmp_path / "corpus"
        write_good_corpus(corpus)
        data = mount / "data"
        first = cli("build", str(corpus), "--data", str(data))
        assert first.returncode == 0, first.stderr[-2000:]
        before = (data / "current").resolve()
        free = os.statvfs(mount).f_bavail * os.statvfs(mount).f_frsize
        with open(mount / "filler", "wb") as f:  # leave a few kilobytes
            f.truncate(0)
            block = b"\0" * (1 << 20)
            for _ in range(max(0, free // len(block))):
                try:
                    f.write(block)
                    f.flush()
                except OSError:
                    break
        (corpus / "new.txt").write_text("Contrat de ville de Lille.\n\nLa CAF s'engage à aider.\n" * 50,
                                        encoding="utf-8")
        second = cli("build", str(corpus), "--data", str(data))
        assert second.returncode != 0
        assert "Traceback" not in second.stderr, second.stderr[-3000:]
        last = [line for line in second.stderr.splitlines() if line.startswith("error:")][-1]
        assert "No space left on device" in last and "previous build" in last, second.stderr[-2000:]
        assert (data / "current").resolve() == before
        assert (before / "summary.json").exists()
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)
