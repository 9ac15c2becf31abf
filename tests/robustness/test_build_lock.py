"""Issue 12, item 3: one build at a time per data directory, a build published only when all
its artefacts open, readers never create a store; and the cache pruned (item 7)."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.robustness.helpers import FAST_MODEL, ROOT, cli, write_good_corpus


def _lock_is_held(data: Path) -> bool:
    try:
        fd = os.open(data / ".build.lock", os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def _start_build(corpus: Path, data: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "kg.cli", "build", str(corpus), "--data", str(data), *extra],
                            cwd=ROOT, env={**os.environ, "CONTRATS_MODEL": FAST_MODEL},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_lock(data: Path, proc: subprocess.Popen) -> None:
    for _ in range(1200):  # bounded: 120 s
        if _lock_is_held(data) or proc.poll() is not None:
            return
        time.sleep(0.1)


@pytest.mark.slow
def test_two_concurrent_builds_take_turns(tmp_path: Path) -> None:
    corpus, data = tmp_path / "corpus", tmp_path / "data"
    write_good_corpus(corpus)
    first = _start_build(corpus, data)
    _wait_for_lock(data, first)
    assert first.poll() is None, "the first build ended before the test could overlap it"
    refused = cli("build", str(corpus), "--data", str(data), "--no-wait")
    second = _start_build(corpus, data)
    _, err1 = first.communicate(timeout=600)
    _, err2 = second.communicate(timeout=600)

    assert refused.returncode == 1
    assert "another build" in refused.stderr and "Traceback" not in refused.stderr
    assert first.returncode == 0, err1[-2000:]
    assert second.returncode == 0, err2[-2000:]
    assert "waiting for another build" in err2
    builds = sorted(p for p in (data / "builds").iterdir())
    assert not [p for p in builds if p.name.startswith(".tmp")]
    assert len(builds) == 2
    for folder in builds:  # both complete: nothing deleted under the other
        summary = json.loads((folder / "summary.json").read_text())
        assert len(summary["documents"]) == 2
        assert (folder / "store" / "CURRENT").exists() and (folder / "index").is_dir()
    count = cli("sparql", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "--format", "csv", "--data", str(data))
    assert count.returncode == 0 and int(count.stdout.split()[1]) > 0


def _copy_build(small_build, tmp_path: Path, drop: str | None = None) -> Path:
    """A data directory holding a copy of the small build, without `drop`."""
    source = (small_build.data_dir / "current").resolve()
    data = tmp_path / "data"
    target = data / "builds" / source.name
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(drop) if drop else None)
    (data / "current").symlink_to(Path("builds") / source.name)
    return target


def test_a_reader_never_creates_a_missing_store(small_build, tmp_path: Path) -> None:
    build_dir = _copy_build(small_build, tmp_path, drop="store")
    result = cli("sparql", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "--data", str(tmp_path / "data"))
    assert result.returncode == 1
    assert "no Oxigraph store" in result.stderr and "Traceback" not in result.stderr
    assert not (build_dir / "store").exists()  # not created empty in its place


def test_publish_check_refuses_an_incomplete_build(small_build, tmp_path: Path) -> None:
    from kg.build.publish import IncompleteBuild, verify_build

    complete = _copy_build(small_build, tmp_path / "a")
    verify_build(complete, "oxigraph", small_build.model)
    for missing, words in (("index", "index"), ("store", "store"), ("graph.nt", "graph.nt")):
        folder = _copy_build(small_build, tmp_path / missing, drop=missing)
        with pytest.raises(IncompleteBuild, match=words):
            verify_build(folder, "oxigraph", small_build.model)


def test_publish_check_reads_the_index_through(small_build, tmp_path: Path) -> None:
    """The check streams the index instead of loading it, and still refuses what loading it would."""
    from kg.build.publish import IncompleteBuild, verify_build
    from kg.search.index import SearchIndex

    complete = _copy_build(small_build, tmp_path / "a")
    assert SearchIndex.verify(complete / "index") == len(SearchIndex.load(complete / "index").records)
    changed = _copy_build(small_build, tmp_path / "changed")
    records = changed / "index" / "records.jsonl"
    records.write_text(records.read_text(encoding="utf-8").replace('"text": "', '"text": "x', 1), encoding="utf-8")
    truncated = _copy_build(small_build, tmp_path / "truncated")
    dense = truncated / "index" / "dense.faiss"
    dense.write_bytes(dense.read_bytes()[:100])
    unlexed = _copy_build(small_build, tmp_path / "unlexed")
    shutil.rmtree(unlexed / "index" / "lexical")
    for folder in (changed, truncated, unlexed):
        with pytest.raises(IncompleteBuild, match="search index"):
            verify_build(folder, "oxigraph", small_build.model)
    with pytest.raises(IncompleteBuild, match="search index"):
        verify_build(complete, "oxigraph", "another-model")


def test_cache_pruning_keeps_what_is_used_and_recent(tmp_path: Path) -> None:
    from kg.build.pipeline import prune_cache

    cache = tmp_path / "cache"
    used, recent, old, tmp = (cache / n for n in ("used", "recent", "old", "abc.tmp123"))
    for folder in (used, recent, old, tmp):
        folder.mkdir(parents=True)
    month_ago = time.time() - 40 * 86400
    os.utime(old, (month_ago, month_ago))
    os.utime(used, (month_ago, month_ago))
    prune_cache(cache, used={used})
    assert sorted(p.name for p in cache.iterdir()) == ["recent", "used"]
