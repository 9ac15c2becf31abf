"""Atomic file writes (a reader never sees half a file), and the JSON files of a build read back."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any


def write_atomic(path: Path, content: str | bytes) -> None:
    """Write to a temporary file in the same folder, fsync, then rename over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content.encode("utf-8") if isinstance(content, str) else content)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> int:
    with JsonlFile(path) as out:
        for row in rows:
            out.write(row)
    return out.count


class JsonlFile:
    """A JSON-lines file written a line at a time, and renamed into place only when complete."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        # A name of its own in the same folder, as write_atomic's: two writers of one path (threads
        # of one process) never share a temporary file.
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        self._tmp = Path(tmp)
        self._file = os.fdopen(fd, "w", encoding="utf-8")
        self.count = 0

    def write(self, row: dict) -> None:
        self._file.write(json.dumps(row, ensure_ascii=False) + "\n")
        self.count += 1

    def close(self) -> None:
        """Complete: the file takes its place."""
        try:
            self._file.flush()
            os.fsync(self._file.fileno())
        finally:
            self._file.close()
        os.replace(self._tmp, self.path)

    def __enter__(self) -> JsonlFile:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is None:
            self.close()
        else:
            self._file.close()
            self._tmp.unlink(missing_ok=True)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def read_extraction_files(folder: Path) -> dict[str, dict[str, Any]]:
    """Document id -> its saved extraction JSON (BUILD/extractions/*.json). Here rather than in the
    facade so that the views, the review and the understanding of names read a build's files
    without importing the layer above them (kg.facade re-exports it)."""
    return {p.stem: json.loads(p.read_text(encoding="utf-8"))
            for p in sorted((folder / "extractions").glob("*.json"))}
