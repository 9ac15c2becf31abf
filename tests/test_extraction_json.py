"""The JSON of `contrats extract` reads back into the same typed records (issue 13.1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.corpus import ingest_file
from ingest.extract.from_json import extraction_from_json
from ingest.extract.pipeline import extract
from ingest.extract.to_json import extraction_to_json

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "reference" / "qpv_2024_communes_full.csv"


@pytest.mark.parametrize("name", [
    # Shipped contracts' whole extractions: out of the fast loop (-m "not slow"), which keeps the
    # round trip on an opening of another territory's contract.
    pytest.param("maubeuge-val-de-sambre_2024_contrat-de-ville.txt", marks=pytest.mark.slow),
    pytest.param("valenciennes_2019_protocole-engagements.txt", marks=pytest.mark.slow),
    "../tests/gold/openings/cv2024-tours-metropole.txt"])
def test_json_round_trip_keeps_every_field(name: str) -> None:
    ingested = ingest_file(ROOT / "corpus" / name)
    x = extract(ingested.document, ingested.passages, reference_csv=REFERENCE)
    data = extraction_to_json(x)
    assert data["commitments"] and data["signatories"] and data["neighbourhoods"]
    again = extraction_from_json(data, ingested.document)
    assert extraction_to_json(again) == data
    # (A commitment's partner comes back as the contract's partner record: the same body, with
    # every alias the contract uses for it.)
    assert [c.partner.id for c in again.commitments] == [c.partner.id for c in x.commitments]
    assert again.neighbourhoods == x.neighbourhoods and again.territory == x.territory
    assert again.orientations == x.orientations and again.indicators == x.indicators
    # Without the document (the build's JSON alone): the same JSON again.
    assert extraction_to_json(extraction_from_json(data)) == data


def test_a_record_keeps_its_own_partner_name_beside_the_partner_list() -> None:
    """A commitment may write a body's name otherwise than the partner list does ("Sa du Hainaut"
    and "SA du Hainaut"): each comes back as written."""
    data = {
        "document": {"id": "d", "title": None, "territory": "T", "period": {"start": None, "end": None},
                     "generation": "2015", "source": "d.txt", "source_format": "text", "sha256": "0",
                     "amends": None, "contract_code": None, "warnings": ["w"]},
        "territory": {"name": "T", "short_name": None, "siren": None, "contract_code": None},
        "neighbourhoods": [], "signatories": [], "orientations": [], "indicators": [], "uncertain_commitments": [],
        "partners": [{"id": "bailleur-sa-du-hainaut", "name": "SA du Hainaut", "aliases": ["SA DU HAINAUT"],
                      "type": "social_landlord", "siren": None}],
        "commitments": [{"id": "d/c1", "partner": "Sa du Hainaut", "partner_id": "bailleur-sa-du-hainaut",
                         "partner_type": "social_landlord", "text": "Elle réhabilitera 40 logements.",
                         "kind": "commitment", "orientation": None, "objective": None, "neighbourhoods": [],
                         "themes": [], "page": None, "line": 3, "passage_id": "d#1", "confidence": 0.7,
                         "partner_confidence": 0.6, "review_status": None, "reviewers": [], "revises": None,
                         "orientation_id": None, "objective_id": None}],
    }
    x = extraction_from_json(data)
    assert x.commitments[0].partner.name == "Sa du Hainaut"
    assert x.commitments[0].partner.aliases == ("SA DU HAINAUT",)
    assert extraction_to_json(x) == data
