"""Finding the documents of a corpus and reading each one, file errors reported, never fatal."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ingest.errors import IngestError, one_document
from ingest.limits import Limits, time_budget
from ingest.manifest import MANIFEST_NAMES, load_manifest
from ingest.model import Document, DocumentMeta, Passage
from ingest.read.document import SUPPORTED_SUFFIXES, read_document, unsupported
from ingest.read.files import kind_of, stat_error
from ingest.segment import segment


@dataclass(frozen=True)
class Ingested:
    document: Document
    passages: tuple[Passage, ...]


def discover(paths: Iterable[str | Path]) -> tuple[list[Path], list[IngestError]]:
    """Regular files to ingest under `paths`, in a stable order. Symlink loops, dead links,
    FIFOs, devices and unsupported types are reported, one error each, never opened."""
    found: list[Path] = []
    errors: list[IngestError] = []
    seen_dirs: set[tuple[int, int]] = set()
    for root in map(Path, paths):
        try:
            st = os.stat(root)
        except OSError as e:
            errors.append(stat_error(root, e))
            continue
        if stat.S_ISREG(st.st_mode):
            found.append(root)
            continue
        if not stat.S_ISDIR(st.st_mode):
            errors.append(IngestError(str(root), f"not a regular file ({kind_of(st.st_mode)}), skipped"))
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
                try:
                    st = os.stat(p)
                except OSError as e:
                    errors.append(stat_error(p, e))
                    continue
                if p.suffix.lower() not in SUPPORTED_SUFFIXES:
                    # Said, not skipped silently: a contract saved as .docx would otherwise vanish.
                    errors.append(IngestError(str(p), f"{unsupported(p.suffix)}, skipped"))
                elif not stat.S_ISREG(st.st_mode):
                    errors.append(IngestError(str(p), f"not a regular file ({kind_of(st.st_mode)}), skipped"))
                else:
                    found.append(p)
    return found, errors


def manifest_row(path: Path) -> tuple[str | None, DocumentMeta | None]:
    """The file's (document id, metadata) from its folder's manifest, or (None, None)."""
    return load_manifest(path.parent).get(path.name, (None, None))


def ingest_file(path: Path, limits: Limits | None = None) -> Ingested:
    """Read and segment one file, using its manifest row when the folder has one."""
    doc_id, meta = manifest_row(path)
    document = read_document(path, document_id=doc_id, meta=meta, limits=limits)
    return Ingested(document, tuple(segment(document)))


def ingest_paths(paths: Iterable[str | Path]) -> Iterator[Ingested | IngestError]:
    """Each file's result, or its error: one bad file never stops the others."""
    files, errors = discover(paths)
    yield from errors
    limits = Limits()
    for path in files:
        try:
            # The same error path as `contrats build` (ingest.errors.one_document).
            with one_document(str(path)), time_budget(str(path), limits.document_seconds):
                ingested = ingest_file(path, limits)
        except IngestError as e:
            yield e
        else:
            yield ingested
