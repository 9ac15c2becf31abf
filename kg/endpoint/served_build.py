"""The build a long-running reader (the endpoint, the app) answers from, and its query pool.

It holds the build it opened (kg.build.lease: a rebuild never deletes it underneath) and moves
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

from kg.build.lease import BuildLease
from kg.config import Settings
from kg.facade import Build, BuildUnavailable, NoBuild
from kg.sparql.query_worker import PoolClosed, QueryAnswer, QueryPool

__all__ = ["BuildUnavailable", "ServedBuild"]


class ServedBuild:
    """`make_pool` opens the query pool of a build (kg.facade.Build.query_pool with the server's
    limits): the store it reads is the build's, as settings.store chooses it."""

    def __init__(self, make_pool: Callable[[Build], QueryPool], settings: Settings,
                 follow: bool = True, build_dir: Path | None = None, log: Callable[[str], None] = print):
        if follow == (build_dir is not None):
            raise ValueError("follow the data directory's current build, or serve one build folder")
        self._make_pool, self.settings, self.log = make_pool, settings, log
        self.data_dir = settings.data_dir if follow else None
        self._switch = threading.Lock()
        self.build_dir: Path | None = None
        self.pool: QueryPool | None = None
        self._lease: BuildLease | None = None
        self._retiring: list[threading.Thread] = []
        self._open(build_dir if build_dir is not None else self._current())

    @property
    def store_kind(self) -> str:
        return self.settings.store

    def _current(self) -> Path:
        try:
            return Build.current(self.settings).folder
        except NoBuild as e:
            raise BuildUnavailable(str(e)) from e

    def _open(self, build_dir: Path) -> None:
        build = Build(build_dir, self.settings)
        lease = build.lease()  # first, so the build cannot be collected while we open it
        try:
            pool = self._make_pool(build)
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

    def run(self, query: str, fmt: str, wait: float | None = None, **limits) -> QueryAnswer:
        """`limits`: this query's own `timeout` and `max_rows` (kg.sparql.query_worker.QueryPool.run)."""
        self.refresh()
        for _ in range(3):
            pool = self.pool
            try:
                return pool.run(query, fmt, wait, **limits)
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
    deadline = time.monotonic() + max(pool.timeout, getattr(pool, "longest_timeout", 0)) + 5
    pool.closed = True  # new requests go to the new pool
    while not pool.idle() and time.monotonic() < deadline:
        time.sleep(0.05)
    pool.close()
    if lease is not None:
        lease.release()
