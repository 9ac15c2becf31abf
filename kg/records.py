"""What the search index holds: passages, commitments and objectives, with their filter fields.

Built from the passages and from the extraction JSON of each document (the documented shape of
`contrats extract`), so the index never needs the extractor's internals.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ingest.model import BlockKind, Commitment, Extraction, Objective, Passage, Provenance, walk_strategy
from kg.search.index import IndexRecord

# Headings shorter than this say too little to be a search result on their own.
MIN_HEADING_WORDS = 4


@dataclass(frozen=True)
class DocumentRecords:
    """The parts of one document's extraction that the index shows."""

    document: str
    territory: str | None
    commitments: tuple[Commitment, ...]
    objectives: tuple[tuple[Objective, str], ...]  # each objective with its orientation's label


def records_from_extraction(x: Extraction) -> DocumentRecords:
    return DocumentRecords(x.document.id, x.territory.short_name or x.territory.name, x.commitments,
                           tuple((step.objective, step.orientation.label) for step in walk_strategy(x.orientations)))


def records_from_extraction_json(x: dict) -> DocumentRecords:
    """The same from the JSON a build keeps (`contrats extract --json`), read back typed."""
    from ingest.extract.from_json import extraction_from_json

    return records_from_extraction(extraction_from_json(x))


def document_fields(documents: Sequence[dict]) -> dict[str, dict]:
    return {d["id"]: {"territory": d.get("territory_short") or d.get("territory"),
                      "territory_name": d.get("territory"), "generation": d.get("generation")}
            for d in documents}


def index_records(passages: Sequence[Passage], documents: Sequence[dict],
                  extractions: Sequence[DocumentRecords]) -> list[IndexRecord]:
    return list(_iter_records(passages, documents, extractions))


def _iter_records(passages, documents, extractions) -> Iterator[IndexRecord]:
    fields = document_fields(documents)
    yield from passage_records(passages, fields)
    by_passage = {p.id: p for p in passages}
    for x in extractions:
        yield from extraction_records(x, fields, by_passage)


def passage_records(passages: Sequence[Passage], fields: dict[str, dict]) -> Iterator[IndexRecord]:
    """The passages worth a search result; `fields`: the documents' filter fields (`document_fields`)."""
    for p in passages:
        if p.kind == BlockKind.HEADING and len(p.text.split()) < MIN_HEADING_WORDS:
            continue
        f = fields.get(p.document_id, {})
        yield IndexRecord(
            id=p.id, record_type="passage", text=p.text, document=p.document_id,
            territory=f.get("territory"), generation=f.get("generation"), page=p.page,
            line=p.line_start, section_path=p.section_path, passage_id=p.id,
            territory_name=f.get("territory_name"), kind=str(p.kind),
        )


def extraction_records(x: DocumentRecords, fields: dict[str, dict],
                       by_passage: dict[str, Passage]) -> Iterator[IndexRecord]:
    """One document's commitments and objectives; `by_passage` gives their passages' sections."""
    from kg.graph.uris import commitment_uri, objective_uri

    f = fields.get(x.document, {})
    for c in x.commitments:
        prov = c.provenance
        source = by_passage.get(prov.passage_id)
        yield IndexRecord(
            id=c.id, record_type="commitment", text=c.text, document=x.document,
            territory=f.get("territory"), generation=f.get("generation"), page=prov.page,
            line=prov.line, section_path=source.section_path if source else (),
            passage_id=prov.passage_id or None, node=str(commitment_uri(x.document, c.id)),
            partner=c.partner.name, partner_type=c.partner.type,
            themes=c.themes, neighbourhoods=c.neighbourhoods,
            territory_name=f.get("territory_name"), orientation=c.orientation, objective=c.objective,
            kind=str(c.kind), partner_id=c.partner.id, confidence=c.confidence,
            partner_confidence=c.partner_confidence, review_status=c.review_status, reviewers=c.reviewers,
        )
    for n, (o, orientation) in enumerate(x.objectives):
        prov = o.provenance[0] if o.provenance else Provenance("")
        source = by_passage.get(prov.passage_id)
        yield IndexRecord(
            id=f"{x.document}/o{n}", record_type="objective", text=o.label, document=x.document,
            territory=f.get("territory"), generation=f.get("generation"), page=prov.page,
            line=prov.line, section_path=source.section_path if source else (),
            passage_id=prov.passage_id or None, node=str(objective_uri(x.document, o.label, o.code)),
            themes=o.themes,
            territory_name=f.get("territory_name"), orientation=orientation, level=o.level, code=o.code,
        )
