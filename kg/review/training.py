"""Researchers' corrections as training data for the extraction model (`contrats train
--with-corrections`, `contrats eval --cross-document --with-corrections`).

Each reviewed fact becomes a labelled unit of its document: confirmed, corrected or added
commitments are commitments (or proposals) of the reviewed partner, rejected ones are "none",
and those re-kinded as objectives are objectives. Only the reviewed units of a document are
used (`AnnotatedDocument.complete = False`): a unit nobody reviewed is unknown, not "none".
Documents that are completely annotated in tests/gold are left out: their annotation already
says what every unit is, and it was made under the written guide with an agreement figure.
All corrected documents together weigh one training document (group "corrections"), so that
a few hundred clicks inform the model without outweighing the annotated contracts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ingest.training.extraction import AnnotatedDocument, UnitLabel
from kg.jsonl import read_jsonl
from kg.review.corrections import CorrectionLog, Review, reviews

GROUP = "corrections"


@dataclass(frozen=True)
class CorrectionsForTraining:
    documents: tuple[AnnotatedDocument, ...]
    units: int  # reviewed units used
    skipped: tuple[str, ...]  # one line per document not used, and why


def _label(review: Review) -> tuple[str, str | None, str | None]:
    """(label, actor name, actor type) of a reviewed fact."""
    if review.status == "rejected":
        return "none", None, None
    kind = review.kind or review.seen.get("kind") or "commitment"
    if kind == "objective":
        return "objective", None, None
    actor = review.actor or {"name": review.seen.get("partner"), "type": review.seen.get("partner_type")}
    return kind, actor.get("name"), actor.get("type")


def corrections_for_training(data_dir: Path, build_dir: Path, annotated: Iterable[str]) -> CorrectionsForTraining:
    """The corrections of `data_dir`, as partially labelled documents whose sources the build
    `build_dir` names (documents.jsonl); `annotated`: ids of completely annotated documents."""
    by_doc: dict[str, list[Review]] = {}
    for review in reviews(CorrectionLog(data_dir).corrections()).values():
        if review.key.record == "commitment":  # the model learns commitments; the other records are read by rules
            by_doc.setdefault(review.key.document, []).append(review)
    documents = {d["id"]: d for d in read_jsonl(build_dir / "documents.jsonl")}
    gold = set(annotated)
    out, skipped, units = [], [], 0
    for doc_id, facts in sorted(by_doc.items()):
        if doc_id in gold:
            skipped.append(f"{doc_id}: completely annotated in tests/gold; its annotation is used instead")
            continue
        source = Path(documents.get(doc_id, {}).get("path") or "")
        if not documents.get(doc_id) or not source.is_file():
            skipped.append(f"{doc_id}: not in the current build, or its source file is gone")
            continue
        labels = []
        for n, review in enumerate(facts):
            label, actor, actor_type = _label(review)
            scope = review.neighbourhoods if review.neighbourhoods is not None else \
                tuple(review.seen.get("neighbourhoods") or ())
            labels.append(UnitLabel(f"r{n}", "", int(review.seen.get("line") or 0), review.key.span, label, actor, actor_type, tuple(scope)))
        units += len(labels)
        out.append(AnnotatedDocument(doc_id, source, labels, group=GROUP, complete=False))
    return CorrectionsForTraining(tuple(out), units, tuple(skipped))
