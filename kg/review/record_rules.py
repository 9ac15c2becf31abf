"""How each sort of reviewed record is found again, corrected, and restored (kg.review.apply applies them).

One `RecordRules` per record type a researcher can review: where a record was read (its
passages), the texts a correction may name it by (its span), the record after its review, and
the record rebuilt from a correction alone when the next model no longer extracts it. A corrected
record is a new fact: `review_status="corrected"` (the graph gives it a node of its own,
kg.graph.writer.fact_node) and `revises` names what the machine said.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from ingest.model import (
    Commitment,
    CommitmentKind,
    Indicator,
    Neighbourhood,
    Organisation,
    Passage,
    Provenance,
    Signatory,
    Status,
)
from kg.review.corrections import Review

Record = Commitment | Indicator | Signatory | Neighbourhood
Partners = Mapping[str, Organisation]


def organisation(actor: Mapping[str, str], partners: Partners) -> Organisation:
    known = partners.get(actor["id"])
    if known is not None:
        return known
    return Organisation(id=actor["id"], name=actor["name"], type=actor["type"])


def _seen_actor(seen: Mapping[str, Any], id_key: str, name_key: str, type_key: str) -> dict[str, str] | None:
    if not seen.get(id_key):
        return None
    return {"id": seen[id_key], "name": seen.get(name_key) or seen[id_key], "type": seen.get(type_key) or "other"}


def _reviewed(review: Review) -> dict[str, Any]:
    return {"review_status": review.status, "reviewers": review.reviewers}


def _place(passage: Passage) -> Provenance:
    return Provenance(passage.id, passage.page, passage.line_start)


# --------------------------------------------------------------------------- commitments
def _commitment(c: Commitment, review: Review, partners: Partners) -> Commitment:
    if review.status == "confirmed":
        return replace(c, **_reviewed(review))
    # A corrected fact is a new node that revises the machine's: never the same id.
    return replace(c, id=f"{c.id}-r", partner=organisation(review.actor, partners) if review.actor else c.partner,
                   text=review.text or c.text, kind=CommitmentKind(review.kind) if review.kind else c.kind,
                   neighbourhoods=review.neighbourhoods if review.neighbourhoods is not None else c.neighbourhoods,
                   confidence=None, partner_confidence=None, revises=c.id, **_reviewed(review))


def _restored_commitment(doc: str, passage: Passage, review: Review, partners: Partners) -> Commitment | None:
    seen = review.seen
    actor = review.actor or _seen_actor(seen, "partner_id", "partner", "partner_type")
    if actor is None:
        return None
    kind = review.kind or seen.get("kind") or "commitment"
    scope = review.neighbourhoods if review.neighbourhoods is not None else tuple(seen.get("neighbourhoods") or ())
    return Commitment(
        id=f"{doc}/r{review.corrections[0].id[:10]}", partner=organisation(actor, partners),
        text=review.text or review.key.span, kind=CommitmentKind(kind), orientation=seen.get("orientation"),
        objective=seen.get("objective"), neighbourhoods=tuple(scope), themes=tuple(seen.get("themes") or ()),
        provenance=_place(passage), **_reviewed(review))


# --------------------------------------------------------------------------- indicators
def _indicator(i: Indicator, review: Review, partners: Partners) -> Indicator:
    if review.status == "confirmed" or not review.text:
        return replace(i, **_reviewed(review))
    return replace(i, id=f"{i.id}-r", text=review.text, confidence=None, revises=i.id, **_reviewed(review))


def _restored_indicator(doc: str, passage: Passage, review: Review, partners: Partners) -> Indicator:
    seen = review.seen
    return Indicator(text=review.text or review.key.span, orientation=seen.get("orientation"),
                     commitment=seen.get("commitment"), provenance=_place(passage),
                     id=f"{doc}/ir{review.corrections[0].id[:10]}", **_reviewed(review))


# --------------------------------------------------------------------------- signatories
def _signatory(s: Signatory, review: Review, partners: Partners) -> Signatory:
    if review.status == "confirmed":
        return replace(s, **_reviewed(review))
    return replace(s, organisation=organisation(review.actor, partners) if review.actor else s.organisation,
                   person=(review.person or None) if review.person is not None else s.person,
                   role=(review.role or None) if review.role is not None else s.role,
                   confidence=None, revises=s.organisation.id, **_reviewed(review))


def _restored_signatory(doc: str, passage: Passage, review: Review, partners: Partners) -> Signatory | None:
    seen = review.seen
    actor = review.actor or _seen_actor(seen, "organisation", "name", "type")
    if actor is None:
        return None
    return Signatory(organisation=organisation(actor, partners),
                     person=(review.person if review.person is not None else seen.get("person")) or None,
                     role=(review.role if review.role is not None else seen.get("role")) or None,
                     provenance=(_place(passage),), **_reviewed(review))


# --------------------------------------------------------------------------- neighbourhoods
def _neighbourhood(n: Neighbourhood, review: Review, partners: Partners) -> Neighbourhood:
    if review.status == "confirmed":
        return replace(n, **_reviewed(review))
    name = review.name or n.name
    # The machine's name stays an alias: the commitments that name the neighbourhood still reach it.
    aliases = tuple(dict.fromkeys(a for a in (*n.aliases, n.name) if a != name))
    fixed = replace(n, name=name, aliases=aliases, confidence=None, revises=n.name, **_reviewed(review))
    if review.code is not None and (review.code or None) != n.code:
        # What the reference said of the machine's code is not said of the reviewer's.
        fixed = replace(fixed, code=review.code or None, official_name=None, insee_codes=(), code_2015=())
    return fixed


def _restored_neighbourhood(doc: str, passage: Passage, review: Review, partners: Partners) -> Neighbourhood:
    seen = review.seen
    code = review.code if review.code is not None else seen.get("code")
    return Neighbourhood(name=review.name or review.key.span, communes=tuple(seen.get("communes") or ()),
                         code=code or None, status=Status(seen.get("status") or "priority"),
                         provenance=(_place(passage),), **_reviewed(review))


@dataclass(frozen=True)
class RecordRules:
    record: str  # FactKey.record
    field: str  # the Extraction attribute holding these records
    passages: Callable[[Any], tuple[str, ...]]  # ids of the passages a record was read from
    spans: Callable[[Any], tuple[str, ...]]  # the texts a correction may name it by
    revise: Callable[[Any, Review, Partners], Any]
    restore: Callable[[str, Passage, Review, Partners], Any]


RULES = (
    RecordRules("commitment", "commitments", lambda c: (c.provenance.passage_id,), lambda c: (c.text,),
                _commitment, _restored_commitment),
    RecordRules("indicator", "indicators", lambda i: (i.provenance.passage_id,), lambda i: (i.text,),
                _indicator, _restored_indicator),
    RecordRules("signatory", "signatories", lambda s: tuple(p.passage_id for p in s.provenance),
                lambda s: (s.organisation.name,), _signatory, _restored_signatory),
    RecordRules("neighbourhood", "neighbourhoods", lambda n: tuple(p.passage_id for p in n.provenance),
                lambda n: (n.name,), _neighbourhood, _restored_neighbourhood),
)


def record_of(record: Record) -> str:
    """The FactKey.record of a record: commitment, indicator, signatory or neighbourhood."""
    return {Commitment: "commitment", Indicator: "indicator", Signatory: "signatory",
            Neighbourhood: "neighbourhood"}[type(record)]


def span_of(record: Record) -> str:
    """The text a correction names a record by (FactKey.span)."""
    return next(r for r in RULES if r.record == record_of(record)).spans(record)[0]
