"""Page geometry for the PDF reader: line fragments, page furniture, columns and reading order.

PyMuPDF gives text lines in content-stream order, which is the order the producer wrote them,
not the order a reader reads them: a two-column page may be written row by row across both
columns. Everything here works from positions only, so the order of the stream does not matter:
lines are cut into fragments at wide gaps, running headers and footers are recognised by
repeating in the top or bottom margin of several pages, columns by left edges shared by many
long lines, tables by cells that line up from row to row (or by their rules), and
the reading order is rebuilt band by band (full-width lines such as titles cut the page into
bands, read top to bottom; inside a band the columns are read left to right).
"""

from __future__ import annotations

import itertools
import re
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from ingest.normalise import fold
from ingest.read.lines import join_wrapped

# Bullet glyphs, including the private-use code points of Symbol/Wingdings bullets from Word.
# Dashes and asterisks are bullets only when a space follows them (a hyphen starts words too).
DASH_BULLETS = "-–—*"
MARK_BULLETS = "•▪►●◦■□➢➔→✓»\uf0b7\uf0a7\uf0d8\uf0fc\uf076\uf0a8"
BULLET_GLYPHS = DASH_BULLETS + MARK_BULLETS
_BULLET_ONLY = re.compile(rf"^\s*(?:[{re.escape(BULLET_GLYPHS)}]|\d{{1,2}}[.)]|[a-z]\))\s*$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")
_PAGE_NUMBER = re.compile(r"^(?:page\s*)?[-–—(]?\s*\d{1,4}\s*[-–—)]?(?:\s*(?:/|sur|of)\s*\d{1,4})?$")
MARGIN_SHARE = 0.08  # running headers and footers sit in the top and bottom 8 % of the page


@dataclass
class Fragment:
    """A piece of one printed line: its spans up to the first wide horizontal gap."""

    x0: float
    y0: float
    x1: float
    y1: float
    text: str
    size: float
    bold: bool
    page: int  # 1-based
    column: int = 0  # -1: crosses a column boundary (titles, full-width lines)
    cells: list[str] = field(default_factory=list)  # set when the fragment is a table row
    sideways: bool = False  # text set sideways, its box turned upright

    @property
    def width(self) -> float:
        return self.x1 - self.x0


def page_fragments(page_dict: dict, page_number: int, gap: float = 1.2) -> list[Fragment]:
    """Text lines of a `page.get_text("dict")` result, cut at gaps wider than `gap` em.

    Text set sideways (a landscape table turned on a portrait page, a stamp in the margin) is
    turned upright, in a frame of its own, and marked `sideways`.
    """
    out: list[Fragment] = []
    width, height = page_dict.get("width", 0.0), page_dict.get("height", 0.0)
    for block in page_dict.get("blocks", ()):
        for line in block.get("lines", ()):
            dx, dy = line.get("dir", (1, 0))
            if abs(dy) <= 0.1 and dx > 0:
                spans, sideways = line["spans"], False
            elif abs(dx) <= 0.1:
                spans, sideways = [_upright(s, dy < 0, width, height) for s in line["spans"]], True
            else:
                continue  # slanted or upside-down text: decoration, not content
            current: list[dict] = []
            for span in spans:
                if not span["text"].strip():
                    continue
                if current and span["bbox"][0] - current[-1]["bbox"][2] > gap * max(span["size"], 4):
                    _add_fragment(out, current, page_number, sideways)
                    current = []
                current.append(span)
            _add_fragment(out, current, page_number, sideways)
    return out


def _upright(span: dict, upwards: bool, width: float, height: float) -> dict:
    """A span of sideways text with its box in a frame where it reads left to right."""
    x0, y0, x1, y1 = span["bbox"]
    bbox = (height - y1, x0, height - y0, x1) if upwards else (y0, width - x1, y1, width - x0)
    return {**span, "bbox": bbox}


def _add_fragment(out: list[Fragment], spans: list[dict], page_number: int, sideways: bool = False) -> None:
    if not spans:
        return
    text = spans[0]["text"]
    for prev, span in itertools.pairwise(spans):
        # OCR text pages put each word in its own span, with no space character between them.
        gap = span["bbox"][0] - prev["bbox"][2]
        if gap > 0.15 * span["size"] and not prev["text"].endswith(" ") and not span["text"].startswith(" "):
            text += " "
        text += span["text"]
    text = text.strip()
    chars: dict[float, int] = {}
    bold = True
    for s in spans:
        n = len(s["text"].strip())
        size = round(s["size"] * 2) / 2
        chars[size] = chars.get(size, 0) + n
        bold = bold and (not n or bool(s["flags"] & 16) or "bold" in s["font"].lower())
    x0 = min(s["bbox"][0] for s in spans)
    y0 = min(s["bbox"][1] for s in spans)
    x1 = max(s["bbox"][2] for s in spans)
    y1 = max(s["bbox"][3] for s in spans)
    frag = Fragment(x0, y0, x1, y1, text, max(chars, key=chars.__getitem__), bold, page_number,
                    sideways=sideways)
    # A bullet set apart from its text (a tab after "•" or "1.") belongs to the text.
    prev = out[-1] if out else None
    if prev is not None and prev.page == page_number and prev.sideways == sideways \
            and _BULLET_ONLY.match(prev.text) and abs(prev.y1 - y1) < 0.5 * frag.size \
            and 0 <= x0 - prev.x1 < 6 * frag.size:
        out.pop()
        frag = Fragment(prev.x0, min(prev.y0, y0), x1, max(prev.y1, y1), f"{prev.text} {text}",
                        frag.size, frag.bold, page_number, sideways=sideways)
    out.append(frag)


def needs_ocr(page: Any, frags: list[Fragment]) -> bool:
    """A page whose text must be read from its picture: a scan (hardly any text, images covering
    a good part of the page), or text in fonts without character codes (read as U+FFFD)."""
    text = "".join(f.text for f in frags)
    if len(text) >= 20:
        unreadable = text.count("\ufffd") + len(_CONTROL.findall(text))
        return unreadable > 0.3 * len(text)
    area = abs(page.rect)
    covered = sum(_overlap(info["bbox"], page.rect) for info in page.get_image_info())
    return area > 0 and covered >= 0.25 * area


def _overlap(a: tuple[float, float, float, float], b: Any) -> float:
    """Area of the intersection of box `a` and rectangle `b`."""
    w = min(a[2], b.x1) - max(a[0], b.x0)
    h = min(a[3], b.y1) - max(a[1], b.y0)
    return max(w, 0.0) * max(h, 0.0)


def is_page_number(text: str) -> bool:
    return _PAGE_NUMBER.match(fold(text.strip())) is not None


def drop_furniture(pages: list[list[Fragment]], heights: list[float]) -> tuple[list[list[Fragment]], int]:
    """Remove running headers, footers and page numbers.

    Furniture is what sits in the top or bottom margin and is either a bare page number or the
    same text (digits aside) in the same margin of several pages.
    """
    def margin(f: Fragment, height: float) -> str | None:
        if f.y1 <= height * MARGIN_SHARE:
            return "top"
        if f.y0 >= height * (1 - MARGIN_SHARE):
            return "bottom"
        return None

    def key(f: Fragment, zone: str) -> tuple[str, str]:
        # Not the exact height: a scanner shifts each page a little.
        return zone, re.sub(r"\d+", "#", fold(f.text))

    seen: dict[tuple[str, str], set[int]] = defaultdict(set)
    with_body: set[int] = set()  # pages with text outside the margins
    for frags, height in zip(pages, heights, strict=True):
        for f in frags:
            zone = margin(f, height)
            if zone:
                seen[key(f, zone)].add(f.page)
            else:
                with_body.add(f.page)
    # Three pages suffice in a long document: running headers may change with each chapter.
    repeat = 2 if len(pages) <= 4 else 3
    kept_pages, dropped = [], 0
    for frags, height in zip(pages, heights, strict=True):
        kept = []
        for f in frags:
            zone = margin(f, height)
            if zone and (is_page_number(f.text) or _running(seen[key(f, zone)], with_body, repeat)):
                dropped += 1
            else:
                kept.append(f)
        kept_pages.append(kept)
    return kept_pages, dropped


def _running(pages: set[int], with_body: set[int], repeat: int) -> bool:
    """A line repeated on enough pages that also carry body text: a running header or footer
    (a document whose pages hold nothing but that line keeps it)."""
    return len(pages) >= repeat and len(pages & with_body) >= len(pages) / 2


def column_edges(frags: list[Fragment]) -> list[float]:
    """Left edges of the text columns of a page (one edge for a single-column page).

    A column starts at a left edge shared by several lines that are long (prose, not table
    cells), and the lines to its left stop before it (an indent is not a column).
    """
    body = [f for f in frags if len(f.text) >= 2]
    if len(body) < 6:
        return [min((f.x0 for f in frags), default=0.0)]
    left, right = min(f.x0 for f in body), max(f.x1 for f in body)
    text_width = max(right - left, 1.0)
    clusters: list[list[Fragment]] = []
    for f in sorted(body, key=lambda f: f.x0):
        if clusters and f.x0 - clusters[-1][0].x0 <= 3:
            clusters[-1].append(f)
        else:
            clusters.append([f])
    edges = [left]
    for members in clusters:
        x = members[0].x0
        if x - edges[-1] < 0.15 * text_width or len(members) < max(3, 0.05 * len(body)):
            continue
        if statistics.median(f.width for f in members) < 0.2 * text_width:
            continue  # table cells or labels, not a column of prose
        # Only lines beside the candidate column count: a full-width introduction above a
        # two-column section does not make it a single column.
        top, bottom = min(f.y0 for f in members), max(f.y1 for f in members)
        before = [f for f in body if edges[-1] - 2 <= f.x0 < x - 2 and top <= (f.y0 + f.y1) / 2 <= bottom]
        crossing = sum(f.x1 > x + 2 for f in before)
        if len(before) >= 3 and crossing <= 0.15 * len(before):
            edges.append(x)
    return edges


def reading_order(frags: list[Fragment], gap: float = 1.2) -> list[Fragment]:
    """Fragments of one page in reading order; rows of several fragments become table rows.

    Full-width fragments cut the page into bands; inside a band each column is read top to
    bottom, columns left to right. Fragments of one column sharing a baseline form a table row.
    """
    edges = column_edges(frags)
    for f in frags:
        f.column = 0
        for k, boundary in enumerate(edges[1:], start=1):
            if f.x0 >= boundary - 2:
                f.column = k
            elif f.x1 > boundary + 2 and f.x0 < boundary - 2:
                f.column = -1
                break
    spanning = sorted((f for f in frags if f.column < 0), key=lambda f: (f.y0, f.x0))
    in_columns = [f for f in frags if f.column >= 0]
    ordered: list[Fragment] = []
    top = float("-inf")
    for cut in [*spanning, None]:
        bottom = float("inf") if cut is None else (cut.y0 + cut.y1) / 2
        band = [f for f in in_columns if top <= (f.y0 + f.y1) / 2 < bottom]
        for column in sorted({f.column for f in band}):
            ordered.extend(_rows([f for f in band if f.column == column], gap))
        if cut is not None:
            ordered.append(cut)
            top = bottom
    return ordered


def _rows(frags: list[Fragment], gap: float) -> list[Fragment]:
    """One column's fragments top to bottom, fragments on one baseline made one line.

    Fragments on a baseline far apart (more than `gap` em) are the cells of a table row when
    they line up with the cells of the row above or below; otherwise they are the words of a
    justified line set one by one, and are joined as text.
    """
    groups: list[list[Fragment]] = []
    for f in sorted(frags, key=lambda f: f.y1):
        if groups and abs(groups[-1][0].y1 - f.y1) < 0.4 * min(groups[-1][0].size, f.size):
            groups[-1].append(f)
        else:
            groups.append([f])
    lines = [_pieces(sorted(g, key=lambda f: f.x0), gap) for g in groups]
    out: list[Fragment] = []
    row: list[Fragment] | None = None  # pieces of the last text table row, while lines wrap into it
    for i, pieces in enumerate(lines):
        if row is not None and _wraps_into(out[-1], pieces, row, lines[i - 1]):
            continue
        above = row or (lines[i - 1] if i else [])
        below = lines[i + 1] if i + 1 < len(lines) else []
        near = [other for other in (above, below)
                if len(other) > 1 and abs(other[0].y1 - pieces[0].y1) < 4 * pieces[0].size]
        cells = len(pieces) > 1 and any(_aligned(pieces, other) for other in near)
        out.append(_merge(pieces, cells) if len(pieces) > 1 else pieces[0])
        row = pieces if cells else None
    return out


def _wraps_into(row: Fragment, pieces: list[Fragment], row_line: list[Fragment],
                above: list[Fragment]) -> bool:
    """Add `pieces` to the cells of `row` when they are its cells' text wrapped onto the next
    line: set at line spacing right under it, fewer than its cells, each under a cell's start."""
    starts = [p.x0 for p in row_line]
    if len(pieces) >= len(row.cells) or len(starts) != len(row.cells):
        return False
    if pieces[0].y1 - above[0].y1 > 1.3 * pieces[0].size:
        return False
    slots = []
    for p in pieces:
        k = next((k for k, x in enumerate(starts) if abs(p.x0 - x) <= 3), None)
        if k is None:
            return False
        slots.append(k)
    for k, p in zip(slots, pieces, strict=True):
        row.cells[k] = join_wrapped(row.cells[k], p.text) if row.cells[k] else p.text
    row.text = " ".join(row.cells)
    row.y1 = max(row.y1, pieces[0].y1)
    return True


def _pieces(group: list[Fragment], gap: float) -> list[Fragment]:
    """Fragments of one baseline, those at most `gap` em apart joined."""
    pieces = [group[0]]
    for f in group[1:]:
        p = pieces[-1]
        if f.x0 - p.x1 <= gap * f.size and not p.cells and not f.cells:
            pieces[-1] = _merge([p, f], cells=False)
        else:
            pieces.append(f)
    return pieces


def _aligned(pieces: list[Fragment], other: list[Fragment]) -> bool:
    """Do most cells after the first start where a cell of `other` does (or, but for the last,
    end where one does)? The last word of every justified line ends at the margin: no cue."""
    hits = sum(any(abs(p.x0 - q.x0) <= 3 or (p is not pieces[-1] and q is not other[-1] and abs(p.x1 - q.x1) <= 3)
                   for q in other[1:]) for p in pieces[1:])
    return hits >= max(1, len(pieces[1:]) / 2)


def _merge(pieces: list[Fragment], cells: bool) -> Fragment:
    first = pieces[0]
    return Fragment(first.x0, min(f.y0 for f in pieces), max(f.x1 for f in pieces),
                    max(f.y1 for f in pieces), " ".join(f.text for f in pieces), first.size,
                    all(f.bold for f in pieces), first.page, first.column,
                    [f.text for f in pieces] if cells else [])


def table_rows(page, frags: list[Fragment]) -> list[Fragment]:
    """The page's fragments with each ruled table replaced by one fragment per table row.

    Only pages with enough ruling lines are searched: `find_tables` is the slowest step of
    reading a page, and a table without rules is caught later by its aligned cells.
    """
    rules = sum(len(d.get("items", ())) for d in page.get_cdrawings())
    if rules < 4 or not frags:
        return frags
    try:
        # The ruling lines are the evidence; the optional ML layout model (pymupdf_layout) that
        # find_tables consults by default costs over a second a page.
        try:
            tables = page.find_tables(use_layout=False).tables
        except TypeError:  # PyMuPDF before 2.0
            tables = page.find_tables().tables
    except Exception:  # a table finder failure must not lose the page's text
        return frags
    out = list(frags)
    for table in tables:
        if table.col_count < 2:
            continue  # a frame around text, not a table
        bbox = table.bbox
        inside = [f for f in out if bbox[0] - 1 <= (f.x0 + f.x1) / 2 <= bbox[2] + 1
                  and bbox[1] - 1 <= (f.y0 + f.y1) / 2 <= bbox[3] + 1]
        if not inside:
            continue
        size = statistics.median(f.size for f in inside)
        rows: list[Fragment] = []
        for row in table.rows:
            texts = [_cell_text(inside, cell) for cell in row.cells]
            if not any(texts):
                continue
            x0, y0, x1, y1 = row.bbox
            rows.append(Fragment(x0, y0, x1, y1, " ".join(t for t in texts if t), size, False,
                                 inside[0].page, cells=texts if len(texts) > 1 else []))
        if rows:
            out = [f for f in out if f not in inside] + rows
    return out


def _cell_text(frags: list[Fragment], cell: tuple[float, float, float, float] | None) -> str:
    """The text of the fragments whose centre lies in a table cell, top to bottom."""
    if cell is None:
        return ""
    x0, y0, x1, y1 = cell
    found = [f for f in frags if x0 - 1 <= (f.x0 + f.x1) / 2 <= x1 + 1 and y0 - 1 <= (f.y0 + f.y1) / 2 <= y1 + 1]
    text = ""
    for f in sorted(found, key=lambda f: (round(f.y1), f.x0)):
        text = join_wrapped(text, f.text) if text else f.text
    return text
