"""Recognising headings in running text from their numbering, wording, capitals or weight."""

from __future__ import annotations

import re
from functools import cache

from ingest.resources import load_yaml

MAX_HEADING_CHARS = 160


@cache
def _patterns() -> tuple[tuple[int, re.Pattern[str]], ...]:
    return tuple((int(level), re.compile(p, re.IGNORECASE)) for level, p in load_yaml("headings.yaml")["patterns"])


def heading_level(line: str, bold: bool = False) -> int | None:
    """The depth of `line` if it reads as a heading, else None.

    A heading is short, does not end like a sentence, and is numbered, opens with a structural
    word (Orientation, Axe, Objectif…), is set in capitals, or is entirely bold.
    """
    text = line.strip()
    if not text or len(text) > MAX_HEADING_CHARS or len(text.split()) > 24:
        return None
    if text.endswith((",", ";")):
        return None
    sentence_like = text.endswith(".") and len(text) > 60
    if sentence_like:
        return None
    for level, pattern in _patterns():
        if pattern.search(text):
            return level
    letters = [c for c in text if c.isalpha()]
    # A line set in capitals, standing alone, is a heading up to the general limit: a section's
    # full title runs long ("PROPOSITIONS DE PISTES D'ACTIONS ISSUES DES ATELIERS …"), and body text
    # is never set in capitals for a whole line; but a long line of capitals and figures is a table
    # row that lost its cells.
    if len(letters) >= 4 and sum(c.isupper() for c in letters) / len(letters) > 0.9 \
            and (len(text) <= 100 or sum(c.isdigit() for c in text) < 0.1 * len(text)):
        return 1
    if bold and len(text) <= 120:
        return 2
    return None


def is_structural(line: str) -> bool:
    """Is `line` a heading by the genre's structural words ("Priorité 2 : …", "Axe 3 –", "Objectif
    opérationnel"), not merely by its capitals or weight? Such a line never continues the sentence
    above it."""
    text = line.strip()
    if not re.match(r"[A-ZÀ-Ý][A-Za-zÀ-ÿ]{2,}\b", text):
        # "orientations du contrat …" is the end of a sentence, "1 - Nombre de …" an item as often
        # as a heading: only a capitalised structural word is sure.
        return False
    return heading_level(text) is not None and any(p.search(text) for _, p in _patterns())
