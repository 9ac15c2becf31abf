"""Errors raised while reading a document: one clear cause per file.

`one_document` is the one error path of `contrats ingest` and `contrats build`: whatever goes
wrong while one document is read, extracted or written becomes an IngestError naming that
file, so the caller reports one line and goes on with the others.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator


class IngestError(Exception):
    """A file that cannot be ingested. `str()` is the one line shown to the user."""

    def __init__(self, path: str, cause: str) -> None:
        super().__init__(f"{path}: {cause}")
        self.path = path
        self.cause = cause


# The disk, not the document: every later document would fail the same way, so these end the
# build (with the previous build untouched) instead of being charged to one file.
DISK_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS)


def disk_error(e: BaseException) -> str | None:
    """What the disk said, when `e` is the disk's fault, else None. Libraries written in other
    languages (Oxigraph's RocksDB) raise an OSError without errno, whose message carries the
    system's words ("IO error: … No space left on device"): those are the disk's too."""
    if not isinstance(e, OSError):
        return None
    if e.errno in DISK_ERRNOS:
        return e.strerror or os.strerror(e.errno)
    text = str(e)
    return next((os.strerror(n) for n in DISK_ERRNOS if os.strerror(n) in text), None)


def one_line(e: BaseException, limit: int = 300) -> str:
    text = " ".join(str(e).split())
    return (text or type(e).__name__)[:limit]


@contextlib.contextmanager
def one_document(path: str) -> Iterator[None]:
    """Turn any failure inside the block into an IngestError for `path` (disk errors excepted)."""
    try:
        yield
    except IngestError:
        raise
    except OSError as e:
        if disk_error(e):
            raise
        raise IngestError(str(path), f"cannot read or write ({e.strerror or one_line(e)})") from e
    except MemoryError as e:
        raise IngestError(str(path), "out of memory while processing it; skipped") from e
    except RecursionError as e:
        raise IngestError(str(path), "structure nested too deeply to process; skipped") from e
    except Exception as e:
        raise IngestError(str(path), f"unexpected error: {type(e).__name__}: {one_line(e)}") from e
