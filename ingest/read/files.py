"""Opening a source file: only regular files, within the size cap, never blocking.

A FIFO named `x.pdf` made the build wait for ever on `read_bytes()`, and a device or a directory
is no document either. The type is checked by `stat` before anything opens the file, and again
on the open descriptor (opened non-blocking, so even a FIFO swapped in between cannot hang).
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from ingest.errors import IngestError
from ingest.limits import Limits

_KINDS = {stat.S_IFIFO: "a FIFO", stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device",
          stat.S_IFSOCK: "a socket", stat.S_IFDIR: "a directory"}


def kind_of(mode: int) -> str:
    return _KINDS.get(stat.S_IFMT(mode), "not a regular file")


def stat_error(path: str | Path, e: OSError) -> IngestError:
    """The one-line cause for a path that cannot even be looked at."""
    if e.errno == errno.ELOOP:
        return IngestError(str(path), "symbolic link loop, skipped")
    if e.errno == errno.ENOENT:
        if os.path.lexists(path):
            return IngestError(str(path), "broken symbolic link")
        return IngestError(str(path), "no such file or directory")
    if e.errno == errno.ENAMETOOLONG:
        return IngestError(str(path), "file name too long")
    if e.errno in (errno.EACCES, errno.EPERM):
        return IngestError(str(path), "permission denied: this user cannot read it")
    return IngestError(str(path), f"cannot read file ({e.strerror or e})")


def check_regular(path: str | Path) -> os.stat_result:
    """The file's stat; IngestError when it is not a regular file (links followed)."""
    try:
        st = os.stat(path)
    except OSError as e:
        raise stat_error(path, e) from e
    if not stat.S_ISREG(st.st_mode):
        raise IngestError(str(path), f"not a regular file ({kind_of(st.st_mode)}), skipped")
    return st


def read_source(path: str | Path, limits: Limits | None = None, text: bool = False) -> bytes:
    """The bytes of a regular file no larger than the cap for its kind (`text` or PDF)."""
    limits = limits or Limits()
    st = check_regular(path)
    cap = limits.max_bytes(text)
    too_big = IngestError(str(path), f"file too large ({st.st_size / 1048576:.1f} MB; the limit is "
                                     f"{cap / 1048576:g} MB, {'CONTRATS_MAX_TEXT_MB' if text else 'CONTRATS_MAX_FILE_MB'})")
    if st.st_size > cap:
        raise too_big
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as e:
        raise stat_error(path, e) from e
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise IngestError(str(path), f"not a regular file ({kind_of(st.st_mode)}), skipped")
        chunks, size = [], 0
        while chunk := os.read(fd, 1 << 20):
            size += len(chunk)
            if size > cap:  # grew since the stat
                raise too_big
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as e:
        raise stat_error(path, e) from e
    finally:
        os.close(fd)
