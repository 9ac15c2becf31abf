"""Typed records after the cache (issue 13, item 1): the index's records carry named fields, and
an index written before them (an `extra` object per record) still loads into the same fields;
the facade gives the build's extractions as the extractor's `Extraction` records."""

from __future__ import annotations

import json
from pathlib import Path

from ingest.model import Commitment, Document, DocumentMeta, Extraction, Organisation, Provenance, Territory
from kg.records import DocumentRecords, index_records
from kg.search.index import IndexRecord

DOCUMENTS = [{"id": "arras-2024", "territory": "Communauté urbaine d'Arras", "territory_short": "CUA",
              "generation": "2024"}]


def _commitment() -> Commitment:
    return Commitment(id="arras-2024/c1", partner=Organisation("caf-pas-de-calais", "CAF du Pas-de-Calais", "caf"),
                      text="La CAF s'engage à soutenir les lieux d'accueil enfants-parents.",
                      orientation="Cohésion sociale", objective="Soutenir la parentalité",
                      provenance=Provenance("arras-2024#00000001", None, 12), confidence=0.91,
                      partner_confidence=0.8, review_status="confirmed", reviewers=("A. Martin",))


def test_a_commitment_record_has_its_facts_as_named_fields() -> None:
    x = DocumentRecords("arras-2024", "CUA", (_commitment(),), ())
    [record] = index_records([], DOCUMENTS, [x])
    assert (record.territory, record.territory_name) == ("CUA", "Communauté urbaine d'Arras")
    assert (record.partner, record.partner_id, record.partner_type) == ("CAF du Pas-de-Calais", "caf-pas-de-calais", "caf")
    assert (record.orientation, record.objective, record.kind) == ("Cohésion sociale", "Soutenir la parentalité",
                                                                  "commitment")
    assert (record.confidence, record.partner_confidence) == (0.91, 0.8)
    assert (record.review_status, record.reviewers) == ("confirmed", ("A. Martin",))
    assert IndexRecord.from_json(json.loads(json.dumps(record.to_json()))) == record
    assert "extra" not in record.to_json()


def test_an_index_written_with_the_extra_object_reads_into_the_named_fields() -> None:
    """records.jsonl of an index built before the named fields (the shape of 2026-12-05)."""
    old = {"id": "arras-2024/c1", "record_type": "commitment", "text": "La CAF s'engage…", "document": "arras-2024",
           "territory": "CUA", "generation": "2024", "page": None, "line": 12, "section_path": ["Pilier 1"],
           "passage_id": "arras-2024#00000001", "node": "https://w3id.org/contrats-kg/x", "partner": "CAF",
           "partner_type": "caf", "themes": ["parentalite"], "neighbourhoods": [],
           "extra": {"territory_name": "Communauté urbaine d'Arras", "orientation": "Cohésion sociale",
                     "objective": None, "kind": "commitment", "partner_id": "caf-pas-de-calais",
                     "confidence": 0.91, "partner_confidence": None, "review_status": "corrected",
                     "reviewers": ["A. Martin"], "something_later": 1}}
    record = IndexRecord.from_json(old)
    assert record.territory_name == "Communauté urbaine d'Arras"
    assert (record.partner_id, record.kind, record.confidence) == ("caf-pas-de-calais", "commitment", 0.91)
    assert (record.review_status, record.reviewers) == ("corrected", ("A. Martin",))
    assert record.section_path == ("Pilier 1",) and record.themes == ("parentalite",)


def test_the_facade_gives_the_extractions_typed(tmp_path: Path) -> None:
    from ingest.extract.to_json import extraction_to_json
    from kg.config import Settings
    from kg.facade import Build

    document = Document(id="arras-2024", path="corpus/arras-2024.txt", sha256="0" * 64, source_format="text",
                        meta=DocumentMeta(territory="Communauté urbaine d'Arras", title="Contrat de ville",
                                          generation="2024"), blocks=())
    extraction = Extraction(document=document, territory=Territory("Communauté urbaine d'Arras", "CUA"),
                            commitments=(_commitment(),))
    build = tmp_path / "b1"
    (build / "extractions").mkdir(parents=True)
    saved = extraction_to_json(extraction)
    (build / "extractions" / "arras-2024.json").write_text(json.dumps(saved), encoding="utf-8")
    opened = Build(build, Settings(data_dir=tmp_path))
    [(doc, typed)] = opened.extractions().items()
    assert doc == "arras-2024" and isinstance(typed, Extraction)
    assert typed.commitments == (_commitment(),)
    assert typed.territory.short_name == "CUA" and typed.document.meta.title == "Contrat de ville"
    assert opened.extraction_json() == {"arras-2024": saved}
