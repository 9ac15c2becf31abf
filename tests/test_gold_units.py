"""The unit annotations are complete and consistent: every unit of every annotated document has
exactly one label, every commitment an actor, and the shipped model was trained on them as they are."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from ingest.training.extraction import LABELS, annotations_hash, training_documents

ROOT = Path(__file__).resolve().parent.parent
UNITS = ROOT / "tests" / "gold" / "units"
TYPES = {"state", "epci", "commune", "department", "region", "caf", "cpam", "france_travail", "mission_locale",
         "social_landlord", "caisse_des_depots", "bpifrance", "chamber", "association", "other_public",
         "company", "other"}
DOCUMENTS = sorted(p.name.removesuffix(".units.jsonl") for p in UNITS.glob("*.units.jsonl"))


def _labels(doc: str) -> list[dict]:
    rows: list[dict] = []
    for path in sorted(UNITS.glob(f"{doc}.labels*.tsv")):
        with path.open(encoding="utf-8", newline="") as fh:
            rows.extend(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    return rows


def test_every_shipped_document_is_annotated() -> None:
    assert len(DOCUMENTS) >= 4


@pytest.mark.parametrize("doc", DOCUMENTS)
def test_every_unit_has_exactly_one_label(doc: str) -> None:
    units = [json.loads(line)["uid"] for line in (UNITS / f"{doc}.units.jsonl").read_text(encoding="utf-8").splitlines()
             if line.strip()]
    labelled = [r["uid"] for r in _labels(doc)]
    assert sorted(labelled) == sorted(units), "labels missing or repeated"


@pytest.mark.parametrize("doc", DOCUMENTS)
def test_labels_and_actors_are_well_formed(doc: str) -> None:
    for r in _labels(doc):
        assert r["label"] in LABELS, r
        if r["label"] in ("commitment", "proposal"):
            assert r["actor"], f"{doc} {r['uid']}: a commitment without an actor"
            assert r["actor_type"] in TYPES, f"{doc} {r['uid']}: actor type {r['actor_type']!r}"


@pytest.mark.parametrize("doc", [  # the 2015 contract is the longest to read: out of the fast loop
    pytest.param(d, marks=pytest.mark.slow) if d == "valenciennes-2015" else d for d in DOCUMENTS])
def test_units_still_match_the_segmentation(doc: str) -> None:
    """The labels point at units by id, else by text, else as the pieces a later reading cut an
    annotated unit into (ingest.training.extraction.prepare): a change of segmentation that loses most of
    them would silently turn the gold into 'none' everywhere."""
    from ingest.corpus import ingest_file
    from ingest.training.extraction import _text_key
    from ingest.units import units_of

    rows = [json.loads(line) for line in (UNITS / f"{doc}.units.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()]
    source = ROOT / "corpus" / json.loads((ROOT / "tests/gold/extraction" / f"{doc}.json").read_text())["source"] \
        .removeprefix("corpus/")
    units = units_of(ingest_file(source).passages)
    ids = {u.id for u in units}
    texts = {_text_key(u.text) for u in units}
    by_line: dict[int, list[str]] = {}
    for u in units:
        by_line.setdefault(u.line, []).append(_text_key(u.text))

    def found(r: dict) -> bool:
        if r["unit_id"] in ids or _text_key(r["text"]) in texts:
            return True
        key = _text_key(r["text"])
        return any(len(piece) >= 12 and piece in key
                   for line in range(r["line"], r["line"] + 16) for piece in by_line.get(line, ()))

    by_id = sum(r["unit_id"] in ids for r in rows)
    kept = sum(found(r) for r in rows)
    assert kept / len(rows) >= 0.98, f"only {kept}/{len(rows)} annotated units still reach a unit"
    assert by_id / len(rows) >= 0.95, f"only {by_id}/{len(rows)} annotated units keep their id"


def test_shipped_model_was_trained_on_these_annotations() -> None:
    from ingest.extract.linear_model import shipped_model

    model = shipped_model()
    assert model is not None, "no shipped model: run `contrats train`"
    docs = training_documents(ROOT / "tests" / "gold", ROOT)
    assert model.meta["annotations_sha256"] == annotations_hash(docs), \
        "the annotations changed since the model was trained: run `contrats train`"
