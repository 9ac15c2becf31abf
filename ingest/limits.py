"""Limits on what one source document may cost, with the environment variables that change them.

A contract is a few megabytes and a page a few thousand characters; a file far past these is a
mistake or an attack, and letting it through cost tens of gigabytes further down (the encoder
pads a batch to its longest passage). So each limit refuses the document with one clear line
rather than truncating it silently.

| limit                  | variable                   | default  |
|------------------------|----------------------------|----------|
| file size (PDF)        | CONTRATS_MAX_FILE_MB       | 200 MB   |
| file size (text)       | CONTRATS_MAX_TEXT_MB       | 20 MB    |
| characters on one PDF page, or on one line of a text file | CONTRATS_MAX_PAGE_CHARS | 200,000 |
| time for one document (read, extract, graph) | CONTRATS_DOCUMENT_SECONDS | 900 s |
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from ingest import environment
from ingest.errors import IngestError


def _number(name: str, default: float) -> float:
    return environment.number(name, default)


@dataclass(frozen=True)
class Limits:
    max_file_mb: float = field(default_factory=lambda: _number("CONTRATS_MAX_FILE_MB", 200))
    max_text_mb: float = field(default_factory=lambda: _number("CONTRATS_MAX_TEXT_MB", 20))
    max_page_chars: int = field(default_factory=lambda: int(_number("CONTRATS_MAX_PAGE_CHARS", 200_000)))
    document_seconds: float = field(default_factory=lambda: _number("CONTRATS_DOCUMENT_SECONDS", 900))

    def max_bytes(self, text: bool) -> int:
        return int((self.max_text_mb if text else self.max_file_mb) * 1024 * 1024)


class DocumentTimeout(IngestError):
    pass


@contextlib.contextmanager
def time_budget(path: str, seconds: float) -> Iterator[None]:
    """Raise DocumentTimeout in the block after `seconds` (main thread only: signals are
    delivered there). The exception fires at the next Python instruction, so a long call into
    C code (MuPDF, Tesseract) ends first; the caps on size and characters bound those."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def expired(signum, frame):
        raise DocumentTimeout(path, f"took longer than {seconds:g} s to read and extract "
                                    "(limit CONTRATS_DOCUMENT_SECONDS); skipped")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
