"""Finding the documents of a corpus and reading each one, file errors reported, never fatal."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ingest.errors import IngestError
from ingest.manifest import MANIFEST_NAMES, load_manifest
from ingest.model import Document, Passage
from ingest.read import SUPPORTED_SUFFIXES, read_document, unsupported
from ingest.segment import segment


@dataclass(frozen=True)
class Ingested:
    document: Document
    passages: tuple[Passage, ...]


def discover(paths: Iterable[str | Path]) -> tuple[list[Path], list[IngestError]]:
    """Files to ingest under `paths`, in a stable order. Symlink loops and dead links are reported."""
    found: list[Path] = []
    errors: list[IngestError] = []
    seen_dirs: set[tuple[int, int]] = set()
    for root in map(Path, paths):
        if root.is_file():
            found.append(root)
            continue
        if not root.exists():
            errors.append(IngestError(str(root), "no such file or directory"))
            continue
        for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
            st = os.stat(dirpath)
            if (st.st_dev, st.st_ino) in seen_dirs:
                errors.append(IngestError(dirpath, "symbolic link loop, skipped"))
                dirnames.clear()
                continue
            seen_dirs.add((st.st_dev, st.st_ino))
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                p = Path(dirpath) / name
                if name.startswith(".") or name in MANIFEST_NAMES or name.lower() == "readme.md":
                    continue
                if not p.exists():
                    errors.append(IngestError(str(p), "broken symbolic link"))
                elif p.suffix.lower() in SUPPORTED_SUFFIXES:
                    found.append(p)
                else:
                    # Said, not skipped silently: a contract saved as .docx would otherwise vanish.
                    errors.append(IngestError(str(p), f"{unsupported(p.suffix)}, skipped"))
    return found, errors


def ingest_file(path: Path) -> Ingested:
    """Read and segment one file, using its manifest row when the folder has one."""
    manifest = load_manifest(path.parent)
    doc_id, meta = manifest.get(path.name, (None, None))
    document = read_document(path, document_id=doc_id, meta=meta)
    return Ingested(document, tuple(segment(document)))


def ingest_paths(paths: Iterable[str | Path]) -> Iterator[Ingested | IngestError]:
    """Each file's result, or its error: one bad file never stops the others."""
    files, errors = discover(paths)
    yield from errors
    for path in files:
        try:
            yield ingest_file(path)
        except IngestError as e:
            yield e
        except Exception as e:
            yield IngestError(str(path), f"unexpected error: {type(e).__name__}: {e}")
