"""Applying researchers' corrections (kg.corrections) to one document's machine extraction.

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

from ingest.model import Commitment, CommitmentKind, Extraction, Organisation, Passage, Provenance
from kg.corrections import Correction, Review, reviews, text_hash


@dataclass(frozen=True)
class RevisedFact:
    """A commitment as the graph shows it after review, and the machine fact it revises."""

    fact: Commitment
    review: Review
    machine: Commitment | None  # None for a fact a reviewer added (or restored after the model lost it)


@dataclass(frozen=True)
class ReviewedExtraction:
    extraction: Extraction  # what every view shows: rejected facts out, corrections in
    revised: tuple[RevisedFact, ...]  # confirmed, corrected and added facts, with their reviews
    rejected: tuple[tuple[Commitment, Review], ...]  # machine facts a reviewer rejected (audit only)
    orphans: tuple[Correction, ...]  # corrections whose passage this document no longer has

    def orphan_lines(self) -> list[str]:
        return [f"{c.key.document}: a {c.action!r} correction by {c.reviewer} ({c.at[:10]}) names a passage "
                f"this document no longer has: {c.key.span[:80]!r}" for c in self.orphans]


def apply_corrections(extraction: Extraction, passages: Sequence[Passage],
                      corrections: Sequence[Correction]) -> ReviewedExtraction:
    """The extraction with the document's corrections applied (the others are ignored)."""
    doc = extraction.document.id
    mine = [c for c in corrections if c.key.document == doc]
    if not mine:
        return ReviewedExtraction(extraction, (), (), ())
    by_hash: dict[str, Passage] = {}
    for p in passages:
        by_hash.setdefault(text_hash(p.text), p)
    partners = {o.id: o for o in extraction.partners}
    by_id = {p.id: p for p in passages}
    placed: dict[tuple[str, str, str], Commitment] = {}
    for c in extraction.commitments:
        if (p := by_id.get(c.provenance.passage_id)) is not None:
            placed.setdefault((doc, text_hash(p.text), text_hash(c.text)), c)
    key_of = {id(c): k for k, c in placed.items()}

    kept: list[Commitment] = []
    revised: list[RevisedFact] = []
    rejected: list[tuple[Commitment, Review]] = []
    orphans: list[Correction] = []
    state = reviews(mine)
    for c in extraction.commitments:
        review = state.get(key_of.get(id(c), ("", "", "")))
        if review is None:
            kept.append(c)
        elif review.status == "rejected" or review.kind == "objective":
            rejected.append((c, review))
        else:
            fact = _revised(c, review, partners)
            kept.append(fact)
            revised.append(RevisedFact(fact, review, c))
    for k, review in state.items():
        if k in placed:
            continue
        passage = by_hash.get(k[1])
        if passage is None:
            orphans.extend(review.corrections)
            continue
        if review.status == "rejected" or review.kind == "objective":
            continue  # the model no longer extracts what was rejected: nothing to do
        fact = _restored(doc, passage, review, partners)
        if fact is not None:
            kept.append(fact)
            revised.append(RevisedFact(fact, review, None))
    new_partners = {o.id: o for o in extraction.partners}
    for c in kept:
        new_partners.setdefault(c.partner.id, c.partner)
    x = replace(extraction, commitments=tuple(kept), partners=tuple(new_partners.values()))
    return ReviewedExtraction(x, tuple(revised), tuple(rejected), tuple(orphans))


def _organisation(actor: dict[str, str], partners: dict[str, Organisation]) -> Organisation:
    known = partners.get(actor["id"])
    if known is not None:
        return known
    return Organisation(id=actor["id"], name=actor["name"], type=actor["type"])


def _revised(c: Commitment, review: Review, partners: dict[str, Organisation]) -> Commitment:
    if review.status == "confirmed":
        return replace(c, review_status="confirmed", reviewers=review.reviewers)
    # A corrected fact is a new node that revises the machine's: never the same id.
    return replace(c, id=f"{c.id}-r", partner=_organisation(review.actor, partners) if review.actor else c.partner,
                   text=review.text or c.text, kind=CommitmentKind(review.kind) if review.kind else c.kind,
                   neighbourhoods=review.neighbourhoods if review.neighbourhoods is not None else c.neighbourhoods,
                   confidence=None, partner_confidence=None, review_status="corrected", reviewers=review.reviewers,
                   revises=c.id)


def _restored(doc: str, passage: Passage, review: Review, partners: dict[str, Organisation]) -> Commitment | None:
    """A reviewed fact the model did not extract this time, from the review and its snapshot."""
    seen = review.seen
    actor = review.actor or ({"id": seen["partner_id"], "name": seen.get("partner") or seen["partner_id"],
                              "type": seen.get("partner_type") or "other"} if seen.get("partner_id") else None)
    if actor is None:
        return None
    kind = review.kind or seen.get("kind") or "commitment"
    scope = review.neighbourhoods if review.neighbourhoods is not None else tuple(seen.get("neighbourhoods") or ())
    return Commitment(
        id=f"{doc}/r{review.corrections[0].id[:10]}", partner=_organisation(actor, partners),
        text=review.text or review.key.span, kind=CommitmentKind(kind), orientation=seen.get("orientation"),
        objective=seen.get("objective"), neighbourhoods=tuple(scope), themes=tuple(seen.get("themes") or ()),
        provenance=Provenance(passage.id, passage.page, passage.line_start),
        review_status=review.status, reviewers=review.reviewers)

