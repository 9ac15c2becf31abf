"""One build at a time per data directory: an OS file lock on `DATA/.build.lock`.

Two builds on one data directory used to delete each other's working folders, and one of them
then published a build holding only its index. The lock is `flock`: the kernel releases it when
the holding process ends, even by SIGKILL, so a killed build never leaves the directory locked.
The holder's pid is written into the file only to be named in the waiting message.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Callable, Iterator
from pathlib import Path

LOCK_NAME = ".build.lock"


class BuildBusy(RuntimeError):
    """Another build holds the data directory (and we were told not to wait)."""


def _holder(fd: int) -> str:
    try:
        return os.pread(fd, 32, 0).decode("ascii", errors="replace").strip() or "?"
    except OSError:
        return "?"


@contextlib.contextmanager
def build_lock(data_dir: Path, wait: bool = True, log: Callable[[str], None] = print) -> Iterator[None]:
    """Hold the data directory's build lock for the block; wait for it (saying so) or, with
    `wait=False`, raise BuildBusy at once."""
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(data_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            if not wait:
                raise BuildBusy(f"another build (pid {holder}) is running in {data_dir}; "
                                "try again when it has finished") from None
            log(f"waiting for another build (pid {holder}) in {data_dir} to finish…")
            fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock
