"""Researchers' corrections (issue 15): the log, its folding, and corrections surviving rebuilds."""

from __future__ import annotations

import json
import multiprocessing
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from kg.corrections import (
    Correction,
    CorrectionError,
    CorrectionLog,
    FactKey,
    new_correction,
    reviews,
    text_hash,
)

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "review_corpus"
KEY = FactKey("doc", text_hash("La CAF s'engage à financer."), "La CAF s'engage à financer.")


# ---------------------------------------------------------------- the log
def test_a_correction_needs_what_it_changes() -> None:
    with pytest.raises(CorrectionError, match="reviewer"):
        new_correction(KEY, "confirm", "  ")
    with pytest.raises(CorrectionError, match="unknown review action"):
        new_correction(KEY, "delete", "Alice")
    with pytest.raises(CorrectionError, match="partner type"):
        new_correction(KEY, "actor", "Alice", {"id": "x", "name": "X", "type": "bogus"})
    with pytest.raises(CorrectionError, match="kind"):
        new_correction(KEY, "kind", "Alice", {"kind": "promise"})
    with pytest.raises(CorrectionError, match="span"):
        new_correction(KEY, "span", "Alice", {"text": " "})


def test_the_log_reads_back_what_was_written_and_reports_a_broken_line(tmp_path: Path) -> None:
    log = CorrectionLog(tmp_path)
    first = new_correction(KEY, "actor", "Alice", {"id": "cpam-nord", "name": "CPAM du Nord", "type": "cpam"},
                           why="la CPAM finance")
    log.append(first)
    with log.path.open("a", encoding="utf-8") as f:
        f.write('{"key": {"document": "doc"')  # a line cut short (disk full, a crash)
    second = new_correction(KEY, "reject", "Bruno")
    log.append(second)  # starts on a line of its own, not glued to the broken one
    reading = log.read()
    assert [c.id for c in reading.corrections] == [first.id, second.id]
    assert reading.corrections[0] == first
    assert len(reading.unreadable) == 1 and "corrections.jsonl:2" in reading.unreadable[0]


def _append_many(data_dir: str, who: str, n: int) -> None:
    log = CorrectionLog(data_dir)
    for i in range(n):
        log.append(new_correction(replace(KEY, span=f"engagement {who} {i}"), "confirm", who, why="x" * 3000))


def test_two_reviewers_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    # Lines of 3 kB: longer than the pipe-atomic 4 kB would protect with two writers interleaving.
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_append_many, args=(str(tmp_path), who, 150)) for who in ("Alice", "Bruno")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    reading = CorrectionLog(tmp_path).read()
    assert not reading.unreadable
    assert len(reading.corrections) == 300
    for who in ("Alice", "Bruno"):
        spans = [c.key.span for c in reading.corrections if c.reviewer == who]
        assert spans == [f"engagement {who} {i}" for i in range(150)]  # each writer's order kept


def test_a_later_review_overrides_an_earlier_one() -> None:
    rejected = new_correction(KEY, "reject", "Alice")
    confirmed = new_correction(KEY, "confirm", "Bruno")
    state = reviews([confirmed, rejected][::-1])
    (review,) = state.values()
    assert review.status == "confirmed" and review.reviewers == ("Alice", "Bruno")
    actor = new_correction(KEY, "actor", "Alice", {"id": "cpam-nord", "name": "CPAM du Nord", "type": "cpam"})
    (review,) = reviews([rejected, actor]).values()
    assert review.status == "corrected" and review.actor["id"] == "cpam-nord"
    # The same fact whatever the case or spacing of its text.
    again = Correction.from_json({**rejected.to_json(), "key": {**rejected.key.__dict__,
                                                                 "span": "  la caf S'ENGAGE à financer. "}})
    assert len(reviews([actor, again])) == 1


# ---------------------------------------------------------------- a build and its rebuilds
def build_review_corpus(top: Path):
    """Settings of a real build (fast encoder) of the two small contracts of tests/data/review_corpus,
    copied to `top`/corpus."""
    from kg.build import build
    from kg.config import Settings
    from tests.robustness.helpers import FAST_MODEL

    shutil.copytree(CORPUS, top / "corpus")
    settings = Settings(data_dir=top / "data", store="oxigraph", model=FAST_MODEL, reference_dir=ROOT / "reference")
    build([top / "corpus"], settings, log=lambda m: None)
    return settings


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory):
    """A build of a small corpus, three reviews, and the rebuild that applies them."""
    from kg.build import build, current_build
    from kg.reviewing import BuildFacts, pending, record

    top = tmp_path_factory.mktemp("review")
    settings = build_review_corpus(top)
    facts = BuildFacts.read(current_build(settings.data_dir))
    by_partner = {c["partner"]: c for c in facts.commitments.values()}
    caf = by_partner["CAF du Pas-de-Calais"]
    work = by_partner["France Travail"]
    region = next(c for c in facts.commitments.values() if c["partner"] == "Région Hauts-de-France"
                  and c["document"] == "arras-review")
    record(settings.data_dir, facts, caf["id"], "actor", "Alice",
           {"id": "cpam-pas-de-calais", "name": "CPAM du Pas-de-Calais", "type": "cpam"}, why="relu p. 3")
    record(settings.data_dir, facts, work["id"], "reject", "Bruno", why="une description, pas un engagement")
    record(settings.data_dir, facts, region["id"], "confirm", "Alice")
    waiting = pending(settings.data_dir, facts)
    summary = build([top / "corpus"], settings, log=lambda m: None)
    return {"settings": settings, "top": top, "before": facts, "waiting": waiting, "summary": summary,
            "caf": caf, "work": work, "region": region}


@pytest.mark.slow
def test_reviews_are_pending_until_the_next_build(reviewed) -> None:
    from kg.reviewing import pending_review

    facts, waiting = reviewed["before"], reviewed["waiting"]
    assert pending_review(facts, waiting, reviewed["work"]["id"]).status == "rejected"
    assert pending_review(facts, waiting, reviewed["caf"]["id"]).actor["name"] == "CPAM du Pas-de-Calais"
    assert facts.applied == 0


@pytest.mark.slow
def test_the_rebuild_applies_every_correction(reviewed) -> None:
    from kg.build import current_build
    from kg.reviewing import BuildFacts, pending

    settings, summary = reviewed["settings"], reviewed["summary"]
    assert summary.review == {"corrections": 3, "confirmed": 1, "corrected": 1, "added": 0, "rejected": 1,
                              "orphans": 0}
    build_dir = current_build(settings.data_dir)
    x = json.loads((build_dir / "extractions" / "arras-review.json").read_text(encoding="utf-8"))
    by_id = {c["id"]: c for c in x["commitments"]}
    assert reviewed["work"]["id"] not in by_id  # rejected: out of the extraction every view reads
    corrected = by_id[reviewed["caf"]["id"] + "-r"]
    assert corrected["partner"] == "CPAM du Pas-de-Calais" and corrected["partner_type"] == "cpam"
    assert corrected["review_status"] == "corrected" and corrected["revises"] == reviewed["caf"]["id"]
    assert by_id[reviewed["region"]["id"]]["review_status"] == "confirmed"
    assert not pending(settings.data_dir, BuildFacts.read(build_dir))  # nothing left waiting


@pytest.mark.slow
def test_the_graph_keeps_the_revision_chain_and_rejected_facts_apart(reviewed) -> None:
    from kg.session import open_graph_store
    from kg.uris import REJECTED_GRAPH, commitment_uri

    store = open_graph_store(reviewed["settings"])
    prefixes = ("PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX ckg: <https://w3id.org/contrats-kg/ontology#> "
                "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> ")
    chain = store.query(prefixes + f"""SELECT ?new ?who ?partner ?old_partner ?why WHERE {{
        ?new prov:wasRevisionOf ?old ; prov:wasAttributedTo/rdfs:label ?who ; ckg:partner/rdfs:label ?partner ;
             prov:wasInfluencedBy ?review .
        ?review ckg:reviewNote ?why .
        GRAPH <{REJECTED_GRAPH}> {{ ?old ckg:partner/rdfs:label ?old_partner }} }}""").dicts()
    assert len(chain) == 1
    row = chain[0]
    assert str(row["who"]) == "Alice" and str(row["why"]) == "relu p. 3"
    assert "CPAM" in str(row["partner"]) and "CAF" in str(row["old_partner"])
    rejected = commitment_uri("arras-review", reviewed["work"]["id"])
    visible = store.query(prefixes + "SELECT ?c WHERE { ?c a ckg:Commitment }").column("c")
    assert rejected not in visible and len(visible) == 5
    audit = store.query(prefixes + f"SELECT ?s WHERE {{ GRAPH <{REJECTED_GRAPH}> {{ ?c ckg:reviewStatus ?s }} }}")
    assert sorted(str(s).rsplit("/", 1)[-1] for s in audit.column("s")) == ["corrected", "rejected"]
    # No saved query sees the rejected fact.
    from kg.queries import saved_queries

    for q in saved_queries():
        if "GRAPH" not in q.text:
            assert rejected not in {v for row in store.query(q.text).values() for v in row}, q.name


@pytest.mark.slow
def test_a_correction_whose_passage_disappeared_is_reported_not_lost(reviewed, tmp_path: Path) -> None:
    from kg.build import build
    from kg.corrections import CorrectionLog

    settings = replace(reviewed["settings"], data_dir=tmp_path / "data")
    shutil.copytree(reviewed["settings"].data_dir / "corrections", settings.data_dir / "corrections")
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    text = (corpus / "arras-review.txt").read_text(encoding="utf-8")
    (corpus / "arras-review.txt").write_text(text.replace("France Travail s'engage à organiser des permanences "
                                                          "pour l'emploi des jeunes dans chaque quartier.\n", ""),
                                             encoding="utf-8")
    summary = build([corpus], settings, log=lambda m: None)
    assert summary.review["orphans"] == 1 and summary.review["corrected"] == 1
    assert any("no longer has" in w and "Bruno" in w for w in summary.warnings)
    assert len(CorrectionLog(settings.data_dir).corrections()) == 3  # the log is never rewritten


@pytest.mark.slow
def test_a_reviewed_fact_the_model_no_longer_extracts_is_restored(reviewed) -> None:
    from ingest.extract.from_json import extraction_from_json
    from ingest.model import Passage
    from kg.build import current_build
    from kg.corrections import CorrectionLog
    from kg.jsonl import read_jsonl
    from kg.review import apply_corrections

    settings = reviewed["settings"]
    build_dir = current_build(settings.data_dir)
    cache = sorted((settings.data_dir / "cache").glob("*/extraction.json"))
    machine = next(json.loads(p.read_text(encoding="utf-8")) for p in cache
                   if json.loads(p.read_text(encoding="utf-8"))["document"]["id"] == "arras-review")
    x = extraction_from_json(machine)
    passages = [Passage.from_json(p) for p in read_jsonl(build_dir / "passages.jsonl")
                if p["document_id"] == "arras-review"]
    lost = replace(x, commitments=tuple(c for c in x.commitments if c.id != reviewed["caf"]["id"]))
    out = apply_corrections(lost, passages, CorrectionLog(settings.data_dir).corrections())
    restored = [c for c in out.extraction.commitments if c.partner.id == "cpam-pas-de-calais"]
    assert len(restored) == 1 and restored[0].text == reviewed["caf"]["text"]
    assert restored[0].provenance.passage_id == reviewed["caf"]["passage_id"]


@pytest.mark.slow
def test_reviewed_commitments_export_for_citation(reviewed, tmp_path: Path) -> None:
    import pandas as pd

    from kg.build import current_build
    from kg.export import export_reviewed

    build_dir = current_build(reviewed["settings"].data_dir)
    assert export_reviewed(build_dir, tmp_path / "reviewed.parquet", "parquet") == 2
    assert export_reviewed(build_dir, tmp_path / "reviewed.csv", "csv") == 2
    for frame in (pd.read_parquet(tmp_path / "reviewed.parquet"), pd.read_csv(tmp_path / "reviewed.csv")):
        rows = {r["review_status"]: r for r in frame.to_dict("records")}
        assert set(rows) == {"confirmed", "corrected"}
        corrected = rows["corrected"]
        assert corrected["partner"] == "CPAM du Pas-de-Calais" and corrected["reviewers"] == "Alice"
        assert corrected["revises"] == reviewed["caf"]["id"] and corrected["line"] > 0
        assert corrected["source"].endswith("arras-review.txt")
        assert corrected["passage_text"].startswith("La CAF du Pas-de-Calais s'engage")
        assert rows["confirmed"]["confidence"] > 0  # a confirmed fact keeps the model's confidence


@pytest.mark.slow
def test_corrections_become_partially_labelled_training_units(reviewed) -> None:
    from ingest.training import prepare
    from kg.build import current_build
    from kg.corrections_training import corrections_for_training

    settings = reviewed["settings"]
    more = corrections_for_training(settings.data_dir, current_build(settings.data_dir), annotated=["maubeuge-review"])
    assert more.units == 3 and [d.document_id for d in more.documents] == ["arras-review"]
    doc = prepare(more.documents[0])
    # Only the three reviewed units, not the document's other units as "none".
    labelled = dict(zip([v.unit.text for v in doc.views], zip(doc.gold_labels, doc.gold_actors, strict=True),
                        strict=True))
    assert len(labelled) == 3
    label, actor = labelled[reviewed["caf"]["text"]]
    assert label == "commitment" and actor.actor == "CPAM du Pas-de-Calais" and actor.actor_type == "cpam"
    assert labelled[reviewed["work"]["text"]][0] == "none"
    assert labelled[reviewed["region"]["text"]] [0] == "commitment"
    skipped = corrections_for_training(settings.data_dir, current_build(settings.data_dir), ["arras-review"])
    assert not skipped.documents and "completely annotated" in skipped.skipped[0]


@pytest.mark.slow
def test_the_review_command_records_and_lists(reviewed, tmp_path: Path) -> None:
    import subprocess
    import sys

    data = tmp_path / "data"
    shutil.copytree(reviewed["settings"].data_dir, data, symlinks=True)
    contrats = [sys.executable, "-m", "kg.cli"]

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*contrats, "review", *args, "--data", str(data)], capture_output=True, text=True,
                              cwd=ROOT, timeout=120)

    region = reviewed["region"]["id"]
    done = run("kind", region, "--kind", "proposal", "--reviewer", "Chloé", "--why", "un atelier")
    assert done.returncode == 0 and "recorded" in done.stdout, done.stderr
    listed = [json.loads(line) for line in run("list", "--json").stdout.splitlines()]
    assert len(listed) == 4 and listed[-1]["pending"] and not listed[0]["pending"]
    assert listed[-1]["value"] == {"kind": "proposal"} and listed[-1]["reviewer"] == "Chloé"
    missing = run("reject", "arras-review/c99", "--reviewer", "Chloé")
    assert missing.returncode == 1 and missing.stderr.startswith("error: no commitment") and "Traceback" not in missing.stderr
    bad = run("actor", region, "--partner-id", "x", "--partner", "X", "--type", "bogus", "--reviewer", "Chloé")
    assert bad.returncode == 1 and "unknown partner type" in bad.stderr
