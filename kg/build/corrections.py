"""Researchers' corrections in a build (kg.build.pipeline runs this for each document after extraction).

The cache holds the machine's extraction, the build the reviewed one: the corrections of
DATA/corrections/ (kg.review.corrections) are applied to each document (kg.review.apply), its published and
audit graphs written (kg.review.reviewed_graph), and what cannot be applied is a warning of the build,
never lost. `summary.json` → `review` counts the facts by status, in all and per sort of record.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.model import Passage
from kg.review.corrections import RECORDS, Correction, CorrectionLog

if TYPE_CHECKING:
    from kg.build.pipeline import BuildSummary

STATUSES = ("confirmed", "corrected", "added", "rejected", "orphans")


class BuildCorrections:
    """The corrections of one data directory, as one build applies them."""

    def __init__(self, data_dir: Path, summary: BuildSummary, log: Callable[[str], None]) -> None:
        reading = CorrectionLog(data_dir).read()
        self.summary, self.log = summary, log
        self.by_document: dict[str, list[Correction]] = {}
        for c in reading.corrections:
            self.by_document.setdefault(c.key.document, []).append(c)
        for line in reading.unreadable:
            self._warn(f"a correction could not be read and was skipped: {line}")
        summary.review = {"corrections": len(reading.corrections), **dict.fromkeys(STATUSES, 0),
                          "records": {r: dict.fromkeys(STATUSES, 0) for r in RECORDS}}

    def _warn(self, message: str) -> None:
        self.summary.warnings.append(message)
        self.log(f"warning: {message}")

    def _count(self, record: str, status: str, n: int = 1) -> None:
        self.summary.review[status] += n
        self.summary.review["records"][record][status] += n

    def of(self, document_id: str) -> list[Correction]:
        return self.by_document.get(document_id, [])

    def apply(self, extraction_json: dict, passages_json: list[dict], corrections: list[Correction]) -> tuple[dict, str, str]:
        """(reviewed extraction JSON, published N-Triples, audit N-Triples) of one document."""
        from ingest.extract.from_json import extraction_from_json
        from ingest.extract.to_json import extraction_to_json
        from kg.review.apply import apply_corrections
        from kg.review.record_rules import record_of
        from kg.review.reviewed_graph import reviewed_graphs

        passages = [Passage.from_json(p) for p in passages_json]
        reviewed = apply_corrections(extraction_from_json(extraction_json), passages, corrections)
        published, audit = reviewed_graphs(reviewed, passages)
        for fact in reviewed.revised:
            self._count(record_of(fact.fact), fact.review.status)
        for record, _ in reviewed.rejected:
            self._count(record_of(record), "rejected")
        for c in reviewed.orphans:
            self._count(c.key.record, "orphans")
        for line in reviewed.orphan_lines():
            self._warn(line)
        return extraction_to_json(reviewed.extraction), published.serialize(format="nt"), audit.serialize(format="nt")

    def report(self, built: dict[str, str]) -> None:
        """Corrections of documents this build does not have (removed, renamed, or failed)."""
        for document, corrections in sorted(self.by_document.items()):
            if document not in built:
                for c in corrections:
                    self._count(c.key.record, "orphans")
                self._warn(f"{len(corrections)} correction(s) name document {document!r}, which this build "
                           "does not have; kept in data/corrections/ for when it comes back")
