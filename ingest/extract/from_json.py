"""Typed records back from the JSON shape of `contrats extract` (ingest/extract/to_json.py).

A build keeps each document's extraction as JSON (the shape users' scripts read); the stages
after it (the index, the views) take the typed `Extraction` again through this one reader, so
that a field is read in one place and checked by the records' own validation (SIREN, QPV and
contract codes). `extraction_to_json(extraction_from_json(j)) == j` for every extraction
(tests/test_extraction_json.py).

The JSON does not hold the document's blocks: give the `Document` (documents.jsonl has its
record, passages.jsonl its text) when the caller has it; without it, a `Document` with the JSON's
identity and metadata and no blocks stands in.

JSON written before the strategy had ids reads back without them (None): the graph then joins a
record to its orientation and objective by label, as it did when that JSON was written.
"""

from __future__ import annotations

from typing import Any

from ingest.model import (
    Commitment,
    CommitmentKind,
    Document,
    DocumentMeta,
    Extraction,
    Indicator,
    Neighbourhood,
    Organisation,
    Orientation,
    Provenance,
    Signatory,
    Status,
    Territory,
)


def _prov(p: dict[str, Any] | None) -> Provenance:
    return Provenance.from_json(p)


def _provs(items: list[dict[str, Any]] | None) -> tuple[Provenance, ...]:
    return tuple(_prov(p) for p in items or ())


def _review(r: dict[str, Any]) -> dict[str, Any]:
    """The review fields of a record (absent from extractions written before they existed)."""
    return {"review_status": r.get("review_status"), "reviewers": tuple(r.get("reviewers") or ()),
            "revises": r.get("revises")}


def _indicator_id(i: dict[str, Any], document_id: str, n: int) -> str | None:
    """An indicator's id when it is not its position's (kept by review): the position's id is
    what the JSON writer gives an indicator without one, so it reads back as none."""
    given = i.get("id")
    return None if given in (None, f"{document_id}/i{n}") else given


def _org(o: dict[str, Any]) -> Organisation:
    return Organisation(id=o["id"], name=o["name"], type=o["type"], aliases=tuple(o.get("aliases") or ()),
                        siren=o.get("siren"))


def orientation_from_json(o: dict[str, Any]) -> Orientation:
    """One orientation with its objective tree, from an extraction's JSON or a gold file's (whose
    objectives carry a `line` instead of a provenance): `Orientation.from_json`."""
    return Orientation.from_json(o)


def _document(d: dict[str, Any], territory: dict[str, Any]) -> Document:
    period = d.get("period") or {}
    meta = DocumentMeta(territory=d.get("territory"), territory_short=territory.get("short_name"),
                        siren=territory.get("siren"), contract_code=d.get("contract_code"), title=d.get("title"),
                        period_start=period.get("start"), period_end=period.get("end"),
                        generation=d.get("generation"), source_format=d.get("source_format"),
                        amends=d.get("amends"))
    return Document(id=d["id"], path=d.get("source") or "", sha256=d.get("sha256") or "",
                    source_format=d.get("source_format") or "text", meta=meta, blocks=())


def extraction_from_json(data: dict[str, Any], document: Document | None = None) -> Extraction:
    """The typed extraction of one document from its JSON (`contrats extract --json`)."""
    partners = {o["id"]: _org(o) for o in data.get("partners") or ()}

    def organisation(org_id: str, name: str, type_: str) -> Organisation:
        # The record's own name and type, as written with it; aliases and SIREN from the partner.
        known = partners.get(org_id)
        return Organisation(id=org_id, name=name, type=type_, aliases=known.aliases if known else (),
                            siren=known.siren if known else None)

    def commitment(c: dict[str, Any]) -> Commitment:
        return Commitment(
            id=c["id"], partner=organisation(c["partner_id"], c["partner"], c["partner_type"]), text=c["text"],
            kind=CommitmentKind(c.get("kind") or "commitment"), orientation=c.get("orientation"),
            objective=c.get("objective"), neighbourhoods=tuple(c.get("neighbourhoods") or ()),
            orientation_id=c.get("orientation_id"), objective_id=c.get("objective_id"),
            themes=tuple(c.get("themes") or ()),
            provenance=Provenance(c.get("passage_id") or "", c.get("page"), c.get("line")),
            confidence=c.get("confidence"), partner_confidence=c.get("partner_confidence"),
            review_status=c.get("review_status"), reviewers=tuple(c.get("reviewers") or ()), revises=c.get("revises"))

    territory = data["territory"]
    doc = document if document is not None else _document(data["document"], territory)
    # The JSON merges the document's warnings and the extraction's: keep those the document lacks.
    warnings = tuple(w for w in data["document"].get("warnings") or () if w not in doc.warnings)
    return Extraction(
        document=doc,
        territory=Territory(territory["name"], territory.get("short_name"), territory.get("siren"),
                            territory.get("contract_code")),
        neighbourhoods=tuple(
            Neighbourhood(name=n["name"], aliases=tuple(n.get("aliases") or ()), communes=tuple(n.get("communes") or ()),
                          code=n.get("code"), status=Status(n.get("status") or "priority"),
                          insee_codes=tuple(n.get("insee_codes") or ()), official_name=n.get("official_name"),
                          provenance=_provs(n.get("provenance")), confidence=n.get("confidence"),
                          code_2015=tuple(n.get("codes_2015") or ()), **_review(n))
            for n in data.get("neighbourhoods") or ()),
        signatories=tuple(
            Signatory(organisation=organisation(s["organisation"], s["name"], s["type"]), person=s.get("person"),
                      role=s.get("role"), provenance=_provs(s.get("provenance")), confidence=s.get("confidence"),
                      **_review(s))
            for s in data.get("signatories") or ()),
        partners=tuple(partners.values()),
        orientations=tuple(orientation_from_json(o) for o in data.get("orientations") or ()),
        commitments=tuple(commitment(c) for c in data.get("commitments") or ()),
        indicators=tuple(
            Indicator(text=i["text"], id=_indicator_id(i, doc.id, n), orientation=i.get("orientation"),
                      commitment=i.get("commitment"), orientation_id=i.get("orientation_id"),
                      objective_id=i.get("objective_id"),
                      provenance=Provenance(i.get("passage_id") or "", i.get("page"), i.get("line")),
                      confidence=i.get("confidence"), **_review(i))
            for n, i in enumerate(data.get("indicators") or ())),
        warnings=warnings,
        uncertain_commitments=tuple(commitment(c) for c in data.get("uncertain_commitments") or ()),
    )
