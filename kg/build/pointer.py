"""Which build of a data directory is current: the `current` symlink a build swaps in last.

Its own small module so that the readers (kg.facade) find the current build without importing
the builder and its whole pipeline.
"""

from __future__ import annotations

from pathlib import Path


class NoBuild(FileNotFoundError):
    """No finished build in the data directory."""


def current_build(data_dir: Path) -> Path:
    """The folder of the last good build, or a NoBuild error that says how to make one."""
    link = data_dir / "current"
    if not link.exists():
        raise NoBuild(f"no build in {data_dir}: run `contrats build corpus --data {data_dir}`")
    return link.resolve()
