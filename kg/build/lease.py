"""A build in use is not deleted: readers hold a shared lock on the build's `.in-use` file.

`contrats serve` (and the app, and `contrats sparql`) keep the build they opened until they
switch to the new `current`; meanwhile the builder, which keeps only the last few builds, must
not delete it under them (a server once answered 500 to every query after two rebuilds). A
reader takes a shared `flock` on `BUILD/.in-use`; the collector deletes an old build only when
it can take the exclusive lock. The kernel drops a lock when its process ends, so a crashed
server never pins a build for ever.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from pathlib import Path

LEASE_NAME = ".in-use"


def create_lease_file(build_dir: Path) -> None:
    """Made by the builder before publishing, so readers only ever open it read-only."""
    (build_dir / LEASE_NAME).touch()


class BuildLease:
    """A shared hold on one build folder, released by `release()` (or when the process ends)."""

    def __init__(self, build_dir: Path) -> None:
        self.build_dir = build_dir
        self._fd: int | None = None
        try:
            fd = os.open(build_dir / LEASE_NAME, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except OSError:
            return  # a build made before leases, or a folder we cannot open: nothing to hold
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)  # being deleted right now: the caller finds the folder gone
            return
        self._fd = fd

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.release()


def delete_unless_in_use(build_dir: Path) -> bool:
    """Delete an old build unless a reader holds it; True when it was deleted."""
    try:
        fd = os.open(build_dir / LEASE_NAME, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        shutil.rmtree(build_dir, ignore_errors=True)
        return True
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        shutil.rmtree(build_dir, ignore_errors=True)  # under the exclusive lock: no reader can start
        return True
    finally:
        os.close(fd)
