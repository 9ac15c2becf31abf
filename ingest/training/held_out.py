"""Extraction measured on documents the model did not learn from: the figures this project reports.

`cross_document` trains on every annotated document but one (ingest/training/extraction.py) and extracts the
held-out one (leave-one-document-out); `evaluate_synthetic` runs the shipped model on the contract
openings of other territories of one split (tests/gold/openings: `test` is never trained on).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from ingest.extract.linear_model import ExtractionModel
from ingest.training.extraction import (
    SYNTHETIC_SETS,
    AnnotatedDocument,
    UnitLabel,
    _text_key,
    annotated_documents,
    openings_split,
    prepare,
    synthetic_documents,
    train,
)


def gold_with_units(gold: dict, labels: Sequence[UnitLabel]) -> dict:
    """A gold file whose commitments and indicators are the annotated units (complete: scope all).

    A text labelled twice (an annex repeating a commitment) counts once: the extractor keeps one.
    """
    commitments, indicators, seen = [], [], set()
    for lab in labels:
        if lab.label in ("commitment", "proposal"):
            key = _text_key(lab.text)
            if key in seen:
                continue
            seen.add(key)
            commitments.append({"partner": lab.actor or "?", "partner_type": lab.actor_type or "?",
                                "text": lab.text, "kind": lab.label, "neighbourhoods": list(lab.scope),
                                "line": lab.line})
        elif lab.label == "indicator":
            indicators.append({"text": lab.text, "orientation": None, "commitment_line": None, "line": lab.line})
    out = dict(gold)
    out["commitments"], out["indicators"] = commitments, indicators
    out["scope"] = {**gold.get("scope", {}), "commitments": "all", "indicators": "all"}
    return out


def extract_document(source: Path, reference_csv: Path | None, model: ExtractionModel | None,
                     use_model: bool = True, signatory_model=None) -> dict:
    from ingest.corpus import ingest_file
    from ingest.extract.pipeline import extract
    from ingest.extract.to_json import extraction_to_json

    ingested = ingest_file(source)
    return extraction_to_json(extract(ingested.document, ingested.passages, reference_csv=reference_csv,
                                      model=model, use_model=use_model, signatory_model=signatory_model))


def cross_document(gold_dir: Path, root: Path, reference_csv: Path | None, rules_too: bool = False,
                   progress=None, more: Sequence[AnnotatedDocument] = ()) -> dict[str, dict]:
    """Leave-one-document-out: for each annotated document, a model trained on the others extracts it.

    Returns {"lodo": {doc: scores}, "rules": {doc: scores}} (rules: the round-1 rule extractor, which
    was written on these very documents — in-sample, reported for comparison only).
    """
    from ingest.training.evaluate import evaluate, load_gold
    from ingest.training.signatories import signatory_documents, train_signatories

    docs = [prepare(d) for d in annotated_documents(gold_dir, root)]
    sig_docs = signatory_documents(gold_dir, root)
    extra = [prepare(d) for name in SYNTHETIC_SETS if (gold_dir / name / "README.md").exists()
             for d in synthetic_documents(gold_dir / name)]
    golds = load_gold(gold_dir / "extraction")
    out: dict[str, dict] = {"lodo": {}, "rules": {}}
    for held in docs:
        # `more`: researchers' corrections of other documents (kg.review.training), never of
        # the one measured.
        others = [d for d in docs if d.document_id != held.document_id] + extra + \
            [prepare(d) for d in more if d.document_id != held.document_id]
        if not others:
            continue
        if progress:
            progress(f"{held.document_id}: training on {', '.join(d.document_id for d in others if not d.group)}"
                     + (f" and {len(extra)} synthetic documents (dev openings and bodies)" if extra else ""))
        model = train(others)
        # The signatory reader, too, is trained without the held-out contract.
        signatory_model = train_signatories([d for d in sig_docs if d.document_id != held.document_id])
        gold = gold_with_units(golds.get(held.document_id, _empty_gold(held)), held.labels)
        out["lodo"][held.document_id] = evaluate(
            extract_document(held.source, reference_csv, model, signatory_model=signatory_model), gold)
        if rules_too:
            out["rules"][held.document_id] = evaluate(
                extract_document(held.source, reference_csv, None, use_model=False), gold)
    return out


def _empty_gold(doc: AnnotatedDocument) -> dict:
    return {"document_id": doc.document_id, "scope": {}, "neighbourhoods": [], "signatories": [],
            "orientations": [], "commitments": [], "indicators": []}


def evaluate_synthetic(folder: Path, split: str, reference_csv: Path | None,
                      model: ExtractionModel | None = None) -> dict[str, dict]:
    """The shipped model (or `model`) on one split of a set of synthetic documents of other
    territories (tests/gold/openings, tests/gold/bodies): `test` was never trained on."""
    from ingest.training.evaluate import evaluate

    out = {}
    for slug, s in sorted(openings_split(folder).items()):
        if split not in (s, "all"):
            continue
        gold = json.loads((folder / f"{slug}.json").read_text(encoding="utf-8"))
        out[slug] = evaluate(extract_document(folder / f"{slug}.txt", reference_csv, model), gold)
    return out
