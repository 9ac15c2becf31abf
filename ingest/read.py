"""Reading any supported file into a `Document`: PDFs through PyMuPDF, text exports directly."""

from __future__ import annotations

import hashlib
from pathlib import Path

from ingest.errors import IngestError
from ingest.manifest import guess_meta, slugify
from ingest.model import Document, DocumentMeta

TEXT_SUFFIXES = {".txt", ".md", ".text"}
PDF_SUFFIXES = {".pdf"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | PDF_SUFFIXES


def unsupported(suffix: str) -> str:
    """The cause reported for a file whose type is not read."""
    return f"unsupported file type {suffix or '(none)'} (expected {', '.join(sorted(SUPPORTED_SUFFIXES))})"


def read_document(path: str | Path, document_id: str | None = None,
                  meta: DocumentMeta | None = None) -> Document:
    """Read one file. Raises IngestError with a one-line cause when the file cannot be read."""
    path = Path(path)
    if not path.is_file():
        raise IngestError(str(path), "not a regular file")
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise IngestError(str(path), f"cannot read file ({e.strerror or e})") from e
    digest = hashlib.sha256(raw).hexdigest()
    suffix = path.suffix.lower()
    warnings: list[str] = []
    if suffix in PDF_SUFFIXES or raw[:5] == b"%PDF-":
        from ingest.read_pdf import read_pdf

        content = read_pdf(path, raw)  # the bytes already read and hashed
        blocks, fmt = content.blocks, "pdf"
        page_count, ocr_pages = content.page_count, content.ocr_pages
        warnings.extend(content.warnings)
    elif suffix in TEXT_SUFFIXES:
        from ingest.read_text import decode_text, text_to_blocks

        text, decode_warnings = decode_text(path, raw)
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
