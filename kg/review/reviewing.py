"""Recording a review of a fact of the current build, and what is pending until the next build.

The app and `contrats review` both go through here: a fact is named by its id in the build the
reviewer is looking at, and turned into a `FactKey` (document, passage text hash, span, record)
that the next builds will find again (kg.review.apply). Fact ids: a commitment's own id
("<doc>/c12"), an indicator's ("<doc>/i3"), and for signatories and neighbourhoods their position
in the document's extraction ("<doc>/s2", "<doc>/n1"); `BuildFacts.of_document` lists them. Corrections made after the current build are
"pending": the views overlay them at once (a rejected fact disappears, a corrected partner shows),
and the next build writes them into the graph with their provenance.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg.jsonl import read_jsonl
from kg.review.corrections import (
    Correction,
    CorrectionLog,
    FactKey,
    Review,
    fact_index,
    new_correction,
    reviews,
    text_hash,
)


class UnknownFact(KeyError):
    """No such fact or passage in the current build."""

    def __str__(self) -> str:
        return str(self.args[0])


RECORD_FIELDS = {"commitment": "commitments", "indicator": "indicators", "signatory": "signatories",
                 "neighbourhood": "neighbourhoods"}
RECORD_FR = {"commitment": "engagement", "indicator": "indicateur", "signatory": "signataire",
             "neighbourhood": "quartier"}


@dataclass(frozen=True)
class Fact:
    """One reviewable fact of a build, as the app and `contrats review` show and name it."""

    id: str
    record: str  # commitment | indicator | signatory | neighbourhood
    document: str
    span: str  # what a correction names it by (kg.review.record_rules.RULES)
    label: str  # what a reviewer reads
    passage_id: str | None
    page: int | None
    line: int | None
    confidence: float | None
    review_status: str | None
    reviewers: tuple[str, ...]
    data: Mapping[str, Any] = field(default_factory=dict)  # the record as the build's extraction has it


def _where(r: Mapping[str, Any]) -> tuple[str | None, int | None, int | None]:
    if "passage_id" in r:
        return r.get("passage_id"), r.get("page"), r.get("line")
    first = (r.get("provenance") or [{}])[0]
    return first.get("passage_id"), first.get("page"), first.get("line")


def _label(record: str, r: Mapping[str, Any]) -> tuple[str, str]:
    """(span, label) of a record of the build's extraction JSON."""
    if record == "signatory":
        who = " · ".join(v for v in (r.get("person"), r.get("role")) if v)
        return r["name"], r["name"] + (f" — {who}" if who else "")
    if record == "neighbourhood":
        return r["name"], r["name"] + (f" ({r['code']})" if r.get("code") else "")
    if record == "commitment":
        return r["text"], f"{r['partner']} : {r['text']}"
    return r["text"], r["text"]


def document_facts(document: str, x: Mapping[str, Any]) -> list[Fact]:
    """The reviewable facts of one document's extraction JSON, in the order of its record lists."""
    out = []
    for record, key in RECORD_FIELDS.items():
        for n, r in enumerate(x.get(key) or ()):
            fact_id = r.get("id") or f"{document}/{record[0]}{n}"
            span, label = _label(record, r)
            out.append(Fact(fact_id, record, document, span, label, *_where(r), r.get("confidence"),
                            r.get("review_status"), tuple(r.get("reviewers") or ()), r))
    return out


@dataclass(frozen=True)
class BuildFacts:
    """The reviewable facts and the passages of one build, by id, read once."""

    build_dir: Path
    commitments: Mapping[str, dict[str, Any]]
    passages: Mapping[str, dict[str, Any]]
    applied: int  # corrections of the log this build applied (the first `applied` ones)
    facts: Mapping[str, Fact] = field(default_factory=dict)

    @classmethod
    def read(cls, build_dir: Path, extractions: Mapping[str, Mapping[str, Any]] | None = None) -> BuildFacts:
        """The facts of `build_dir`, from its saved extractions (given by kg.facade.Build.facts,
        or read here)."""
        if extractions is None:
            from kg.jsonl import read_extraction_files

            extractions = read_extraction_files(build_dir)
        commitments = {c["id"]: {**c, "document": doc} for doc, x in extractions.items()
                       for c in x.get("commitments") or ()}
        facts = {f.id: f for doc, x in extractions.items() for f in document_facts(doc, x)}
        passages = {p["id"]: p for p in read_jsonl(build_dir / "passages.jsonl")}
        summary = json.loads((build_dir / "summary.json").read_text(encoding="utf-8"))
        return cls(build_dir, commitments, passages, int((summary.get("review") or {}).get("corrections", 0)), facts)

    def of_document(self, document: str) -> list[Fact]:
        return [f for f in self.facts.values() if f.document == document]

    def fact(self, fact_id: str) -> Fact:
        fact = self.facts.get(fact_id)
        if fact is None:
            raise UnknownFact(f"no commitment, indicator, signatory or neighbourhood {fact_id!r} in the current "
                              f"build ({self.build_dir.name}); `contrats review facts` lists them")
        return fact

    def key(self, fact_id: str) -> tuple[FactKey, dict[str, Any]]:
        """The fact's stable key and what the reviewer sees of it."""
        fact = self.fact(fact_id)
        passage = self.passages.get(fact.passage_id or "")
        if passage is None:
            raise UnknownFact(f"{fact.record} {fact_id!r} names no passage of the build; it cannot be reviewed")
        seen = {k: v for k, v in fact.data.items() if k not in ("provenance", "text", "aliases")}
        seen.update(page=fact.page, line=fact.line, passage_id=fact.passage_id, build=self.build_dir.name)
        return FactKey(fact.document, text_hash(passage["text"]), fact.span, fact.record), seen


def record(data_dir: Path, facts: BuildFacts, fact_id: str, action: str, reviewer: str,
           value: dict[str, Any] | None = None, why: str = "") -> Correction:
    """Review a fact of the build (kg.review.corrections.ACTIONS_OF says which actions apply to which)."""
    key, seen = facts.key(fact_id)
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


def pending(data_dir: Path, facts: BuildFacts) -> dict[tuple[str, str, str, str], Review]:
    """The reviews of facts corrected since this build (by fact_index of their key)."""
    later = CorrectionLog(data_dir).corrections()[facts.applied:]
    return reviews(later) if later else {}


def pending_review(facts: BuildFacts, waiting: Mapping[tuple[str, str, str, str], Review],
                   fact_id: str) -> Review | None:
    """The pending review of one fact of the build, if any."""
    if not waiting:
        return None
    try:
        key, _ = facts.key(fact_id)
    except UnknownFact:
        return None
    return waiting.get(fact_index(key))


def status(facts: BuildFacts, waiting: Mapping[tuple[str, str, str, str], Review], fact_id: str) -> str:
    """unreviewed | confirmed | corrected | added | rejected, the reviews since the build included
    (a commitment made an objective is rejected: it is no longer a commitment)."""
    review = pending_review(facts, waiting, fact_id)
    if review is not None:
        return "rejected" if review.kind == "objective" else review.status
    fact = facts.facts.get(fact_id)
    return (fact.review_status if fact else None) or "unreviewed"
