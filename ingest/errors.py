"""Errors raised while reading a document: one clear cause per file."""

from __future__ import annotations


class IngestError(Exception):
    """A file that cannot be ingested. `str()` is the one line shown to the user."""

    def __init__(self, path: str, cause: str) -> None:
        super().__init__(f"{path}: {cause}")
        self.path = path
        self.cause = cause
