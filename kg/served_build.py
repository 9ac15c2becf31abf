"""The build a long-running reader (the endpoint, the app) answers from, and its query pool.

It holds the build it opened (kg.build_lease: a rebuild never deletes it underneath) and moves
to the new `current` on the first request after a build is published, or at once on a reload
(SIGHUP for `contrats serve`). The old pool finishes its running queries, then closes and lets
the old build go. Given a bare build folder instead of a data directory, it serves that one.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from kg.build_lease import BuildLease
from kg.query_worker import PoolClosed, QueryAnswer, QueryPool


class BuildUnavailable(RuntimeError):
    pass


def store_source(build_dir: Path, store_kind: str) -> tuple[Path | None, Path | None]:
    """(store folder, graph file) for the query workers. An on-disk store that is missing is
    an error (an incomplete build), never replaced by an empty one."""
    if store_kind == "oxigraph":
        if not (build_dir / "store" / "CURRENT").exists():
            raise BuildUnavailable(f"build {build_dir.name} has no Oxigraph store: run `contrats build` again")
        return build_dir / "store", None
    if not (build_dir / "graph.nt").is_file():
        raise BuildUnavailable(f"build {build_dir.name} has no graph.nt: run `contrats build` again")
    return None, build_dir / "graph.nt"


class ServedBuild:
    def __init__(self, make_pool: Callable[[Path | None, Path | None], QueryPool], store_kind: str,
                 data_dir: Path | None = None, build_dir: Path | None = None, log: Callable[[str], None] = print):
        if (data_dir is None) == (build_dir is None):
            raise ValueError("give a data directory (follow its current build) or one build folder")
        self._make_pool, self.store_kind, self.data_dir, self.log = make_pool, store_kind, data_dir, log
        self._switch = threading.Lock()
        self.build_dir: Path | None = None
        self.pool: QueryPool | None = None
        self._lease: BuildLease | None = None
        self._retiring: list[threading.Thread] = []
        self._open(build_dir if build_dir is not None else self._current())

    def _current(self) -> Path:
        from kg.build import NoBuild, current_build

        try:
            return current_build(self.data_dir)
        except NoBuild as e:
            raise BuildUnavailable(str(e)) from e

    def _open(self, build_dir: Path) -> None:
        lease = BuildLease(build_dir)  # first, so the build cannot be collected while we open it
        try:
            store, graph = store_source(build_dir, self.store_kind)
            pool = self._make_pool(store, graph)
        except BaseException:
            lease.release()
            raise
        old_pool, old_lease = self.pool, self._lease
        self.build_dir, self.pool, self._lease = build_dir, pool, lease
        if old_pool is not None:
            thread = threading.Thread(target=_retire, args=(old_pool, old_lease), daemon=True)
            thread.start()
            self._retiring = [t for t in self._retiring if t.is_alive()] + [thread]

    def refresh(self) -> None:
        """Move to the data directory's current build if it changed (cheap: one readlink)."""
        if self.data_dir is None:
            return
        try:
            target = os.readlink(self.data_dir / "current")
        except OSError:
            return
        if Path(target).name == self.build_dir.name:
            return
        with self._switch:
            try:
                latest = self._current()
            except BuildUnavailable:
                return
            if latest.name == self.build_dir.name:
                return
            try:
                self._open(latest)
                self.log(f"now serving build {latest.name}")
            except Exception as e:  # keep answering from the build we hold
                self.log(f"cannot switch to build {latest.name}: {e}; still serving {self.build_dir.name}")

    def run(self, query: str, fmt: str, wait: float | None = None) -> QueryAnswer:
        self.refresh()
        for _ in range(3):
            pool = self.pool
            try:
                return pool.run(query, fmt, wait)
            except PoolClosed:
                continue  # switched while we asked: the new pool answers
        raise BuildUnavailable("the served build changed three times during one query")

    def wait_retired(self, timeout: float) -> None:
        """Wait until the pools of builds no longer served have closed (and let their builds go)."""
        for thread in list(self._retiring):
            thread.join(timeout)

    def close(self) -> None:
        self.wait_retired(0)
        if self.pool is not None:
            self.pool.close()
        if self._lease is not None:
            self._lease.release()


def _retire(pool: QueryPool, lease: BuildLease | None) -> None:
    """Close a replaced pool once its running queries are done (bounded by its own limits)."""
    deadline = time.monotonic() + pool.timeout + 5
    pool.closed = True  # new requests go to the new pool
    while not pool.idle() and time.monotonic() < deadline:
        time.sleep(0.05)
    pool.close()
    if lease is not None:
        lease.release()
