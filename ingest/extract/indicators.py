"""Monitoring indicators, attached to the commitment or orientation they measure.

Three shapes: a block ("Indicateurs de suivi :" then items), an inline clause ("Indicateurs et
suivis : …", "Le suivi et l'évaluation de cet engagement se feront en s'appuyant sur …") inside
the commitment it measures, and a table whose header names an indicators column.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from ingest.model import BlockKind, Commitment, Document, Indicator, Passage, Provenance
from ingest.normalise import fold

Locate = Callable[[Passage], tuple[str | None, str | None]]

# "Indicateurs de suivi :", "Les indicateurs de réussite pourraient être les suivants :"
_BLOCK = re.compile(r"^(?:(?:les\s+|plusieurs\s+|des\s+|quelques\s+)?(?:principaux\s+)?indicateurs?\b[^.]{0,90}?|(?:evaluation|suivi)\s+(?:qualitative|quantitative)|"
                    r"criteres?\s+d'evaluation|modalites\s+de\s+suivi)\s*:?\s*$")
# "Indicateurs et suivis : A, B" on one line.
_INLINE = re.compile(r"indicateurs?(?:\s+(?:et|de)\s+(?:suivis?|evaluation|resultats?|realisation|reussite))?\s*:\s*(?P<rest>.+)$")
# "Le suivi et l'évaluation de cet engagement se feront en s'appuyant sur …"
_EVALUATED_ON = re.compile(
    r"(?:suivi|evaluation)[^.]{0,80}?(?:s'appuyer\w*|s'appuiera|s'appuieront|reposer\w*|mesure\w*|"
    r"appreci\w*|realise\w*|feront|fera)[^.]{0,90}?\b(?:sur|par|a partir|au regard)\b\s*(?:de\s+|d')?")
_TABLE_HEADER = re.compile(r"\bindicateurs?\b")
MAX_INDICATOR_WORDS = 40


_DETERMINER = r"(?:le|la|les|l'|un|une|des|du|leur|nombre|taux|part|evolution|niveau|nb|pourcentage|proportion)\b"


def split_measures(text: str) -> list[str]:
    """One indicator per measure: split on sentences, semicolons, and commas or "et" before a
    new determiner ("le taux de …, le nombre de … et la part de …")."""
    text = text.strip().rstrip(".;")
    parts = [p.strip() for p in re.split(r"\s*;\s*|(?<=[a-zé)»])\.\s+(?=[A-ZÀ-Ý])|\s+-\s+|\s*•\s*", text) if p.strip()]
    out: list[str] = []
    for part in parts:
        # A capital opens a measure when it opens a word ("IPS", "Données …"); "N+3" of "2024 à N+2
        # et N+3" is a year's code, not a measure of its own.
        pieces = [x.strip() for x in re.split(rf"(?:,|\s+et)\s+(?=(?i:{_DETERMINER})|[A-ZÀ-Ý][A-Za-zà-ÿ])", part)
                  if x.strip()]
        out.extend(pieces if all(len(x.split()) <= 25 for x in pieces) else [part])
    return [p for p in out if 1 <= len(p.split()) <= MAX_INDICATOR_WORDS]


def inline_measures(text: str) -> list[str]:
    """The measures of a clause that names itself inside a unit ("Indicateurs : a ; b",
    "Indicateur de suivi : …"), one each; [] when the unit has no such clause."""
    folded = fold(text)
    m = _INLINE.search(folded)
    if not m:
        return []
    # Offsets of the folded text are the text's while folding keeps the length ("œ" does not).
    return split_measures(text[m.start("rest"):] if len(folded) == len(text) else folded[m.start("rest"):])


class IndicatorExtractor:
    def __init__(self, passages: Sequence[Passage], commitments: Sequence[Commitment], locate: Locate) -> None:
        self.passages = passages
        self.locate = locate
        self.by_passage: dict[str, str] = {}
        for c in commitments:
            self.by_passage.setdefault(c.provenance.passage_id, c.id)
        self.out: list[Indicator] = []
        self.seen: set[tuple[str, str | None]] = set()

    def run(self) -> list[Indicator]:
        in_block = False
        last_commitment: str | None = None
        indicator_column: int | None = None
        for p in self.passages:
            text = p.text.strip()
            folded = fold(text)
            if p.id in self.by_passage:
                last_commitment = self.by_passage[p.id]
            if p.kind == BlockKind.TABLE_ROW:
                indicator_column = self._table_row(p, text, folded, indicator_column)
                continue
            indicator_column = None
            if _BLOCK.match(folded) and len(text.split()) <= 20 and not _INLINE.search(folded):
                in_block = True
                continue
            # A block's measures come as items, or as paragraphs listing them with commas.
            if in_block and (p.kind == BlockKind.LIST_ITEM or (p.kind == BlockKind.PARAGRAPH
                                                               and len(text.split()) <= 120)):
                for item in split_measures(text):
                    self._add(item, p, None)
                continue
            in_block = False
            self._inline(p, text, folded, self.by_passage.get(p.id) or (
                last_commitment if p.kind == BlockKind.HEADING else None))
        return self.out

    def _inline(self, p: Passage, text: str, folded: str, commitment: str | None) -> None:
        if _INLINE.search(folded):
            for item in inline_measures(text):
                self._add(item, p, commitment)
            return
        if m := _EVALUATED_ON.search(folded):
            rest = text[m.end():]
            rest = re.split(r"(?<=[a-zé)»])\.\s", rest, maxsplit=1)[0]
            for item in split_measures(rest):
                self._add(item, p, commitment)

    def _table_row(self, p: Passage, text: str, folded: str, column: int | None) -> int | None:
        cells = [c.strip() for c in text.split("|")]
        if column is None:
            for n, cell in enumerate(cells):
                if _TABLE_HEADER.search(fold(cell)) and len(cell.split()) <= 4:
                    return n
            return None
        if column < len(cells) and cells[column]:
            for item in split_measures(cells[column]):
                self._add(item, p, self.by_passage.get(p.id))
        return column

    def _add(self, text: str, p: Passage, commitment: str | None) -> None:
        text = text.strip(" :-–—")
        key = (fold(text), commitment)
        if not text or key in self.seen:
            return
        self.seen.add(key)
        orientation, _ = self.locate(p)
        self.out.append(Indicator(text=text, orientation=orientation, commitment=commitment,
                                  provenance=Provenance(p.id, p.page, p.line_start)))


def extract_indicators(document: Document, passages: Sequence[Passage], commitments: Sequence[Commitment],
                       locate: Locate) -> list[Indicator]:
    """Every indicator of one document, attached to its commitment when it sits inside one."""
    return IndicatorExtractor(passages, commitments, locate).run()
