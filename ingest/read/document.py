"""Reading any supported file into a `Document`: PDFs through PyMuPDF, text exports directly."""

from __future__ import annotations

import hashlib
from pathlib import Path

from ingest.errors import IngestError
from ingest.limits import Limits
from ingest.manifest import guess_meta, slugify
from ingest.model import Document, DocumentMeta
from ingest.read.files import read_source

TEXT_SUFFIXES = {".txt", ".md", ".text"}
PDF_SUFFIXES = {".pdf"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | PDF_SUFFIXES


def unsupported(suffix: str) -> str:
    """The cause reported for a file whose type is not read."""
    return f"unsupported file type {suffix or '(none)'} (expected {', '.join(sorted(SUPPORTED_SUFFIXES))})"


def read_document(path: str | Path, document_id: str | None = None,
                  meta: DocumentMeta | None = None, limits: Limits | None = None) -> Document:
    """Read one file. Raises IngestError with a one-line cause when the file cannot be read,
    is not a regular file, or passes a limit (ingest.limits)."""
    path = Path(path)
    limits = limits or Limits()
    suffix = path.suffix.lower()
    raw = read_source(path, limits, text=suffix in TEXT_SUFFIXES)
    digest = hashlib.sha256(raw).hexdigest()
    warnings: list[str] = []
    if suffix in PDF_SUFFIXES or raw[:5] == b"%PDF-":
        from ingest.read.pdf import read_pdf

        content = read_pdf(path, raw)  # the bytes already read and hashed
        check_page_lengths(path, content.blocks, limits.max_page_chars)
        blocks, fmt = content.blocks, "pdf"
        page_count, ocr_pages = content.page_count, content.ocr_pages
        warnings.extend(content.warnings)
    elif suffix in TEXT_SUFFIXES:
        from ingest.read.text import decode_text, text_to_blocks

        text, decode_warnings = decode_text(path, raw)
        check_line_lengths(path, text, limits.max_page_chars)
        content = text_to_blocks(text, decode_warnings, source=str(path))
        blocks, fmt, page_count, ocr_pages = content.blocks, "text", None, ()
        warnings.extend(content.warnings)
    else:
        raise IngestError(str(path), unsupported(suffix))
    if meta is None:
        meta = guess_meta("\n".join(b.text for b in blocks[:200]), fmt)
        warnings.append(f"{path}: no manifest row; metadata guessed from the text "
                        f"(territory={meta.territory!r}, period={meta.period_start}-{meta.period_end})")
    return Document(
        id=document_id or slugify(path.stem),
        path=str(path),
        sha256=digest,
        source_format=fmt,
        meta=meta,
        blocks=tuple(blocks),
        page_count=page_count,
        ocr_pages=tuple(ocr_pages),
        warnings=tuple(warnings),
    )


def check_page_lengths(path: Path, blocks, max_chars: int) -> None:
    """Refuse a PDF with a page holding more than `max_chars` characters (a real page holds a
    few thousand; a million-character page once asked the encoder for 35 GB)."""
    per_page: dict[int | None, int] = {}
    for b in blocks:
        per_page[b.page] = per_page.get(b.page, 0) + len(b.text)
    page, chars = max(per_page.items(), key=lambda kv: kv[1], default=(None, 0))
    if chars > max_chars:
        raise IngestError(str(path), f"page {page} holds {chars:,} characters; the limit is {max_chars:,} "
                                     "per page (CONTRATS_MAX_PAGE_CHARS)")


def check_line_lengths(path: Path, text: str, max_chars: int) -> None:
    """Refuse a text file with a line longer than `max_chars` (the text exports' page)."""
    lengths = [len(line) for line in text.split("\n")]
    longest = max(lengths, default=0)
    if longest > max_chars:
        raise IngestError(str(path), f"line {lengths.index(longest) + 1} holds {longest:,} characters; the limit "
                                     f"is {max_chars:,} per line (CONTRATS_MAX_PAGE_CHARS)")
