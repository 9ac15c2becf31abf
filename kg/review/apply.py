"""Applying researchers' corrections (kg.review.corrections) to one document's machine extraction:
its commitments, indicators, signatories and neighbourhoods (kg.review.record_rules says how each
is found, corrected and restored).

Every build runs this after extraction, so a correction outlives the build it was made on and
the next model: the fact is found again by its passage's text and its own text, whatever id the
extractor gave it this time. What cannot be placed is reported, never dropped:
- the passage is gone (the document was replaced by another version): the correction is an
  orphan, listed in the build's warnings and kept in the log;
- the passage is there but the new model no longer extracts the fact: a confirmed or corrected
  fact is restored from what the reviewer saw (the correction's snapshot); a rejected one needs
  nothing more.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from ingest.model import Commitment, Extraction, Passage
from kg.review.corrections import Correction, Review, reviews, text_hash
from kg.review.record_rules import RULES, Record, RecordRules


@dataclass(frozen=True)
class RevisedFact:
    """A record as the graph shows it after review, and the machine record it revises."""

    fact: Record
    review: Review
    machine: Record | None  # None for a fact a reviewer added (or restored after the model lost it)


@dataclass(frozen=True)
class ReviewedExtraction:
    extraction: Extraction  # what every view shows: rejected facts out, corrections in
    revised: tuple[RevisedFact, ...]  # confirmed, corrected and added facts, with their reviews
    rejected: tuple[tuple[Record, Review], ...]  # machine facts a reviewer rejected (audit only)
    orphans: tuple[Correction, ...]  # corrections whose passage this document no longer has

    def orphan_lines(self) -> list[str]:
        return [f"{c.key.document}: a {c.action!r} correction of a {c.key.record} by {c.reviewer} ({c.at[:10]}) "
                f"names a passage this document no longer has: {c.key.span[:80]!r}" for c in self.orphans]


def _numbered(x: Extraction) -> Extraction:
    """Indicators keep their machine position as their id, whatever review removes before them."""
    doc = x.document.id
    return replace(x, indicators=tuple(i if i.id else replace(i, id=f"{doc}/i{n}") for n, i in enumerate(x.indicators)))


def apply_corrections(extraction: Extraction, passages: Sequence[Passage],
                      corrections: Sequence[Correction]) -> ReviewedExtraction:
    """The extraction with the document's corrections applied (the others are ignored)."""
    doc = extraction.document.id
    mine = [c for c in corrections if c.key.document == doc]
    if not mine:
        return ReviewedExtraction(extraction, (), (), ())
    extraction = _numbered(extraction)
    by_hash: dict[str, Passage] = {}
    for p in passages:
        by_hash.setdefault(text_hash(p.text), p)
    by_id = {p.id: p for p in passages}
    partners = {o.id: o for o in extraction.partners}
    state = reviews(mine)
    changes: dict[str, tuple] = {}
    revised: list[RevisedFact] = []
    rejected: list[tuple[Record, Review]] = []
    orphans: list[Correction] = []
    for rules in RULES:
        kept, placed = _apply(doc, rules, getattr(extraction, rules.field), state, by_id, partners, revised, rejected)
        for k, review in state.items():
            if k[3] != rules.record or k in placed:
                continue
            passage = by_hash.get(k[1])
            if passage is None:
                orphans.extend(review.corrections)
                continue
            if review.status == "rejected" or review.kind == "objective":
                continue  # the model no longer extracts what was rejected: nothing to do
            fact = rules.restore(doc, passage, review, partners)
            if fact is not None:
                kept.append(fact)
                revised.append(RevisedFact(fact, review, None))
        changes[rules.field] = tuple(kept)
    x = replace(extraction, **changes)
    x = replace(x, indicators=_relinked(x, revised), partners=_partners(x))
    return ReviewedExtraction(x, tuple(revised), tuple(rejected), tuple(orphans))


def _apply(doc: str, rules: RecordRules, records: Sequence[Record], state: dict, by_id: dict[str, Passage],
           partners: dict, revised: list[RevisedFact], rejected: list) -> tuple[list[Record], set]:
    """The records of one type after review, and the review keys that found their record."""
    placed: set = set()
    kept: list[Record] = []
    for record in records:
        keys = [(doc, text_hash(p.text), text_hash(span), rules.record)
                for pid in rules.passages(record) if (p := by_id.get(pid)) is not None
                for span in rules.spans(record)]
        key = next((k for k in keys if k in state and k not in placed), None)
        if key is None:
            kept.append(record)
            continue
        placed.add(key)
        review = state[key]
        if review.status == "rejected" or review.kind == "objective":
            rejected.append((record, review))
            continue
        fact = rules.revise(record, review, partners)
        kept.append(fact)
        revised.append(RevisedFact(fact, review, record))
    return kept, placed


def _relinked(x: Extraction, revised: Sequence[RevisedFact]) -> tuple:
    """Indicators that measured a corrected commitment measure its revision."""
    renamed = {rf.machine.id: rf.fact.id for rf in revised
               if isinstance(rf.machine, Commitment) and rf.machine.id != rf.fact.id}
    if not renamed:
        return x.indicators
    return tuple(replace(i, commitment=renamed.get(i.commitment, i.commitment)) for i in x.indicators)


def _partners(x: Extraction) -> tuple:
    out = {o.id: o for o in x.partners}
    for c in x.commitments:
        out.setdefault(c.partner.id, c.partner)
    return tuple(out.values())
