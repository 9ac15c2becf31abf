"""Recording a review of a fact of the current build, and what is pending until the next build.

The app and `contrats review` both go through here: a commitment is named by its id in the build
the reviewer is looking at, and turned into a `FactKey` (document, passage text hash, span) that
the next builds will find again (kg.review). Corrections made after the current build are
"pending": the views overlay them at once (a rejected fact disappears, a corrected partner shows),
and the next build writes them into the graph with their provenance.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kg.corrections import (
    Correction,
    CorrectionLog,
    FactKey,
    Review,
    fact_index,
    new_correction,
    reviews,
    text_hash,
)
from kg.jsonl import read_jsonl


class UnknownFact(KeyError):
    """No such commitment or passage in the current build."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class BuildFacts:
    """The commitments and passages of one build, by id, read once."""

    build_dir: Path
    commitments: Mapping[str, dict[str, Any]]
    passages: Mapping[str, dict[str, Any]]
    applied: int  # corrections of the log this build applied (the first `applied` ones)

    @classmethod
    def read(cls, build_dir: Path) -> BuildFacts:
        from kg.session import load_extractions

        commitments = {c["id"]: {**c, "document": doc} for doc, x in load_extractions(build_dir).items()
                       for c in x.get("commitments") or ()}
        passages = {p["id"]: p for p in read_jsonl(build_dir / "passages.jsonl")}
        summary = json.loads((build_dir / "summary.json").read_text(encoding="utf-8"))
        return cls(build_dir, commitments, passages, int((summary.get("review") or {}).get("corrections", 0)))

    def key(self, commitment_id: str) -> tuple[FactKey, dict[str, Any]]:
        """The commitment's stable key and what the reviewer sees of it."""
        c = self.commitments.get(commitment_id)
        if c is None:
            raise UnknownFact(f"no commitment {commitment_id!r} in the current build ({self.build_dir.name})")
        passage = self.passages.get(c.get("passage_id") or "")
        if passage is None:
            raise UnknownFact(f"commitment {commitment_id!r} names no passage of the build; it cannot be reviewed")
        seen = {k: c.get(k) for k in ("id", "partner", "partner_id", "partner_type", "kind", "orientation",
                                      "objective", "neighbourhoods", "themes", "confidence", "review_status",
                                      "page", "line", "passage_id")}
        seen["build"] = self.build_dir.name
        return FactKey(c["document"], text_hash(passage["text"]), c["text"]), seen


def record(data_dir: Path, facts: BuildFacts, commitment_id: str, action: str, reviewer: str,
           value: dict[str, Any] | None = None, why: str = "") -> Correction:
    """Review a commitment of the build: confirm, reject, actor, span, kind or scope."""
    key, seen = facts.key(commitment_id)
    correction = new_correction(key, action, reviewer, value, why, seen)
    CorrectionLog(data_dir).append(correction)
    return correction


def record_added(data_dir: Path, facts: BuildFacts, passage_id: str, reviewer: str, actor: dict[str, str],
                 kind: str = "commitment", text: str | None = None, why: str = "") -> Correction:
    """A commitment the extractor missed, read from a passage of the build (its whole text by default)."""
    passage = facts.passages.get(passage_id)
    if passage is None:
        raise UnknownFact(f"no passage {passage_id!r} in the current build ({facts.build_dir.name})")
    span = (text or passage["text"]).strip()
    key = FactKey(passage["document_id"], text_hash(passage["text"]), span)
    correction = new_correction(key, "add", reviewer, {"text": span, "actor": dict(actor), "kind": kind}, why,
                                {"build": facts.build_dir.name, "passage_id": passage_id, "page": passage.get("page"),
                                 "line": passage.get("line_start")})
    CorrectionLog(data_dir).append(correction)
    return correction


def pending(data_dir: Path, facts: BuildFacts) -> dict[tuple[str, str, str], Review]:
    """The reviews of facts corrected since this build (by fact_index of their key)."""
    later = CorrectionLog(data_dir).corrections()[facts.applied:]
    return reviews(later) if later else {}


def pending_review(facts: BuildFacts, waiting: Mapping[tuple[str, str, str], Review], commitment_id: str) -> Review | None:
    """The pending review of one commitment of the build, if any."""
    if not waiting:
        return None
    try:
        key, _ = facts.key(commitment_id)
    except UnknownFact:
        return None
    return waiting.get(fact_index(key))
