"""Orientations written as the row labels of a table, not as headings.

Protocols and action plans often lay their strategy out as a table whose first column names the
orientation ("Axe" | "Actions" | "Pilote", "Thématiques – Enjeux, mesures, actions"): each row
label is an orientation. A text layer keeps such a table as rows with cells, or, read by OCR or
from a layout that lost its columns, as a header line followed by short labels standing alone
between the bullets of the other cells. Both shapes are read here; the walker of
ingest.extract.structure makes each label an orientation.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from itertools import pairwise

from ingest.extract.strategy_headings import table_level_word
from ingest.extract.themes import themes_of
from ingest.model import BlockKind, Passage
from ingest.normalise import fold


@cache
def _level_cell() -> re.Pattern[str]:
    """A column that names the strategy's level (structure.yaml): the table's rows are orientations."""
    return re.compile(rf"^{table_level_word()}(?:\s+strat[ée]giques?)?\s*:?$", re.IGNORECASE)


@cache
def _flat_header() -> re.Pattern[str]:
    """A header line whose cells were flattened into one: the level word, then other columns' names
    after a dash ("THÉMATIQUES – Enjeux, mesures, actions envisagées")."""
    return re.compile(rf"^{table_level_word()}\b[^.:]{{0,40}}?\s[-–—|]\s*[A-Za-zÀ-ÿ]", re.IGNORECASE)

# Words that make a phrase an action or a relation ("Lien avec le projet …", "Actualisation des
# orientations du …") rather than a domain's name ("Habitat, renouvellement urbain").
_FUNCTION_WORDS = frozenset(["de", "des", "du", "d", "la", "le", "les", "l", "avec", "pour", "sur", "a", "en",
                             "dans", "par", "au", "aux"])
MAX_ROW_LABEL_WORDS = 14
# A flattened table ends with the chapter or after this many passages.
MAX_TABLE_PASSAGES = 120
# A code cell ("1A", "2.3"): a reference to an orientation or objective, never a row label.
_CODE = re.compile(r"(?:\d{1,2}(?-i:[A-H])?|\d{1,2}(?:\.\d{1,2}){1,3})\.?", re.IGNORECASE)
# An objective's code and label in one cell ("A1. Consolider …", "1.2 Réduire …", "2B – Impliquer …").
_CODED_CELL = re.compile(r"^(?P<code>[A-Z]?\d{1,2}(?:\.\d{1,2}){0,3}[A-H]?)\.?\s*[:\-–—)]?\s+"
                         r"(?P<label>[A-ZÀ-Ý].*)$")
# A row label numbered by a letter, a figure or a Roman numeral ("A. Favoriser …", "II – Emploi").
_NUMBERED_LABEL = re.compile(r"^(?P<num>[A-H]|\d{1,2}|[IVX]{1,4})\s*[.)\-–—]\s+(?P<label>\S.*)$")
# A row of a table of orientations is a paragraph when its other cells are empty.
MAX_LONE_ROW_WORDS = 20


@dataclass(frozen=True)
class RowOrientation:
    """A table row's orientation (None: the row continues the one above) and the coded
    objective its other cells name, if any ("Emploi | 1A | Augmenter le niveau de qualification …")."""

    label: str | None
    number: str | None = None
    objective_code: str | None = None
    objective: str | None = None


def is_level_column(cell: str) -> bool:
    """Is `cell` the header of a column of orientations ("Axe", "Orientations stratégiques")?"""
    return bool(_level_cell().match(cell.strip()))


def is_flat_header(text: str) -> bool:
    """Is `text` a table's header row flattened to one line, its first column the strategy's level?"""
    return bool(_flat_header().match(text.strip()))


def cut_glued_cell(text: str) -> str:
    """The first cell of a line that glued two cells ("Égalité femmes-hommes Précisions sur …"):
    a capitalised word right after a lower-case word starts the next cell."""
    m = re.search(r"(?<=[a-zà-ÿ)])\s+(?=[A-ZÀ-Ý][a-zà-ÿ])", text)
    head = text[: m.start()] if m else text
    return re.sub(r"\s+(et|ou|de|des|du)$", "", head.strip(" -–—|:;,"))


def is_domain_label(text: str) -> bool:
    """Does `text` read as the name of a domain of the policy ("Mobilités quotidiennes",
    "Jeunesse, éducation, formation"), as a table's row label does, not as an action or a note?"""
    text = text.strip()
    words = re.findall(r"[\wÀ-ÿ'’-]+", text)
    if not words or len(words) > MAX_ROW_LABEL_WORDS or text.endswith((".", ":", ";")):
        return False
    if not re.match(r"[A-ZÀ-Ý]", text):
        return False
    function_words = sum(1 for w in re.split(r"[\s'’]+", fold(text)) if w in _FUNCTION_WORDS)
    return function_words <= 1 and bool(themes_of(text))


def _coded_objective(cells: Sequence[str]) -> tuple[str | None, str | None]:
    """(code, label) of the objective named by a code cell and the cell after it, or by one cell
    that holds both."""
    for code, label in pairwise(cells):
        if _CODE.fullmatch(code) and len(label.split()) > 2:
            return code.rstrip("."), label
    for cell in cells:
        if (m := _CODED_CELL.match(cell)) and len(m.group("label").split()) > 2:
            return m.group("code"), m.group("label")
    return None, None


def _row(cells: Sequence[str]) -> RowOrientation | None:
    """The orientation and objective one row of a table of orientations names."""
    first = cells[0]
    if not first:  # the orientation above goes on
        code, objective = _coded_objective(cells[1:])
        return RowOrientation(None, None, code, objective) if objective else None
    if _CODE.fullmatch(first) or re.fullmatch(r"[\d\s.,%€-]*", first):
        return None  # a table that names orientations by code is about something else (indicators)
    number, label = None, first
    if m := _NUMBERED_LABEL.match(first):
        number, label = m.group("num"), m.group("label")
    return RowOrientation(label, number, *_coded_objective(cells[1:]))


def _lone_row(passages: Sequence[Passage], i: int) -> bool:
    """Is passage i a row whose other cells are empty (read as a short paragraph), the rows below
    it continuing it with an empty first cell?"""
    p = passages[i]
    nxt = passages[i + 1] if i + 1 < len(passages) else None
    return p.kind == BlockKind.PARAGRAPH and len(p.text.split()) <= MAX_LONE_ROW_WORDS \
        and not p.text.rstrip().endswith((".", ":")) \
        and nxt is not None and nxt.kind == BlockKind.TABLE_ROW and nxt.text.startswith("|")


def _row_labels_of_rows(passages: Sequence[Passage], start: int) -> list[tuple[int, RowOrientation]]:
    """The rows under a header row whose first cell is a level column; a row whose other cells
    are empty comes as a short paragraph."""
    out = []
    for i in range(start + 1, len(passages)):
        p = passages[i]
        if p.kind != BlockKind.TABLE_ROW and not _lone_row(passages, i):
            break
        if p.kind == BlockKind.TABLE_ROW and is_level_column(p.text.split("|")[0]):
            break  # the header of the next table
        if (row := _row([c.strip() for c in p.text.split("|")])) is not None:
            out.append((i, row))
    return out


def _row_labels_of_flat_table(passages: Sequence[Passage], start: int) -> list[tuple[int, RowOrientation]]:
    """The row labels standing alone between the cells of a flattened table."""
    out = []
    for i in range(start + 1, min(len(passages), start + MAX_TABLE_PASSAGES)):
        p = passages[i]
        if p.kind == BlockKind.HEADING and not is_flat_header(p.text):
            break
        if p.kind != BlockKind.PARAGRAPH or is_flat_header(p.text):
            continue
        label = cut_glued_cell(p.text)
        if is_domain_label(label):
            out.append((i, RowOrientation(label)))
    return out


def table_row_orientations(passages: Sequence[Passage]) -> dict[int, RowOrientation]:
    """passage index -> its orientation, for every row of a table of orientations."""
    found: dict[int, RowOrientation] = {}
    for i, p in enumerate(passages):
        if p.kind == BlockKind.TABLE_ROW and is_level_column(p.text.split("|")[0]):
            found.update(_row_labels_of_rows(passages, i))
        elif p.kind != BlockKind.TABLE_ROW and is_flat_header(p.text):
            found.update(_row_labels_of_flat_table(passages, i))
    return found
