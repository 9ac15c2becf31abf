"""Reading contract PDFs into blocks with PyMuPDF, scanned pages through Tesseract.

Each page's text comes with fonts and positions (`page.get_text("dict")`); `pdf_layout` cuts it
into line fragments, drops running headers, footers and page numbers, and puts the fragments in
reading order whatever the order of the content stream. This module then rebuilds the document:
lines are joined into paragraphs from their spacing, indent and punctuation (words hyphenated at a
line end are rejoined by `ingest.read.lines.join_wrapped`, which keeps real hyphens), headings are told
by size, weight and numbering, bullets start list items and rows of cells stay table rows.
Footnotes wait until the sentence they interrupt ends on the next page; text set sideways (a
turned table) is read upright after the rest of its page.

A page with no text layer but an image is OCR'd with Tesseract (`fra`) at 300 dpi. When
Tesseract or its French data is missing, or `CONTRATS_TESSERACT=0`, the document is still read
and a warning names the pages left unread and the packages to install.
"""

from __future__ import annotations

import itertools
import re
import shutil
import statistics
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pymupdf

from ingest import environment
from ingest.errors import IngestError
from ingest.model import Block, BlockKind
from ingest.normalise import clean_characters, ocr_damage_score, repair_ocr
from ingest.read.headings import heading_level
from ingest.read.lines import BULLET, is_open, join_wrapped
from ingest.read.pdf_layout import (
    DASH_BULLETS,
    MARK_BULLETS,
    Fragment,
    drop_furniture,
    needs_ocr,
    page_fragments,
    reading_order,
    table_rows,
)
from ingest.read.text import OCR_DAMAGE_THRESHOLD

OCR_PACKAGES = "tesseract-ocr tesseract-ocr-fra"
OCR_DPI = 300
_TEXT_FLAGS = pymupdf.TEXT_PRESERVE_WHITESPACE | pymupdf.TEXT_MEDIABOX_CLIP
_PDF_BULLET = re.compile(rf"^\s*(?:[{re.escape(MARK_BULLETS)}]\s*|[{re.escape(DASH_BULLETS)}]\s+|\d{{1,2}}\)\s*"
                         r"|[a-z]\)\s+)(?=\S)")
# Gaps (in em) that cut a printed line into separate fragments (columns, table cells). Tesseract's
# word boxes are loose, so OCR'd lines are only cut at much wider gaps.
_TEXT_GAP, _OCR_GAP = 1.2, 3.0
_LARGER = 1.15  # a line set this much larger than the body text is a heading candidate

# Words a French sentence never ends on: a line ending on one goes on after a column break.
_DANGLING = frozenset((
    "de", "la", "le", "les", "des", "du", "à", "et", "en", "pour", "par", "sur", "dans", "avec", "un",
    "une", "au", "aux", "que", "qui", "ou", "son", "sa", "ses", "leur", "leurs", "ce", "cette", "ces",
    "notre", "nos", "votre", "vos", "est", "sont",
))


def _starts_lower(text: str) -> bool:
    return text[:1].islower() or text[:1] in "(«\"'"


@dataclass(frozen=True)
class PdfContent:
    blocks: tuple[Block, ...]
    page_count: int
    ocr_pages: tuple[int, ...]
    warnings: tuple[str, ...]


@dataclass
class _Line:
    text: str
    frag: Fragment
    number: int  # 1-based line of the page, in reading order
    bullet: bool


def read_pdf(path: str | Path, raw: bytes | None = None) -> PdfContent:
    """Read a PDF into blocks (page set, 1-based). Raises IngestError for files that are not
    readable PDFs: corrupt, truncated, encrypted, without pages, or not PDFs at all.
    `raw`, when given, is the file's content already read (the file is not read again)."""
    path = Path(path)
    doc = _open(path, raw)
    try:
        return _read(doc, path)
    except (RuntimeError, ValueError, pymupdf.mupdf.FzErrorBase) as e:  # MuPDF errors on a damaged page
        raise IngestError(str(path), f"damaged PDF ({_one_line(e)})") from e
    finally:
        doc.close()


def _one_line(e: Exception) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0][:200]


def _open(path: Path, raw: bytes | None = None) -> pymupdf.Document:
    if raw is None:
        try:
            raw = path.read_bytes()
        except OSError as e:
            raise IngestError(str(path), f"cannot read file ({e.strerror or e})") from e
    if not raw.strip():
        raise IngestError(str(path), "empty file")
    if b"%PDF-" not in raw[:1024]:
        sample = raw[:4096]
        text_like = b"\x00" not in sample and sum(b < 9 or 13 < b < 32 for b in sample) < len(sample) * 0.01
        held = "text" if text_like else "binary data"
        raise IngestError(str(path), f"not a PDF (no %PDF- header; the file holds {held})")
    pymupdf.TOOLS.mupdf_display_errors(False)
    pymupdf.TOOLS.mupdf_display_warnings(False)
    try:
        doc = pymupdf.open(stream=raw, filetype="pdf")
    except Exception as e:
        raise IngestError(str(path), f"corrupt PDF, cannot be parsed ({_one_line(e)})") from e
    try:
        if doc.needs_pass:
            raise IngestError(str(path), "encrypted PDF: a password is required to open it")
        if b"%%EOF" not in raw.rstrip(b"\x00\r\n\t \x1a")[-1024:] and doc.is_repaired:
            raise IngestError(str(path), "truncated PDF: the file ends before its %%EOF marker")
        if doc.page_count == 0:
            cause = "corrupt PDF: no page could be read" if doc.is_repaired else "PDF has no pages"
            raise IngestError(str(path), cause)
    except IngestError:
        doc.close()
        raise
    return doc


# --- OCR -------------------------------------------------------------------------------------


def _tessdata_dir() -> Path | None:
    prefix = environment.text("TESSDATA_PREFIX")
    if prefix:
        return Path(prefix)
    try:
        found = pymupdf.get_tessdata()
    except Exception:
        return None
    return Path(found) if found else None


def ocr_unavailable() -> str | None:
    """Why OCR cannot run here, or None when Tesseract with French data is ready."""
    if not environment.flag("CONTRATS_TESSERACT"):
        return "OCR is disabled (CONTRATS_TESSERACT=0)"
    if shutil.which("tesseract") is None:
        return "Tesseract is not installed"
    tessdata = _tessdata_dir()
    if tessdata is None or not (tessdata / "fra.traineddata").is_file():
        return "Tesseract's French data (fra.traineddata) is not installed"
    return None


def _ocr_fragments(page: pymupdf.Page, number: int) -> list[Fragment]:
    textpage = page.get_textpage_ocr(language="fra", dpi=OCR_DPI, full=True,
                                     tessdata=str(_tessdata_dir()))
    # Tesseract sets each word in its own span, with a size guessed from the word's height and
    # gaps that vary: the line is kept whole unless the gap is very wide, and one size is used.
    frags = page_fragments(page.get_text("dict", flags=_TEXT_FLAGS, textpage=textpage), number, _OCR_GAP)
    if frags:
        size = round(statistics.median(f.size for f in frags))
        for f in frags:
            f.size, f.bold = size, False
    return frags


def _page_text(page: pymupdf.Page, number: int) -> tuple[list[Fragment], list[Fragment], str]:
    """A page's upright fragments, its sideways ones worth reading, and how the text was got:
    "text", "ocr", "unread" (a scan, OCR unavailable) or "OCR failed (...)"."""
    frags = page_fragments(page.get_text("dict", flags=_TEXT_FLAGS), number, _TEXT_GAP)
    side = [f for f in frags if f.sideways]
    if side:
        frags = [f for f in frags if not f.sideways]
        # A turned table or text block is content; a stamp or margin note is not.
        chars = sum(len(f.text) for f in side)
        if chars < max(200, 0.3 * (chars + sum(len(f.text) for f in frags))):
            side = []
    how = "text"
    if not side and needs_ocr(page, frags):
        if ocr_unavailable() is not None:
            how = "unread"
        else:
            try:
                frags, how = _ocr_fragments(page, number), "ocr"
            except RuntimeError as e:
                how = f"OCR failed ({_one_line(e)})"
    return table_rows(page, frags), side, how


def _page_list(numbers: list[int]) -> str:
    return ", ".join(map(str, numbers[:20])) + (f" and {len(numbers) - 20} more" if len(numbers) > 20 else "")


# --- reading ---------------------------------------------------------------------------------


def _read(doc: pymupdf.Document, path: Path) -> PdfContent:
    warnings: list[str] = []
    pages: list[list[Fragment]] = []
    sideways: list[list[Fragment]] = []
    heights: list[float] = []
    ocr_pages: list[int] = []
    unread: list[int] = []
    damaged: list[tuple[int, str]] = []
    for number in range(1, doc.page_count + 1):
        height = 842.0
        try:
            page = doc.load_page(number - 1)
            height = page.rect.height
            frags, side, how = _page_text(page, number)
        except (RuntimeError, ValueError, pymupdf.mupdf.FzErrorBase) as e:
            # One damaged page must not lose the others. FzErrorBase: MuPDF's own limits (a
            # 5000-point scanned page is an "overly large image") are not RuntimeErrors.
            warnings.append(f"{path}: page {number} could not be read ({_one_line(e)})")
            damaged.append((number, _one_line(e)))
            frags, side, how = [], [], "damaged"
        if how == "ocr":
            ocr_pages.append(number)
        elif how == "unread":
            unread.append(number)
        elif how.startswith("OCR failed"):
            warnings.append(f"{path}: {how} on page {number}")
        pages.append(frags)
        sideways.append(side)
        heights.append(height)
    pages, dropped = drop_furniture(pages, heights)
    ocr = set(ocr_pages)
    ordered = [reading_order(frags, gap=_OCR_GAP if frags and frags[0].page in ocr else _TEXT_GAP)
               + reading_order(side) for frags, side in zip(pages, sideways, strict=True)]
    lines = _lines(ordered, ocr)
    blocks = _assemble(lines)
    if unread:
        warnings.append(
            f"{path}: page(s) {_page_list(unread)} have no usable text layer (scanned images) and were "
            f"not OCR'd: {ocr_unavailable()}; install it with `apt-get install {OCR_PACKAGES}`")
    if not blocks:
        cause = "no readable text"
        if damaged:
            cause += (f": page(s) {_page_list([n for n, _ in damaged])} could not be read "
                      f"({damaged[0][1]})")
        if unread:
            cause += (f": page(s) {_page_list(unread)} are scanned images and {ocr_unavailable()}; "
                      f"install it with `apt-get install {OCR_PACKAGES}`")
        raise IngestError(str(path), cause)
    if dropped:
        warnings.append(f"{path}: dropped {dropped} lines of running headers, footers and page numbers")
    return PdfContent(tuple(blocks), doc.page_count, tuple(ocr_pages), tuple(warnings))


def _lines(pages: list[list[Fragment]], ocr_pages: set[int]) -> list[_Line]:
    """Cleaned lines in reading order; OCR text repaired when it shows OCR damage."""
    ocr_text = " ".join(f.text for frags in pages for f in frags if f.page in ocr_pages)
    repair = bool(ocr_text) and ocr_damage_score(ocr_text) > OCR_DAMAGE_THRESHOLD
    out: list[_Line] = []
    for frags in pages:
        for number, frag in enumerate(frags, start=1):
            ocr = frag.page in ocr_pages

            def clean(text: str, ocr: bool = ocr) -> str:
                text = clean_characters(text)
                return repair_ocr(text) if ocr and repair else text

            if frag.cells:
                frag.cells = [clean(c) for c in frag.cells]
                out.append(_Line(" | ".join(frag.cells), frag, number, False))
                continue
            if ocr:  # bullets read by OCR as "e", "o", "=": the text reader's pattern knows them
                cleaned = clean(frag.text)
                m = BULLET.match(cleaned)
                text = cleaned[m.end():].strip() if m else cleaned
            else:
                m = _PDF_BULLET.match(frag.text)
                text = clean(frag.text[m.end():] if m else frag.text)
            if text:
                out.append(_Line(text, frag, number, m is not None))
    return out


class _Flow:
    """Document-wide measures that tell a line break from a paragraph break."""

    def __init__(self, lines: list[_Line]) -> None:
        sizes = Counter()
        for ln in lines:
            sizes[ln.frag.size] += len(ln.text)
        self.body_size = sizes.most_common(1)[0][0] if sizes else 10.0
        ratios = [(b.frag.y1 - a.frag.y1) / b.frag.size for a, b in itertools.pairwise(lines)
                  if a.frag.page == b.frag.page and a.frag.column == b.frag.column
                  and 0.8 * b.frag.size < b.frag.y1 - a.frag.y1 < 3 * b.frag.size]
        self.pitch = statistics.median(ratios) if ratios else 1.2
        self.bounds: dict[tuple[int, int], tuple[float, float]] = {}
        for ln in lines:
            key = (ln.frag.page, ln.frag.column)
            lo, hi = self.bounds.get(key, (ln.frag.x0, ln.frag.x1))
            self.bounds[key] = (min(lo, ln.frag.x0), max(hi, ln.frag.x1))
        # In a document set mostly in bold, bold says nothing about headings.
        bold = sum(len(ln.text) for ln in lines if ln.frag.bold)
        self.bold_marks = bold < 0.5 * sum(len(ln.text) for ln in lines)
        bigger = sorted({ln.frag.size for ln in lines if self.larger(ln.frag)}, reverse=True)
        self.size_rank = {size: min(i + 1, 3) for i, size in enumerate(bigger)}

    def larger(self, frag: Fragment) -> bool:
        return frag.size > _LARGER * self.body_size

    def styled(self, frag: Fragment) -> bool:
        return (frag.bold and self.bold_marks) or self.larger(frag)

    def full_line(self, frag: Fragment) -> bool:
        lo, hi = self.bounds[(frag.page, frag.column)]
        return frag.x1 >= hi - 0.15 * (hi - lo)

    def continues(self, group: list[_Line], ln: _Line) -> bool:
        """Does `ln` go on with the paragraph, list item or heading made of `group`?"""
        first, prev, frag = group[0], group[-1].frag, ln.frag
        styled = self.styled(frag)
        if ln.bullet or styled != self.styled(first.frag) or abs(frag.size - prev.size) > 1:
            return False
        text = group[-1].text  # how the group ends is all that matters
        if styled and heading_level(ln.text.lower()) is not None:
            return False  # the next numbered heading
        step = frag.y1 - prev.y1
        if frag.page == prev.page and frag.column == prev.column and step > 0:
            if step > (self.pitch + 0.4) * frag.size:
                return False  # a blank line's worth of space: a new paragraph
            if first.bullet and frag.x0 <= first.frag.x0 + 1 and not _starts_lower(ln.text):
                return False  # back at the bullet's margin: the item is over
            ended = not is_open(text)
            # An indented first line, or a sentence ending on a short line, starts a paragraph.
            return not (ended and (frag.x0 > prev.x0 + 0.8 * frag.size or not self.full_line(prev)))
        # Column or page break: only an unfinished sentence goes on.
        return not styled and is_open(text) and (
            _starts_lower(ln.text) or text.endswith(("-", ",", "'")) or self.full_line(prev)
            or text.rsplit(None, 1)[-1].lower() in _DANGLING)

    def heading(self, group: list[_Line], text: str) -> int | None:
        """The heading level of a group of lines, or None when it is body text."""
        frag = group[0].frag
        if group[0].bullet:
            return None
        numbered = heading_level(text.lower())  # numbering and structural words only
        if self.styled(frag) and len(group) <= 3:
            if heading_level(text, bold=True) is None:
                return None
            if numbered is not None:
                return numbered
            if self.larger(frag):
                return self.size_rank.get(frag.size, 1)
            return min(len(self.size_rank) + 1, 4)
        if len(group) <= 2:
            return heading_level(text)
        return None


def _assemble(lines: list[_Line]) -> list[Block]:
    flow = _Flow(lines)
    blocks: list[Block] = []
    group: list[_Line] = []

    def flush() -> None:
        if not group:
            return
        text = group[0].text
        for ln in group[1:]:
            text = join_wrapped(text, ln.text)
        first, last = group[0], group[-1]
        end = last.number if last.frag.page == first.frag.page else first.number
        level = flow.heading(group, text)
        kind = BlockKind.LIST_ITEM if first.bullet else BlockKind.PARAGRAPH
        if level is not None:
            kind = BlockKind.HEADING
        blocks.append(Block(text, kind, first.frag.page, first.number, max(end, first.number), level))
        group.clear()

    def add(ln: _Line) -> None:
        if ln.frag.cells:
            flush()
            blocks.append(Block(ln.text, BlockKind.TABLE_ROW, ln.frag.page, ln.number, ln.number))
        elif group and flow.continues(group, ln):
            group.append(ln)
        else:
            flush()
            group.append(ln)

    # Footnotes at the foot of a page wait until the sentence they cut, which goes on over the
    # page, is complete; they follow its paragraph.
    footnotes = _footnotes(lines, flow)
    waiting: list[_Line] = []
    for ln in lines:
        if id(ln) in footnotes and group and id(group[0]) not in footnotes \
                and not flow.styled(group[0].frag) and is_open(group[-1].text):
            waiting.append(ln)
            continue
        if waiting and not (group and flow.continues(group, ln)):
            flush()
            for note in waiting:
                add(note)
            waiting.clear()
        add(ln)
    for note in waiting:
        add(note)
    flush()
    return blocks


def _footnotes(lines: list[_Line], flow: _Flow) -> set[int]:
    """Ids of the lines set small at the end of each page: footnotes."""
    found: set[int] = set()
    for i in range(len(lines) - 1, -1, -1):
        ln = lines[i]
        last_of_page = i + 1 == len(lines) or lines[i + 1].frag.page != ln.frag.page or id(lines[i + 1]) in found
        if last_of_page and ln.frag.size < 0.85 * flow.body_size and not ln.frag.cells:
            found.add(id(ln))
    return found
