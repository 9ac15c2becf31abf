"""The PDF reader on PDFs made with PyMuPDF from corpus text: single column, two columns written
row by row across the columns (the content stream interleaves them) with a running header, page
numbers and hyphenated line ends, tables, scanned pages for OCR, and every kind of bad file."""

from __future__ import annotations

import bisect
import html
import json
import random
import re
import subprocess
import sys
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pymupdf
import pytest

from ingest.corpus import Ingested, ingest_paths
from ingest.errors import IngestError
from ingest.model import BlockKind
from ingest.normalise import clean_characters, strip_markup
from ingest.read.pdf import OCR_PACKAGES, ocr_unavailable, read_pdf

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
HEADER = "Contrat de ville 2024-2030 - Communauté urbaine"
BODY, LEADING = 10.0, 12.5
FONT, BOLD = pymupdf.Font("helv"), pymupdf.Font("hebo")


def corpus_paragraphs(name: str, words: int) -> list[str]:
    """Long paragraphs of a corpus file, about `words` words in all."""
    out, total = [], 0
    for line in (CORPUS / name).read_text(encoding="utf-8").splitlines():
        text = clean_characters(strip_markup(line))
        # Dashes inside a paragraph would start list items when a line break falls before them.
        if len(text.split()) >= 30 and "\t" not in line and not re.search(r"(^|\s)[-–—•]\s", text):
            out.append(text)
            total += len(text.split())
            if total >= words:
                break
    return out


@dataclass
class Column:
    """Lines set in a column of `width` points; words cut at line ends are remembered."""

    width: float
    lines: list[str] = field(default_factory=list)
    cut_words: list[str] = field(default_factory=list)

    def add_paragraph(self, text: str) -> None:
        line, used = "", 0.0  # glyph advances add up: a line's width is the sum of its words'
        space = _width(" ")
        for word in text.split():
            if used + space * bool(line) + _width(word) <= self.width:
                line, used = f"{line} {word}".strip(), used + space * bool(line) + _width(word)
                continue
            head, tail = self._hyphenate(used + space * bool(line), word)
            if head:
                self.lines.append(f"{line} {head}".strip())
                self.cut_words.append(word)
                line = tail
            else:
                self.lines.append(line)
                line = word
            used = _width(line)
        self.lines.append(line)
        self.lines.append("")  # blank line between paragraphs

    def _hyphenate(self, used: float, word: str) -> tuple[str, str]:
        """Cut a plain lowercase word at the last place that fits, as a typesetter would."""
        if not re.fullmatch(r"[a-zà-ÿœ]{8,}", word):
            return "", word
        for cut in range(len(word) - 3, 2, -1):
            if used + _width(f"{word[:cut]}-") <= self.width:
                return word[:cut] + "-", word[cut:]
        return "", word


@lru_cache(maxsize=65536)
def _width(text: str) -> float:
    return FONT.text_length(text, fontsize=BODY)


def write_pdf(path: Path, pages: list[list[tuple[float, float, str, pymupdf.Font, float]]]) -> None:
    """Each page is a list of (x, y, text, font, size), written in the order given."""
    doc = pymupdf.open()
    for items in pages:
        page = doc.new_page(width=595, height=842)
        writer = pymupdf.TextWriter(page.rect)
        for x, y, text, font, size in items:
            if text:
                writer.append((x, y), text, font=font, fontsize=size)
        writer.write_text(page)
    doc.save(path)
    doc.close()


def two_column_pdf(path: Path, paragraphs: list[str], rows: int = 58) -> tuple[list[str], Column]:
    """Two columns written row by row across both columns, with a running header and page
    numbers. Returns the source text of each page (column 1 then column 2) and the column."""
    col = Column(width=235)
    for p in paragraphs:
        col.add_paragraph(p)
    lines = col.lines
    pages, page_texts = [], []
    per_page = 2 * rows
    count = (len(lines) + per_page - 1) // per_page
    for n in range(count):
        chunk = lines[n * per_page:(n + 1) * per_page]
        left, right = chunk[:rows], chunk[rows:]
        items = [(50.0, 40.0, HEADER, FONT, 8.0)]
        for i in range(rows):  # row by row ACROSS the columns
            y = 90 + i * LEADING
            if i < len(left):
                items.append((50.0, y, left[i], FONT, BODY))
            if i < len(right):
                items.append((310.0, y, right[i], FONT, BODY))
        items.append((290.0, 815.0, f"- {n + 1} -", FONT, 8.0))
        pages.append(items)
        page_texts.append(" ".join(chunk))
    write_pdf(path, pages)
    return page_texts, col


def words_of(text: str) -> list[str]:
    return text.split()


def runs_in_order(source: list[str], found: list[str], n: int = 8) -> float:
    """Share of the source's n-word runs found in the extracted words, in the source's order.

    Order is judged on the runs that occur once in the extracted text: the longest subsequence
    of them whose positions increase is in order, the rest are out of place. Runs occurring
    several times (repeated phrases) count as found.
    """
    text = " " + " ".join(found) + " "
    positions: list[int] = []
    repeated = 0
    runs = [" " + " ".join(source[i:i + n]) + " " for i in range(0, len(source) - n + 1)]
    for run in runs:
        at = text.find(run)
        if at < 0:
            continue
        if text.find(run, at + 1) >= 0:
            repeated += 1
        else:
            positions.append(at)
    return (_longest_increasing(positions) + repeated) / max(len(runs), 1)


def _longest_increasing(values: list[int]) -> int:
    tails: list[int] = []
    for v in values:
        i = bisect.bisect_left(tails, v)
        tails[i:i + 1] = [v]
    return len(tails)


def dehyphenated(page_texts: list[str]) -> list[str]:
    """The source words as a reader should give them back (line-end hyphens rejoined)."""
    return re.sub(r"(\w)- (?=\w)", r"\1", " ".join(page_texts)).split()


# --- text PDFs -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def two_columns(tmp_path_factory) -> tuple[Path, list[str], Column]:
    path = tmp_path_factory.mktemp("pdf") / "two_columns.pdf"
    page_texts, col = two_column_pdf(path, corpus_paragraphs("arras_2024_contrat-de-ville.txt", 4000))
    return path, page_texts, col


def test_two_columns_read_in_order(two_columns):
    path, page_texts, _ = two_columns
    content = read_pdf(path)
    assert content.page_count == len(page_texts) >= 4
    found = words_of(" ".join(b.text for b in content.blocks))
    assert runs_in_order(dehyphenated(page_texts), found) >= 0.98


def test_two_columns_never_interleave(two_columns):
    path, _, col = two_columns
    content = read_pdf(path)
    text = " ".join(b.text for b in content.blocks)
    rows = 58
    # The end of a left-column line followed by the start of the right-column line on the same
    # row is what an interleaving reader would produce.
    mixed = 0
    for start in range(0, len(col.lines), 2 * rows):
        for i in range(rows):
            left, right = start + i, start + rows + i
            if right < len(col.lines) and col.lines[left] and col.lines[right]:
                seam = " ".join(col.lines[left].split()[-3:] + col.lines[right].split()[:3])
                mixed += seam in text
    assert mixed == 0


def test_running_header_and_page_numbers_removed(two_columns):
    path, _, _ = two_columns
    content = read_pdf(path)
    assert not [b for b in content.blocks if HEADER in b.text]
    assert not [b for b in content.blocks if re.fullmatch(r"[-–\s\d]+", b.text)]
    assert any("running headers" in w for w in content.warnings)


def test_hyphenated_line_ends_rejoined(two_columns):
    path, _, col = two_columns
    text = " ".join(b.text for b in read_pdf(path).blocks)
    assert len(col.cut_words) >= 20
    rejoined = sum(re.search(rf"\b{re.escape(w)}\b", text) is not None for w in col.cut_words)
    assert rejoined / len(col.cut_words) >= 0.98
    assert not re.search(r"[a-zé]- [a-zé]", text)


def test_pages_are_right(two_columns):
    path, page_texts, _ = two_columns
    content = read_pdf(path)
    pages_src = [" ".join(dehyphenated([t])) for t in page_texts]
    checked = 0
    for block in content.blocks:
        head = " ".join(block.text.split()[:6])
        if len(block.text.split()) >= 6 and sum(head in t for t in pages_src) == 1:
            assert head in pages_src[block.page - 1], (block.page, head)
            checked += 1
    assert checked >= 20


def test_full_width_lines_break_the_column_flow(tmp_path):
    """A title and an introduction across the page, two columns, a full-width heading, two
    columns again: each column section is read left column first, the full-width lines where
    they stand."""
    paragraphs = corpus_paragraphs("arras_2024_contrat-de-ville.txt", 2500)
    intro, first, second = Column(width=495), Column(width=235), Column(width=235)
    intro.add_paragraph(paragraphs[0])
    for p in paragraphs[1:]:
        (first if len(first.lines) < 40 else second).add_paragraph(p)
        if len(second.lines) >= 40:
            break
    title = "Orientation 1 : Favoriser l'emploi et le développement économique"
    middle = "Objectif stratégique 1.1 : Lever les freins périphériques à l'emploi"
    items: list[tuple[float, float, str, pymupdf.Font, float]] = [(50.0, 60.0, title, BOLD, 15.0)]
    y = 90.0
    for line in intro.lines:
        items.append((50.0, y, line, FONT, BODY))
        y += LEADING
    expected = [title, *intro.lines]
    for section, heading in ((first, middle), (second, None)):
        half = (len(section.lines[:40]) + 1) // 2
        left, right = section.lines[:half], section.lines[half:40]
        for i in range(half):  # row by row across the columns
            items.append((50.0, y + i * LEADING, left[i], FONT, BODY))
            if i < len(right):
                items.append((310.0, y + i * LEADING, right[i], FONT, BODY))
        y += half * LEADING + 14
        expected += left + right
        if heading:
            items.append((50.0, y, heading, BOLD, 12.0))
            expected.append(heading)
            y += 24
    write_pdf(tmp_path / "mixed.pdf", [items])
    blocks = read_pdf(tmp_path / "mixed.pdf").blocks
    assert runs_in_order(dehyphenated(expected), words_of(" ".join(b.text for b in blocks))) >= 0.98
    headings = [b.text for b in blocks if b.kind == BlockKind.HEADING]
    assert headings == [title, middle]


def test_typeset_document_with_justified_columns(tmp_path):
    """A document typeset by MuPDF's HTML engine: justified text in two columns (words placed
    one by one, gaps varying), headings, a bulleted list and a ruled table, with a running
    header and page numbers added to each page."""
    paragraphs = corpus_paragraphs("maubeuge-val-de-sambre_2024_contrat-de-ville.txt", 2500)
    items = ["Renforcer l'accès aux droits et aux services publics", "Soutenir l'emploi des jeunes des quartiers"]
    table = [("Quartier", "Commune", "Habitants"), ("Sous-le-Bois", "Maubeuge", "4 100"),
             ("Provinces", "Feignies", "1 500")]
    body, expected = [], []
    for n, p in enumerate(paragraphs, start=1):
        if n % 4 == 1:
            title = f"Orientation {n // 4 + 1} : agir pour les habitants"
            body.append(f"<h2>{title}</h2>")
            expected.append(title)
        body.append(f"<p>{html.escape(p)}</p>")
        expected.append(p)
        if n == 3:
            body.append("<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>")
            expected += items
            body.append("<table border='1'>" + "".join(
                "<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in table) + "</table>")
            expected += [" ".join(row) for row in table]
    story = pymupdf.Story(html="".join(body), user_css="body {font-family: sans-serif; font-size: 10pt;} "
                                                      "p {text-align: justify;} td {padding: 1px 10px; font-size: 9pt;}")
    columns = [pymupdf.Rect(50, 70, 285, 780), pymupdf.Rect(310, 70, 545, 780)]
    writer = pymupdf.DocumentWriter(str(tmp_path / "story.pdf"))
    story.write(writer, lambda n, _: (pymupdf.Rect(0, 0, 595, 842) if n % 2 == 0 else None, columns[n % 2], None))
    writer.close()
    doc = pymupdf.open(tmp_path / "story.pdf")
    for page in doc:
        page.insert_text((50, 40), HEADER, fontsize=8)
        page.insert_text((290, 815), f"{page.number + 1}", fontsize=8)
    doc.save(tmp_path / "typeset.pdf")
    blocks = read_pdf(tmp_path / "typeset.pdf").blocks
    assert len({b.page for b in blocks}) >= 2
    text = " ".join(b.text if b.kind != BlockKind.TABLE_ROW else b.text.replace(" | ", " ") for b in blocks)
    assert runs_in_order(" ".join(expected).split(), text.split()) >= 0.98
    assert [b.text for b in blocks if b.kind == BlockKind.TABLE_ROW] == [" | ".join(r) for r in table]
    assert [b.text for b in blocks if b.kind == BlockKind.LIST_ITEM] == items
    assert [b.text for b in blocks if b.kind == BlockKind.HEADING] == [e for e in expected if e.startswith("Orientation")]
    assert not [b for b in blocks if HEADER in b.text or b.text.isdigit()]


def test_real_hyphens_kept_and_words_rejoined(tmp_path):
    lines = ["Les habitants du Pas-de-", "Calais et de Saint-", "Amand bénéficient pour 2024-",
             "2030 d'un accompagne-", "ment renforcé, vis-à-vis des quartiers, au-", "delà du droit commun."]
    write_pdf(tmp_path / "h.pdf", [[(60.0, 100 + i * LEADING, t, FONT, BODY) for i, t in enumerate(lines)]])
    text = read_pdf(tmp_path / "h.pdf").blocks[0].text
    assert "Pas-de-Calais" in text and "Saint-Amand" in text and "2024-2030" in text
    assert "accompagnement renforcé" in text and "au-delà" in text


def test_single_column_headings_lists_and_tables(tmp_path):
    paragraphs = corpus_paragraphs("maubeuge-val-de-sambre_2024_contrat-de-ville.txt", 600)
    col = Column(width=480)
    items: list[tuple[float, float, str, pymupdf.Font, float]] = [
        (50.0, 70.0, "Contrat de ville de l'agglomération", BOLD, 18.0),
        (50.0, 100.0, "1. Les quartiers prioritaires", BOLD, 13.0)]
    y = 125.0
    for p in paragraphs[:2]:
        col.lines.clear()
        col.add_paragraph(p)
        for line in col.lines:
            items.append((50.0, y, line, FONT, BODY))
            y += LEADING
    items.append((50.0, y + 6, "2. Les engagements des partenaires", BOLD, 13.0))
    y += 30
    for bullet in ("renforcer l'accès aux droits des habitants ;", "soutenir l'emploi des jeunes ;"):
        items.append((60.0, y, "•", FONT, BODY))
        items.append((75.0, y, bullet, FONT, BODY))
        y += LEADING
    y += 14
    table = [("Quartier", "Commune", "Population"), ("Chanteclerc", "Maubeuge", "3 200"),
             ("Sous-le-Bois", "Maubeuge", "4 100"), ("Provinces", "Feignies", "1 500")]
    for row in table:
        for i, cell in enumerate(row):
            items.append((50.0 + 160 * i, y, cell, FONT, BODY))
        y += 16
    write_pdf(tmp_path / "one.pdf", [items])
    blocks = read_pdf(tmp_path / "one.pdf").blocks
    kinds = [(b.kind, b.text) for b in blocks]
    headings = [b for b in blocks if b.kind == BlockKind.HEADING]
    assert [h.text for h in headings] == ["Contrat de ville de l'agglomération",
                                          "1. Les quartiers prioritaires", "2. Les engagements des partenaires"]
    assert headings[0].level == 1 and headings[1].level == 2
    paras = [b.text for b in blocks if b.kind == BlockKind.PARAGRAPH]
    assert paras == [" ".join(p.split()) for p in paragraphs[:2]]
    assert (BlockKind.LIST_ITEM, "renforcer l'accès aux droits des habitants ;") in kinds
    rows = [b.text for b in blocks if b.kind == BlockKind.TABLE_ROW]
    assert rows == [" | ".join(r) for r in table]


def test_ruled_table_stays_rows(tmp_path):
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    writer = pymupdf.TextWriter(page.rect)
    writer.append((50, 80), "Les indicateurs de suivi du contrat sont les suivants.", font=FONT, fontsize=BODY)
    rows = [("Indicateur", "Valeur 2024", "Cible 2030"), ("Taux de chômage des jeunes", "28 %", "20 %"),
            ("Part des bénéficiaires du RSA", "17 %", "12 %")]
    y = 120
    for row in rows:
        for i, cell in enumerate(row):
            writer.append((55 + 170 * i, y), cell, font=FONT, fontsize=BODY)
            page.draw_rect(pymupdf.Rect(50 + 170 * i, y - 13, 220 + 170 * i, y + 5), color=(0, 0, 0))
        y += 18
    writer.write_text(page)
    doc.save(tmp_path / "ruled.pdf")
    blocks = read_pdf(tmp_path / "ruled.pdf").blocks
    assert [b.text for b in blocks if b.kind == BlockKind.TABLE_ROW] == [" | ".join(r) for r in rows]
    assert blocks[0].kind == BlockKind.PARAGRAPH


def test_footnotes_do_not_cut_a_sentence_over_a_page(tmp_path):
    col = Column(width=480)
    col.add_paragraph(corpus_paragraphs("arras_2024_contrat-de-ville.txt", 800)[1])
    body = col.lines[:-1]
    notes = ["1 Décret n° 2023-1314 du 28 décembre 2023 relatif aux quartiers prioritaires.",
             "2 Circulaire du 31 août 2023 relative à l'élaboration des contrats de ville."]
    cut = len(body) // 2
    pages = [[(50.0, 700 - (cut - i) * LEADING, t, FONT, BODY) for i, t in enumerate(body[:cut])]
             + [(50.0, 760 + 10 * i, n, FONT, 7.0) for i, n in enumerate(notes)],
             [(50.0, 80 + i * LEADING, t, FONT, BODY) for i, t in enumerate(body[cut:])]]
    write_pdf(tmp_path / "notes.pdf", pages)
    blocks = read_pdf(tmp_path / "notes.pdf").blocks
    assert [b.text for b in blocks] == [" ".join(dehyphenated(body)), *notes]
    assert [b.page for b in blocks] == [1, 1, 1]


def test_text_set_sideways_is_read_upright(tmp_path):
    """A table turned on a portrait page is read line by line; the page's own text comes first."""
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    page.insert_text((72, 90), "Annexe 3 : programmation financière", fontsize=12)
    lines = [f"Action {i} : la CAF accompagne les familles des quartiers prioritaires" for i in range(10)]
    for i, line in enumerate(lines):
        page.insert_text((120 + 14 * i, 760), line, fontsize=10, rotate=90)
    doc.save(tmp_path / "side.pdf")
    blocks = read_pdf(tmp_path / "side.pdf").blocks
    assert blocks[0].text == "Annexe 3 : programmation financière"
    assert " ".join(b.text for b in blocks[1:]) == " ".join(lines)


# --- scanned pages -------------------------------------------------------------------------------


def scanned_pdf(path: Path, paragraphs: list[str], pages: int, text_page_first: bool = False) -> list[str]:
    """Image-only pages: text set in a PDF, rendered to a bitmap, the bitmap put in a new PDF."""
    col = Column(width=480)
    for p in paragraphs:
        col.add_paragraph(p)
    per_page = 50
    src = pymupdf.open()
    texts = []
    for n in range(pages):
        lines = col.lines[n * per_page:(n + 1) * per_page]
        page = src.new_page(width=595, height=842)
        writer = pymupdf.TextWriter(page.rect)
        for i, line in enumerate(lines):
            if line:
                writer.append((55, 70 + i * 14), line, font=FONT, fontsize=11)
        writer.write_text(page)
        texts.append(" ".join(lines))
    out = pymupdf.open()
    if text_page_first:
        out.insert_pdf(src, from_page=0, to_page=0)
    for page in src:
        pix = page.get_pixmap(dpi=200, colorspace=pymupdf.csGRAY)
        out.new_page(width=595, height=842).insert_image(pymupdf.Rect(0, 0, 595, 842), pixmap=pix)
    out.save(path)
    return texts


needs_tesseract = pytest.mark.skipif(
    ocr_unavailable() is not None,
    reason=f"OCR unavailable ({ocr_unavailable()}); install with apt-get install {OCR_PACKAGES}")


@pytest.mark.slow
@needs_tesseract
def test_scanned_pages_are_ocred(tmp_path):
    texts = scanned_pdf(tmp_path / "scan.pdf", corpus_paragraphs("arras_2024_contrat-de-ville.txt", 900), 2)
    content = read_pdf(tmp_path / "scan.pdf")
    assert content.ocr_pages == (1, 2)
    assert {b.page for b in content.blocks} == {1, 2}
    found = words_of(" ".join(b.text for b in content.blocks))
    assert runs_in_order(dehyphenated(texts), found) >= 0.85


@pytest.mark.slow
@needs_tesseract
def test_scanned_two_column_page_read_in_order(tmp_path, two_columns):
    """The first two pages of the two-column PDF, scanned: OCR, then columns, then furniture."""
    path, page_texts, _ = two_columns
    scan = pymupdf.open()
    with pymupdf.open(path) as doc:
        for page in list(doc)[:2]:
            pix = page.get_pixmap(dpi=200, colorspace=pymupdf.csGRAY)
            scan.new_page(width=595, height=842).insert_image(pymupdf.Rect(0, 0, 595, 842), pixmap=pix)
    scan.save(tmp_path / "scan2.pdf")
    content = read_pdf(tmp_path / "scan2.pdf")
    assert content.ocr_pages == (1, 2)
    assert not [b for b in content.blocks if HEADER in b.text]
    found = words_of(" ".join(b.text for b in content.blocks))
    assert runs_in_order(dehyphenated(page_texts[:2]), found) >= 0.85


@pytest.mark.slow
@needs_tesseract
def test_ocr_text_without_accents_is_repaired(tmp_path):
    """A scan of text printed without accents (as damaged OCR reads): the reader sees the
    damage and puts the accents back where French allows one reading."""
    paragraphs = corpus_paragraphs("arras_2024_contrat-de-ville.txt", 400)
    plain = ["".join(c for c in unicodedata.normalize("NFD", p) if not unicodedata.combining(c))
             for p in paragraphs]
    scanned_pdf(tmp_path / "plain.pdf", plain, 1)
    found = set(re.findall(r"[a-zà-ÿ]+", " ".join(b.text for b in read_pdf(tmp_path / "plain.pdf").blocks)))
    accented = {w for w in re.findall(r"[a-zà-ÿ]+", " ".join(paragraphs))[:450] if len(w) >= 4
                and not w.isascii()}
    assert len(accented) >= 20
    # Forms with two readings (engages/engagés, cotes/côtés) are rightly left alone.
    assert len(accented & found) / len(accented) >= 0.6, sorted(accented - found)


def test_scanned_page_without_ocr_warns(tmp_path, monkeypatch):
    """Without Tesseract: the text pages are read, a warning names the scanned pages and the
    packages to install; a document made only of scans is refused with the same advice."""
    monkeypatch.setenv("CONTRATS_TESSERACT", "0")
    paragraphs = corpus_paragraphs("arras_2024_contrat-de-ville.txt", 900)
    scanned_pdf(tmp_path / "mixed.pdf", paragraphs, 2, text_page_first=True)
    content = read_pdf(tmp_path / "mixed.pdf")
    assert content.ocr_pages == () and {b.page for b in content.blocks} == {1}
    warning = next(w for w in content.warnings if "OCR" in w)
    assert "2, 3" in warning and f"apt-get install {OCR_PACKAGES}" in warning
    scanned_pdf(tmp_path / "scan.pdf", paragraphs, 1)
    with pytest.raises(IngestError, match="apt-get install tesseract-ocr tesseract-ocr-fra"):
        read_pdf(tmp_path / "scan.pdf")


# --- bad input -----------------------------------------------------------------------------------


def good_pdf(path: Path) -> None:
    col = Column(width=480)
    col.add_paragraph(corpus_paragraphs("arras_2024_contrat-de-ville.txt", 200)[0])
    write_pdf(path, [[(50.0, 80 + i * LEADING, t, FONT, BODY) for i, t in enumerate(col.lines)]])


def zero_page_pdf() -> bytes:
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (i, body)
    xref = len(out)
    out += b"xref\n0 3\n0000000000 65535 f \n"
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size 3 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def make_bad(kind: str, path: Path, good: Path) -> None:
    if kind == "corrupt":
        path.write_bytes(b"%PDF-1.7\n" + random.Random(7).randbytes(20_000))
    elif kind == "truncated":
        raw = good.read_bytes()
        path.write_bytes(raw[: len(raw) // 2])
    elif kind == "encrypted":
        doc = pymupdf.open(good)
        doc.save(path, encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="secret", owner_pw="owner")
    elif kind == "zero-page":
        path.write_bytes(zero_page_pdf())
    elif kind == "text":
        path.write_text("Ceci n'est pas un PDF, seulement du texte.\n" * 40, encoding="utf-8")
    elif kind == "empty":
        path.write_bytes(b"")


@pytest.mark.parametrize(("kind", "cause"), [
    ("corrupt", "corrupt PDF"), ("truncated", "truncated PDF"), ("encrypted", "encrypted PDF"),
    ("zero-page", "no pages"), ("text", "not a PDF"), ("empty", "empty file")])
def test_bad_pdf_reported_and_others_ingested(tmp_path, kind, cause):
    good = tmp_path / "a_good.pdf"
    good_pdf(good)
    bad = tmp_path / f"b_{kind}.pdf"
    make_bad(kind, bad, good)
    results = list(ingest_paths([tmp_path]))
    errors = [r for r in results if isinstance(r, IngestError)]
    done = [r for r in results if isinstance(r, Ingested)]
    assert [d.document.path for d in done] == [str(good)] and done[0].passages
    assert len(errors) == 1
    message = str(errors[0])
    assert "\n" not in message and str(bad) in message and cause in message, message


def test_cli_ingests_a_folder_of_pdfs(tmp_path, two_columns):
    folder = tmp_path / "pdfs"
    folder.mkdir()
    (folder / "deux_colonnes.pdf").write_bytes(two_columns[0].read_bytes())
    good_pdf(folder / "simple.pdf")
    (folder / "faux.pdf").write_text("pas un pdf\n", encoding="utf-8")
    out = tmp_path / "out"
    cli = Path(sys.executable).parent / "contrats"
    done = subprocess.run([str(cli), "ingest", str(folder), "--out", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "faux.pdf: not a PDF" in done.stderr
    documents = [json.loads(line) for line in (out / "documents.jsonl").read_text().splitlines()]
    assert sorted(d["path"].rsplit("/", 1)[-1] for d in documents) == ["deux_colonnes.pdf", "simple.pdf"]
    assert all(d["source_format"] == "pdf" and d["page_count"] >= 1 for d in documents)
    passages = [json.loads(line) for line in (out / "passages.jsonl").read_text().splitlines()]
    assert passages and all(p["page"] >= 1 for p in passages)

