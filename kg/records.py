"""What the search index holds: passages, commitments and objectives, with their filter fields.

Built from the passages and from the extraction JSON of each document (the documented shape of
`contrats extract`), so the index never needs the extractor's internals.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ingest.model import BlockKind, Passage
from kg.index import IndexRecord

# Headings shorter than this say too little to be a search result on their own.
MIN_HEADING_WORDS = 4


@dataclass(frozen=True)
class DocumentRecords:
    """The parts of one document's extraction that the index shows."""

    document: str
    territory: str | None
    commitments: tuple[dict, ...]
    objectives: tuple[dict, ...]  # flattened, each with its orientation label


def records_from_extraction_json(x: dict) -> DocumentRecords:
    objectives: list[dict] = []

    def walk(items: list[dict], orientation: str) -> None:
        for o in items:
            objectives.append({**o, "orientation": orientation})
            walk(o.get("children") or [], orientation)

    for orientation in x.get("orientations", []):
        walk(orientation.get("objectives") or [], orientation["label"])
    return DocumentRecords(x["document"]["id"], x["territory"].get("short_name") or x["territory"]["name"],
                           tuple(x.get("commitments", [])), tuple(objectives))


def _doc_fields(documents: Sequence[dict]) -> dict[str, dict]:
    return {d["id"]: {"territory": d.get("territory_short") or d.get("territory"),
                      "territory_name": d.get("territory"), "generation": d.get("generation")}
            for d in documents}


def index_records(passages: Sequence[Passage], documents: Sequence[dict],
                  extractions: Sequence[DocumentRecords]) -> list[IndexRecord]:
    return list(_iter_records(passages, documents, extractions))


def _iter_records(passages, documents, extractions) -> Iterator[IndexRecord]:
    from kg.uris import commitment_uri, objective_uri

    fields = _doc_fields(documents)
    by_passage = {p.id: p for p in passages}
    for p in passages:
        if p.kind == BlockKind.HEADING and len(p.text.split()) < MIN_HEADING_WORDS:
            continue
        f = fields.get(p.document_id, {})
        yield IndexRecord(
            id=p.id, record_type="passage", text=p.text, document=p.document_id,
            territory=f.get("territory"), generation=f.get("generation"), page=p.page,
            line=p.line_start, section_path=p.section_path, passage_id=p.id,
            extra={"territory_name": f.get("territory_name"), "kind": str(p.kind)},
        )
    for x in extractions:
        f = fields.get(x.document, {})
        for c in x.commitments:
            source = by_passage.get(c.get("passage_id") or "")
            yield IndexRecord(
                id=c["id"], record_type="commitment", text=c["text"], document=x.document,
                territory=f.get("territory"), generation=f.get("generation"), page=c.get("page"),
                line=c.get("line"), section_path=source.section_path if source else (),
                passage_id=c.get("passage_id"), node=commitment_uri(x.document, c["id"]),
                partner=c.get("partner"), partner_type=c.get("partner_type"),
                themes=tuple(c.get("themes") or ()), neighbourhoods=tuple(c.get("neighbourhoods") or ()),
                extra={"territory_name": f.get("territory_name"), "orientation": c.get("orientation"),
                       "objective": c.get("objective"), "kind": c.get("kind"), "partner_id": c.get("partner_id"),
                       "confidence": c.get("confidence"), "partner_confidence": c.get("partner_confidence")},
            )
        for n, o in enumerate(x.objectives):
            prov = (o.get("provenance") or [{}])[0]
            source = by_passage.get(prov.get("passage_id") or "")
            yield IndexRecord(
                id=f"{x.document}/o{n}", record_type="objective", text=o["label"], document=x.document,
                territory=f.get("territory"), generation=f.get("generation"), page=prov.get("page"),
                line=prov.get("line"), section_path=source.section_path if source else (),
                passage_id=prov.get("passage_id"), node=objective_uri(x.document, o["label"], o.get("code")),
                themes=tuple(o.get("themes") or ()),
                extra={"territory_name": f.get("territory_name"), "orientation": o.get("orientation"),
                       "level": o.get("level"), "code": o.get("code")},
            )
