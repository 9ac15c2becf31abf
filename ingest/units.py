"""From passages to units: the sentences, list items and table rows that extraction decides on.

A unit is what the annotation guide (tests/gold/GUIDE.md) labels and what the learned extractor
classifies: a list item, a table row, a heading, or one sentence of a paragraph. Paragraphs are
cut into sentences because the genre mixes diagnosis and commitment in one paragraph ("Le
quartier compte 40 % de chômeurs. La CAF financera …"): a paragraph-level label would make a
diagnosis a commitment or lose the commitment.

Unit ids are `<passage id>/<n>` (n = sentence rank in the passage), so they are as stable as
passage ids: they change only when the passage's text does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ingest.model import BlockKind, Passage

# Abbreviations after which a full stop does not end a sentence (lower-cased, without the dot).
_ABBREVIATIONS = frozenset(
    ["m", "mm", "mme", "mmes", "mlle", "dr", "pr", "st", "ste", "art", "cf", "ex", "etc", "env", "vol", "p", "pp", "no", "n°", "nos", "av", "bd", "fig", "chap", "min", "max", "approx", "coll", "dir", "éd", "ed", "al", "op", "cit", "adj", "sq", "ibid", "resp"])
# A sentence ends at . ! ? … (possibly followed by a closing quote or bracket), then space, then
# something that starts a sentence: a capital, a digit, a quote, a dash or a bullet.
_BOUNDARY = re.compile(r"(?<=[.!?…])([»\"”’)\]]?)\s+(?=[«\"“(\[A-ZÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸ0-9•\-–—])")
_MIN_SENTENCE = 12  # characters: shorter pieces stay with the previous sentence ("Art. 3.")


@dataclass(frozen=True)
class Unit:
    """One sentence, list item, table row or heading, with the passage it belongs to."""

    id: str  # "<passage id>/<n>"
    passage: Passage
    rank: int  # rank of the sentence in its passage (0 for non-paragraphs)
    text: str

    @property
    def kind(self) -> BlockKind:
        return self.passage.kind

    @property
    def line(self) -> int:
        return self.passage.line_start

    @property
    def document_id(self) -> str:
        return self.passage.document_id


def split_sentences(text: str) -> list[str]:
    """Sentences of a paragraph; pieces shorter than a sentence stay attached to the previous one."""
    pieces: list[str] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        end = m.start() + len(m.group(1))
        candidate = text[start:end].strip()
        last_word = re.findall(r"([\wÀ-ÿ°]+)\.?$", candidate[:-1] if candidate.endswith(".") else candidate)
        if last_word and last_word[-1].lower() in _ABBREVIATIONS and candidate.endswith("."):
            continue
        if len(re.sub(r"\W", "", candidate)) < _MIN_SENTENCE and pieces is not None:
            continue
        pieces.append(candidate)
        start = m.end()
    tail = text[start:].strip()
    if tail:
        if pieces and len(re.sub(r"\W", "", tail)) < _MIN_SENTENCE:
            pieces[-1] = f"{pieces[-1]} {tail}"
        else:
            pieces.append(tail)
    return pieces or [text.strip()]


def passage_units(passage: Passage) -> list[Unit]:
    if passage.kind == BlockKind.PARAGRAPH:
        sentences = split_sentences(passage.text)
    else:
        sentences = [passage.text.strip()]
    return [Unit(id=f"{passage.id}/{n}", passage=passage, rank=n, text=s)
            for n, s in enumerate(sentences) if s]


def units_of(passages: Iterable[Passage]) -> list[Unit]:
    """Every unit of a document, in reading order."""
    return [u for p in passages for u in passage_units(p)]


def unit_index(units: Sequence[Unit]) -> dict[str, Unit]:
    return {u.id: u for u in units}
