"""The JSON shape of `contrats extract` (documented in the README; a contract with users' scripts).

Top-level keys are fixed: document, territory, neighbourhoods, signatories, partners,
orientations, commitments, indicators. Fields may be added inside them, never removed: the
orientations' and objectives' `id` and the records' `orientation_id` / `objective_id` came after
the labels, which stay.
"""

from __future__ import annotations

from typing import Any

from ingest.model import Extraction, Objective, Organisation, Provenance


def _prov(p: Provenance) -> dict[str, Any]:
    return {"passage_id": p.passage_id, "page": p.page, "line": p.line}


def _org(o: Organisation) -> dict[str, Any]:
    return {"id": o.id, "name": o.name, "aliases": list(o.aliases), "type": o.type, "siren": o.siren}


def _objective(o: Objective) -> dict[str, Any]:
    return {
        "label": o.label, "code": o.code, "level": o.level, "themes": list(o.themes),
        "children": [_objective(c) for c in o.children],
        "provenance": [_prov(p) for p in o.provenance], "id": o.id,
    }


def _review(record) -> dict[str, Any]:
    """Researchers' review of a record (kg.review.apply): null and empty on a machine fact."""
    return {"review_status": record.review_status, "reviewers": list(record.reviewers), "revises": record.revises}


def _commitment(c) -> dict[str, Any]:
    return {"id": c.id, "partner": c.partner.name, "partner_id": c.partner.id,
            "partner_type": c.partner.type, "text": c.text, "kind": str(c.kind),
            "orientation": c.orientation, "objective": c.objective,
            "orientation_id": c.orientation_id, "objective_id": c.objective_id,
            "neighbourhoods": list(c.neighbourhoods), "themes": list(c.themes),
            "page": c.provenance.page, "line": c.provenance.line, "passage_id": c.provenance.passage_id,
            "confidence": c.confidence, "partner_confidence": c.partner_confidence,
            "review_status": c.review_status, "reviewers": list(c.reviewers), "revises": c.revises}


def extraction_to_json(x: Extraction) -> dict[str, Any]:
    d = x.document
    meta = d.meta
    return {
        "document": {
            "id": d.id, "title": meta.title, "territory": x.territory.name,
            "period": {"start": meta.period_start, "end": meta.period_end},
            "generation": meta.generation, "source": d.path, "source_format": d.source_format,
            "sha256": d.sha256, "amends": meta.amends, "contract_code": x.territory.contract_code,
            "warnings": list(d.warnings) + list(x.warnings),
        },
        "territory": {"name": x.territory.name, "short_name": x.territory.short_name,
                      "siren": x.territory.siren, "contract_code": x.territory.contract_code},
        "neighbourhoods": [
            {"name": n.name, "aliases": list(n.aliases), "communes": list(n.communes), "code": n.code,
             "status": str(n.status), "insee_codes": list(n.insee_codes), "official_name": n.official_name,
             "codes_2015": list(n.code_2015), "confidence": n.confidence,
             "provenance": [_prov(p) for p in n.provenance], **_review(n)}
            for n in x.neighbourhoods
        ],
        "signatories": [
            {"name": s.organisation.name, "type": s.organisation.type, "organisation": s.organisation.id,
             "person": s.person, "role": s.role, "confidence": s.confidence,
             "provenance": [_prov(p) for p in s.provenance], **_review(s)}
            for s in x.signatories
        ],
        "partners": [_org(o) for o in x.partners],
        "orientations": [
            {"label": o.label, "number": o.number, "aliases": list(o.aliases), "themes": list(o.themes),
             "objectives": [_objective(ob) for ob in o.objectives],
             "provenance": [_prov(p) for p in o.provenance], "id": o.id}
            for o in x.orientations
        ],
        "commitments": [_commitment(c) for c in x.commitments],
        "uncertain_commitments": [_commitment(c) for c in x.uncertain_commitments],
        "indicators": [
            {"id": i.id or f"{d.id}/i{n}", "text": i.text, "orientation": i.orientation, "commitment": i.commitment,
             "page": i.provenance.page, "line": i.provenance.line, "passage_id": i.provenance.passage_id,
             "confidence": i.confidence, **_review(i),
             "orientation_id": i.orientation_id, "objective_id": i.objective_id}
            for n, i in enumerate(x.indicators)
        ],
    }
