"""Reading plain-text exports of contract PDFs into blocks.

Text exports come in three shapes, and one set of rules handles all of them: one paragraph per
long line (2024 contracts), narrow columns with wrapped and hyphenated lines (2015), and OCR'd
scans with garbled glyphs (2019). Lines are classified (blank, table row, bullet, heading
candidate, text), page furniture is dropped, and wrapped lines are joined back into paragraphs.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ingest.errors import IngestError
from ingest.model import Block, BlockKind
from ingest.normalise import (
    clean_characters,
    fold,
    ocr_damage_score,
    repair_ocr,
    strip_markup,
)
from ingest.read.headings import heading_level, is_structural
from ingest.read.lines import BULLET, is_open, join_wrapped

# Above this share of accent-damaged words, the text is treated as an OCR output and repaired.
OCR_DAMAGE_THRESHOLD = 0.01

_STRUCTURAL = re.compile(r"engag|indicat|objecti|orientat|\baxe|evaluat|quartier|action")


@dataclass(frozen=True)
class TextContent:
    blocks: tuple[Block, ...]
    ocr_repaired: bool
    warnings: tuple[str, ...]


@dataclass
class _Line:
    text: str
    start: int
    end: int
    kind: str  # blank | table | bullet | heading | text
    level: int | None = None
    bold: bool = False


def decode_text(path: Path, raw: bytes) -> tuple[str, list[str]]:
    """Bytes to str: UTF-8, else Windows-1252 with a warning; binary content is refused."""
    if not raw.strip():
        raise IngestError(str(path), "empty file")
    utf16 = _utf16_encoding(raw)
    if utf16:
        # Windows "Unicode" exports: every other byte of French text is NUL, which the binary
        # check below would refuse.
        try:
            text = raw.decode(utf16).lstrip("\ufeff")
        except UnicodeDecodeError:
            raise IngestError(str(path), "not a text file (invalid UTF-16)") from None
        if not text.strip():
            raise IngestError(str(path), "empty file")
        if sum(c < " " and c not in "\t\n\r\f" for c in text[:32768]) > min(len(text), 32768) * 0.01:
            raise IngestError(str(path), "not a text file (binary content)")  # random bytes after a chance BOM
        return text, []
    sample = raw[:65536]
    if b"\x00" in sample or sum(b < 9 or 13 < b < 32 for b in sample) > len(sample) * 0.01:
        raise IngestError(str(path), "not a text file (binary content)")
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace"), [f"{path}: not UTF-8, read as Windows-1252"]


def _utf16_encoding(raw: bytes) -> str | None:
    """"utf-16" when the bytes start with a UTF-16 byte order mark; "utf-16-le"/"-be" when, without
    one, NULs fill every other byte of the start (ASCII-range text); else None."""
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff") and raw[:4] != b"\xff\xfe\x00\x00":
        return "utf-16"
    sample = raw[:4096]
    if len(sample) >= 16 and len(sample) % 2 == 0:
        odd, even = sample[1::2], sample[0::2]
        if odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
            return "utf-16-le"
        if even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
            return "utf-16-be"
    return None


def read_text(path: str | Path) -> TextContent:
    """Read a text export into blocks (page None; line numbers are the file's, 1-based)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise IngestError(str(path), f"cannot read file ({e.strerror or e})") from e
    text, warnings = decode_text(path, raw)
    return text_to_blocks(text, warnings, source=str(path))


def text_to_blocks(text: str, warnings: list[str] | None = None, source: str = "<text>") -> TextContent:
    warnings = list(warnings or [])
    raw_lines = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n").split("\n")
    ocr = ocr_damage_score(text) > OCR_DAMAGE_THRESHOLD and len(text) > 2000
    lines = _classify(_merge_bold_spans(raw_lines), ocr)
    lines, dropped = _drop_furniture(lines, ocr)
    if dropped:
        warnings.append(f"{source}: dropped {dropped} lines of page furniture or OCR noise")
    blocks = _assemble(lines)
    if not blocks:
        raise IngestError(source, "no readable text")
    return TextContent(tuple(blocks), ocr, tuple(warnings))


def _merge_bold_spans(raw_lines: list[str]) -> list[tuple[str, int, int, bool]]:
    """Join the lines of a `**…**` span that the converter broke over several lines."""
    out: list[tuple[str, int, int, bool]] = []
    i = 0
    while i < len(raw_lines):
        line = raw_lines[i]
        stripped = line.strip()
        if stripped.startswith("**") and stripped.count("**") % 2 == 1:
            j, parts = i, [stripped]
            while j + 1 < len(raw_lines) and j - i < 4 and raw_lines[j + 1].strip():
                j += 1
                parts.append(raw_lines[j].strip())
                if raw_lines[j].count("**") % 2 == 1:
                    break
            if " ".join(parts).count("**") % 2 == 0:
                out.append((" ".join(parts), i + 1, j + 1, True))
                i = j + 1
                continue
        bold = stripped.startswith("**") and stripped.endswith("**") and len(stripped) > 4
        out.append((line, i + 1, i + 1, bold))
        i += 1
    return out


# The code of an item in a strategy tree or an action plan, before a word: "1.a", "2.3.b", "3B", "A2".
# A row of cells between bars: three cells or more, or two framed by bars ("| Action | Pilote |"),
# or a Markdown row framed by bars with any number of cells, some of them empty ("| | | suite |").
_BAR_ROW = re.compile(r"^\s*(?:[^|]*\S\s+\|\s+[^|]*\S\s+\|\s+\S.*|\|\s*[^|]*\S\s*\|\s*[^|]*\S\s*\|\s*"
                      r"|\|(?:[^|]*\|){2,}\s*)$")
# The rule under a Markdown table's header ("|---|:---:|"): layout, not text.
_BAR_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)+\|?\s*$")
# A Markdown heading ("## Les signataires"), as converters of PDFs to Markdown write them.
_MARKDOWN_HEADING = re.compile(r"^\s*(#{1,6})\s+(\S.*?)\s*#*\s*$")
# An ordinal ("2e trimestre") is not a code.
_CODED_ITEM = re.compile(r"^\s*(?:\d{1,2}(?:\.\d{1,2})*\.?[a-df-zA-Z]|[A-Z]\d{1,2}(?:\.\d{1,2})*)[.)]?\s+[A-ZÀ-Ýa-zà-ÿ«\"]")


# Three spaces or more between two pieces of text: a column gap of a layout-preserving export.
_SPACE_GAP = re.compile(r"\S( {3,})(?=\S)")


def _space_aligned(texts: list[str]) -> set[int]:
    """The lines that are rows of a table laid out with spaces (a PDF exported with its layout,
    `pdftotext -layout`): runs of two lines or more, each with a column gap, in which a column
    starts at the same place (within two characters) on at least two lines, and on most of them.
    A running header or footer of two lines ("Contrat de ville …      page 4") stands alone or
    has no shared column, and stays text."""
    out: set[int] = set()
    i = 0
    while i < len(texts):
        j = i
        while j < len(texts) and "\t" not in texts[j] and _SPACE_GAP.search(texts[j].rstrip()):
            j += 1
        if j - i >= 2:
            starts = [{m.end(1) for m in _SPACE_GAP.finditer(t.rstrip())} for t in texts[i:j]]
            shared = [any(abs(a - b) <= 2 for a in mine for m, other in enumerate(starts) if m != k for b in other)
                      for k, mine in enumerate(starts)]
            if sum(shared) >= max(2, 0.6 * len(starts)):
                out.update(range(i, j))
        i = max(j, i + 1)
    return out


def _classify(raw: list[tuple[str, int, int, bool]], ocr: bool) -> list[_Line]:
    lines: list[_Line] = []
    spaced = set() if ocr else _space_aligned([text for text, _, _, _ in raw])
    for n, (text, start, end, bold) in enumerate(raw):
        if n in spaced:
            text = re.sub(r"(?<=\S) {3,}(?=\S)", "\t", text.strip())
        if "\t" in text and text.strip():
            cells = [clean_characters(strip_markup(c)) for c in text.rstrip().split("\t")]
            if ocr:
                cells = [repair_ocr(c) for c in cells]
            if sum(bool(c) for c in cells) >= 1 and len(cells) >= 2:
                lines.append(_Line(" | ".join(cells).strip(), start, end, "table"))
                continue
        cleaned = clean_characters(strip_markup(text))
        if ocr:
            cleaned = repair_ocr(cleaned)
        if not cleaned:
            lines.append(_Line("", start, end, "blank"))
            continue
        if _BAR_RULE.match(cleaned) and not ocr:
            lines.append(_Line("", start, end, "blank"))
            continue
        if (md := _MARKDOWN_HEADING.match(cleaned)) and not ocr:
            lines.append(_Line(md.group(2), start, end, "heading", min(len(md.group(1)), 4), bold))
            continue
        if _BAR_ROW.match(cleaned) and not ocr and any(c.strip() for c in cleaned.split("|")):
            # A table exported with bars between its cells (word processors, Markdown). Two cells
            # only when bars frame the row: a lone bar is as often a rule line read by OCR.
            cells = [c.strip() for c in cleaned.strip().strip("|").split("|")]
            lines.append(_Line(" | ".join(cells), start, end, "table"))
            continue
        m = BULLET.match(cleaned)
        if m and len(cleaned) > m.end() and not re.match(r"^\d{1,2}\)\s*$", cleaned):
            lines.append(_Line(cleaned[m.end():].strip(), start, end, "bullet"))
            continue
        level = heading_level(cleaned, bold=bold)
        if level is None and _CODED_ITEM.match(cleaned):
            # "1.a Généraliser …", "3B Accompagner …": an item of a coded list, kept with its code.
            lines.append(_Line(cleaned.strip(), start, end, "coded"))
            continue
        kind = "heading" if level is not None else "text"
        lines.append(_Line(cleaned, start, end, kind, level, bold))
    return lines


def _drop_furniture(lines: list[_Line], ocr: bool) -> tuple[list[_Line], int]:
    """Drop running headers/footers, bare page numbers and, in OCR output, unreadable lines.

    A header or footer shows as the same short line standing alone between blank lines again and
    again; a line that also occurs inside running text is kept where it is part of a sentence.
    """
    def alone(i: int) -> bool:
        before = i == 0 or lines[i - 1].kind == "blank"
        after = i == len(lines) - 1 or lines[i + 1].kind == "blank"
        return before and after

    standalone = Counter(
        fold(ln.text) for i, ln in enumerate(lines) if ln.kind in ("text", "heading") and alone(i)
    )
    kept: list[_Line] = []
    dropped = 0
    for i, ln in enumerate(lines):
        if ln.kind in ("text", "heading", "bullet"):
            key = fold(ln.text)
            is_number = re.fullmatch(r"(page\s*)?\d{1,3}(\s*/\s*\d{1,3})?", key) is not None
            # Structural labels ("Indicateurs de suivi :", "(Engagements communs…)") repeat too,
            # so only plain short text lines, never heading candidates, count as furniture.
            # Headings and partner names repeat legitimately in text exports ("La Banque des
            # Territoires" before each of its sections), so only lowercase fragments left over
            # from table cells and running headers count as furniture here.
            repeated = (alone(i) and standalone[key] >= 5 and len(key) < 60 and ln.kind == "text"
                        and ln.text[:1].islower() and not _STRUCTURAL.search(key))
            if is_number or repeated or (ocr and _is_ocr_noise(ln.text)):
                dropped += 1
                continue
        kept.append(ln)
    return kept, dropped


def _is_ocr_noise(text: str) -> bool:
    """A line of a scan that is not language: images and stamps read as letters."""
    from ingest.normalise import _accent_lexicon

    if text.endswith("-") or text[:1].islower():
        return False  # a wrapped line of a sentence, with a word cut at its ends
    words = re.findall(r"[A-Za-zÀ-ÿœ]+", text)
    if not words:
        return len(text) < 20
    long_words = [w for w in words if len(w) >= 3]
    if not long_words:
        return len(text) < 16
    forms, _ = _accent_lexicon()
    known = sum(1 for w in long_words if w.lower() in forms)
    return known / len(long_words) < 0.4


def _line_width(lines: list[_Line]) -> float:
    lengths = [len(ln.text) for ln in lines if ln.kind == "text"]
    if len(lengths) < 10:
        return 10_000.0
    return statistics.quantiles(lengths, n=10)[-1]


def _assemble(lines: list[_Line]) -> list[Block]:
    width = _line_width(lines)
    wrapped = width < 150  # lines were wrapped by the layout, not one paragraph per line
    blocks: list[Block] = []
    current: dict | None = None
    gap = False

    def flush() -> None:
        nonlocal current
        if current and current["text"].strip():
            blocks.append(Block(current["text"].strip(), current["kind"], None, current["start"],
                                current["end"], current.get("level")))
        current = None

    def extend(ln: _Line) -> None:
        assert current is not None
        current["text"] = join_wrapped(current["text"], ln.text)
        current["end"] = ln.end
        current["last"] = len(ln.text)

    for ln in lines:
        if ln.kind == "blank":
            gap = True
            continue
        joinable = current is not None and current["kind"] in (BlockKind.PARAGRAPH, BlockKind.LIST_ITEM)
        continues = joinable and _continues(current["text"], current["last"], ln.text, gap, wrapped, width)
        if ln.kind == "heading" and continues and not gap and not ln.bold and is_open(current["text"]) \
                and not is_structural(ln.text):
            ln = _Line(ln.text, ln.start, ln.end, "text")  # a capitalised word inside a sentence
        if ln.kind == "heading":
            if current is not None and current["kind"] == BlockKind.HEADING and not gap \
                    and ln.text.isupper() and current["text"].isupper():
                extend(ln)  # a title in capitals broken over several lines
            else:
                flush()
                current = {"text": ln.text, "kind": BlockKind.HEADING, "start": ln.start,
                           "end": ln.end, "level": ln.level}
        elif ln.kind == "table":
            flush()
            blocks.append(Block(ln.text, BlockKind.TABLE_ROW, None, ln.start, ln.end))
        elif ln.kind == "text" and current is not None and current["kind"] == BlockKind.HEADING and not gap \
                and ln.text[:1].islower() and is_structural(current["text"]) and is_open(current["text"]):
            extend(ln)  # "ORIENTATION 1 : Assurer les effets … / et territoriaux …": a heading wrapped
        elif ln.kind == "coded" and continues and not gap and is_open(current["text"]):
            extend(ln)  # "… est clair et / R7 renforce": a code read inside a sentence
        elif ln.kind in ("bullet", "coded"):
            flush()
            current = {"text": ln.text, "kind": BlockKind.LIST_ITEM, "start": ln.start, "end": ln.end,
                       "last": len(ln.text)}
        elif continues:
            extend(ln)
        else:
            flush()
            current = {"text": ln.text, "kind": BlockKind.PARAGRAPH, "start": ln.start, "end": ln.end,
                       "last": len(ln.text)}
        gap = False
    flush()
    return blocks


def _continues(previous: str, last_len: int, nxt: str, gap: bool, wrapped: bool, width: float) -> bool:
    """Does `nxt` continue the paragraph that ends with `previous` (whose last line had `last_len`)?"""
    starts_lower = nxt[:1].islower() or nxt[:1] in "(«\"'"
    hyphen = previous.rstrip().endswith("-")
    if gap:
        # A blank line inside a sentence is a column or page break of the layout.
        return is_open(previous) and (starts_lower or hyphen)
    if starts_lower or hyphen or previous.rstrip().endswith(","):
        return True
    if not wrapped:
        return False  # one paragraph per line: a line break is a paragraph break
    # Wrapped layout: an open sentence goes on; a sentence that ends on a full line probably
    # does not end the paragraph, one that ends on a short line does.
    return is_open(previous) or last_len >= 0.85 * width
