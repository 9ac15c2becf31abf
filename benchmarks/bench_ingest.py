"""Pages per second of the PDF reader against plain `page.get_text()`, and of OCR.

Generates a two-column text PDF from the corpus (written row by row across the columns, with a
running header and page numbers, like the reader's tests) and a few image-only pages, then times:
our `read_pdf`, `contrats ingest` end to end (process start, reading, segmentation, JSONL), and
plain PyMuPDF `page.get_text()` on the same file; the same on pages with a ruled table each
(the table finder runs); for scans, `read_pdf` (OCR at 300 dpi + layout)
against PyMuPDF's OCR text page alone.

    .venv/bin/python benchmarks/bench_ingest.py --pages 200 --table-pages 50 --ocr-pages 3
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pymupdf  # noqa: E402

from ingest.read.pdf import OCR_DPI, _tessdata_dir, ocr_unavailable, read_pdf  # noqa: E402
from tests.test_read_pdf import corpus_paragraphs, scanned_pdf, two_column_pdf  # noqa: E402

CORPUS_FILES = ("maubeuge-val-de-sambre_2024_contrat-de-ville.txt", "arras_2024_contrat-de-ville.txt")


def paragraphs_for(words: int) -> list[str]:
    """Corpus paragraphs, cycled until about `words` words."""
    pool = [p for name in CORPUS_FILES for p in corpus_paragraphs(name, 10**7)]
    out, total, i = [], 0, 0
    while total < words:
        out.append(pool[i % len(pool)])
        total += len(pool[i % len(pool)].split())
        i += 1
    return out


def ruled_table_pdf(path: Path, pages: int) -> None:
    """Single-column pages, each with a paragraph and a ruled 3 x 6 table (find_tables runs)."""
    from tests.test_read_pdf import BODY, FONT, Column

    paragraph = paragraphs_for(200)[0]
    doc = pymupdf.open()
    for n in range(pages):
        page = doc.new_page(width=595, height=842)
        writer = pymupdf.TextWriter(page.rect)
        col = Column(width=480)
        col.add_paragraph(paragraph)
        y = 80.0
        for line in col.lines:
            writer.append((50, y), line, font=FONT, fontsize=BODY)
            y += 12.5
        y += 20
        for r in range(6):
            for c, cell in enumerate((f"Indicateur {n}.{r}", f"{10 * r + n % 7} %", f"cible {2024 + r}")):
                writer.append((55 + 160 * c, y), cell, font=FONT, fontsize=BODY)
                page.draw_rect(pymupdf.Rect(50 + 160 * c, y - 13, 210 + 160 * c, y + 5), color=(0, 0, 0))
            y += 18
        writer.write_text(page)
    doc.save(path)


def best_of(runs: int, fn) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def plain_text(path: Path) -> None:
    with pymupdf.open(path) as doc:
        for page in doc:
            page.get_text()


def plain_ocr(path: Path) -> None:
    with pymupdf.open(path) as doc:
        for page in doc:
            tp = page.get_textpage_ocr(language="fra", dpi=OCR_DPI, full=True, tessdata=str(_tessdata_dir()))
            page.get_text(textpage=tp)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200, help="pages of the two-column text PDF")
    parser.add_argument("--table-pages", type=int, default=50, help="pages of the ruled-table PDF")
    parser.add_argument("--ocr-pages", type=int, default=3, help="image-only pages to OCR (0: skip)")
    parser.add_argument("--runs", type=int, default=3, help="runs per text measurement (best kept)")
    args = parser.parse_args()
    rows: list[tuple[str, str, int, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "pdfs"
        folder.mkdir()
        text_pdf = folder / "two_columns.pdf"
        # ~ 930 words a page (2 columns x 58 lines x ~8 words).
        two_column_pdf(text_pdf, paragraphs_for(args.pages * 930))
        with pymupdf.open(text_pdf) as doc:
            pages = doc.page_count
        if pages > args.pages:  # trim to the exact page count asked for
            with pymupdf.open(text_pdf) as doc:
                doc.select(range(args.pages))
                doc.save(Path(tmp) / "trimmed.pdf")
            os.replace(Path(tmp) / "trimmed.pdf", text_pdf)
            pages = args.pages
        t_read = best_of(args.runs, lambda: read_pdf(text_pdf))
        t_plain = best_of(args.runs, lambda: plain_text(text_pdf))
        cli = Path(sys.executable).parent / "contrats"
        t_cli = best_of(args.runs, lambda: subprocess.run(
            [str(cli), "ingest", str(folder), "--out", str(Path(tmp) / "out")],
            check=True, capture_output=True))
        rows += [("two-column text PDF", "read_pdf (layout, furniture, paragraphs)", pages, t_read),
                 ("two-column text PDF", "`contrats ingest` (whole command)", pages, t_cli),
                 ("two-column text PDF", "plain `page.get_text()`", pages, t_plain)]
        tables_pdf = Path(tmp) / "ruled_tables.pdf"
        ruled_table_pdf(tables_pdf, args.table_pages)
        rows += [("ruled-table PDF", "read_pdf (find_tables on each page)", args.table_pages,
                  best_of(args.runs, lambda: read_pdf(tables_pdf))),
                 ("ruled-table PDF", "plain `page.get_text()`", args.table_pages,
                  best_of(args.runs, lambda: plain_text(tables_pdf)))]
        if args.ocr_pages:
            reason = ocr_unavailable()
            if reason:
                print(f"OCR skipped: {reason}", file=sys.stderr)
            else:
                scan = Path(tmp) / "scan.pdf"
                scanned_pdf(scan, paragraphs_for(args.ocr_pages * 500), args.ocr_pages)
                t_ocr = best_of(1, lambda: read_pdf(scan))
                t_ocr_plain = best_of(1, lambda: plain_ocr(scan))
                rows += [("image-only pages", f"read_pdf (Tesseract fra, {OCR_DPI} dpi)", args.ocr_pages, t_ocr),
                         ("image-only pages", f"plain `get_textpage_ocr` ({OCR_DPI} dpi)", args.ocr_pages,
                          t_ocr_plain)]
    print(f"Python {platform.python_version()}, PyMuPDF {pymupdf.VersionBind}, {os.cpu_count()} CPUs, "
          f"OMP_THREAD_LIMIT={os.environ.get('OMP_THREAD_LIMIT', 'unset')}")
    print("| input | reader | pages | seconds | pages/s | s/page |")
    print("|---|---|---|---|---|---|")
    for what, reader, n, seconds in rows:
        print(f"| {what} | {reader} | {n} | {seconds:.2f} | {n / seconds:.2f} | {seconds / n:.3f} |")


if __name__ == "__main__":
    main()
