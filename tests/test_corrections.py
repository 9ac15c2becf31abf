"""Researchers' corrections (issue 15): the log, its folding, and corrections surviving rebuilds."""

from __future__ import annotations

import json
import multiprocessing
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from kg.review.corrections import (
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


def test_a_log_written_before_other_records_could_be_reviewed_still_loads(tmp_path: Path) -> None:
    """A line of the first version of the log: no `record` in its key, which named a commitment."""
    line = {"key": {"document": "doc", "passage": KEY.passage, "span": KEY.span}, "action": "reject",
            "reviewer": "Alice", "value": {}, "why": "", "at": "2026-12-01T10:00:00.000000+00:00", "id": "a" * 32,
            "seen": {"id": "doc/c1"}}
    log = CorrectionLog(tmp_path)
    log.folder.mkdir(parents=True)
    log.path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    (old,) = log.corrections()
    assert old.key.record == "commitment" and old.key == KEY
    log.append(new_correction(replace(KEY, record="indicator"), "reject", "Bruno"))
    assert [c.key.record for c in log.corrections()] == ["commitment", "indicator"]
    # The same text in the same passage, as a commitment and as an indicator: two facts.
    assert len(reviews(log.corrections())) == 2


def test_each_record_takes_its_own_corrections() -> None:
    signatory = FactKey("doc", KEY.passage, "Préfecture du Nord", "signatory")
    quarter = FactKey("doc", KEY.passage, "L'Epinette", "neighbourhood")
    indicator = replace(KEY, record="indicator")
    with pytest.raises(CorrectionError, match="does not apply to a neighbourhood"):
        new_correction(quarter, "kind", "Alice", {"kind": "proposal"})
    with pytest.raises(CorrectionError, match="does not apply to a commitment"):
        new_correction(KEY, "role", "Alice", {"role": "Maire"})
    with pytest.raises(CorrectionError, match="does not apply to an indicator"):
        new_correction(indicator, "scope", "Alice", {"neighbourhoods": []})
    with pytest.raises(CorrectionError, match="QPV code"):
        new_correction(quarter, "code", "Alice", {"code": "59-Maubeuge"})
    with pytest.raises(CorrectionError, match="name cannot be empty"):
        new_correction(quarter, "name", "Alice", {"name": " "})
    with pytest.raises(CorrectionError, match="partner type"):
        new_correction(signatory, "actor", "Alice", {"id": "x", "name": "X", "type": "bogus"})
    with pytest.raises(CorrectionError, match="not supported"):
        new_correction(replace(KEY, record="orientation"), "confirm", "Alice")
    state = reviews([new_correction(signatory, "role", "Alice", {"role": " Préfet  du Nord "}),
                     new_correction(signatory, "person", "Bruno", {"person": ""}),
                     new_correction(quarter, "code", "Alice", {"code": "qn05917m"}),
                     new_correction(quarter, "name", "Alice", {"name": "L'Épinette"}),
                     new_correction(indicator, "confirm", "Alice")])
    by_record = {r.key.record: r for r in state.values()}
    assert (by_record["signatory"].status, by_record["signatory"].role, by_record["signatory"].person) == (
        "corrected", "Préfet du Nord", "")
    assert (by_record["neighbourhood"].code, by_record["neighbourhood"].name) == ("QN05917M", "L'Épinette")
    assert by_record["indicator"].status == "confirmed"


def test_a_neighbourhoods_review_share_counts_its_listing_and_the_commitments_naming_it() -> None:
    from kg.review.reviewing import Fact
    from kg.review.shares import neighbourhood_review_shares

    def fact(fact_id: str, record: str, document: str, **data) -> Fact:
        return Fact(fact_id, record, document, "", "", None, None, None, None, None, (), data)

    facts = [fact("a/n0", "neighbourhood", "a", name="L'Epinette", aliases=["Epinette"], code="QN05917M"),
             fact("b/n0", "neighbourhood", "b", name="Epinette", code="QN05917M"),
             fact("a/c1", "commitment", "a", neighbourhoods=["epinette"]),  # by an alias, any case
             fact("a/c2", "commitment", "a", neighbourhoods=[]),  # the whole contract: not counted
             fact("b/c1", "commitment", "b", neighbourhoods=["Pont de Pierre"]),  # not a listed name
             fact("a/n1", "neighbourhood", "a", name="Cité des Jardins", code=None)]  # no code: not drawn
    status = {"a/n0": "corrected", "a/c1": "rejected"}
    shares = neighbourhood_review_shares(facts, lambda i: status.get(i, "unreviewed"))
    assert set(shares) == {"QN05917M"}
    share = shares["QN05917M"]
    assert (share.facts, share.reviewed, share.share) == (3, 2, 2 / 3)
    assert share.statuses == {"corrected": 1, "rejected": 1, "unreviewed": 1}


def _tiny_extraction():
    """One document, one commitment, two indicators (the first measuring the commitment)."""
    from ingest.model import (
        BlockKind,
        Commitment,
        Document,
        DocumentMeta,
        Extraction,
        Indicator,
        Organisation,
        Passage,
        Provenance,
        Territory,
    )

    texts = ["La CAF s'engage à financer.", "Nombre de familles aidées", "Date de signature"]
    passages = [Passage(f"doc#{n}", "doc", n, t, BlockKind.PARAGRAPH, (), None, n + 1, n + 1, 0, len(t))
                for n, t in enumerate(texts)]
    caf = Organisation("caf-nord", "CAF du Nord", "caf")
    x = Extraction(Document("doc", "doc.txt", "0", "text", DocumentMeta(), ()), Territory("T"),
                   commitments=(Commitment("doc/c0", caf, texts[0], provenance=Provenance("doc#0", None, 1)),),
                   indicators=(Indicator(texts[1], commitment="doc/c0", provenance=Provenance("doc#1", None, 2)),
                               Indicator(texts[2], provenance=Provenance("doc#2", None, 3))),
                   partners=(caf,))
    return x, passages


def test_indicators_keep_their_ids_and_follow_a_corrected_commitment() -> None:
    from kg.review.apply import apply_corrections

    x, passages = _tiny_extraction()

    def key(n: int, record: str) -> FactKey:
        return FactKey("doc", text_hash(passages[n].text), passages[n].text, record)

    out = apply_corrections(x, passages, [
        new_correction(key(0, "commitment"), "actor", "Alice", {"id": "cpam-nord", "name": "CPAM du Nord", "type": "cpam"}),
        new_correction(key(1, "indicator"), "reject", "Bruno"),  # the first indicator: the second keeps i1
        new_correction(key(2, "indicator"), "confirm", "Alice")])
    (commitment,) = out.extraction.commitments
    (kept,) = out.extraction.indicators
    assert commitment.id == "doc/c0-r" and kept.id == "doc/i1" and kept.review_status == "confirmed"
    assert [(r.id, review.status) for r, review in out.rejected] == [("doc/i0", "rejected")]
    x2 = replace(x, indicators=x.indicators[:1])
    out = apply_corrections(x2, passages, [new_correction(key(0, "commitment"), "actor", "Alice",
                                                          {"id": "cpam-nord", "name": "CPAM du Nord", "type": "cpam"})])
    assert out.extraction.indicators[0].commitment == "doc/c0-r"  # it measures the corrected commitment


# ---------------------------------------------------------------- a build and its rebuilds
def build_review_corpus(top: Path):
    """Settings of a real build (fast encoder) of the two small contracts of tests/data/review_corpus,
    copied to `top`/corpus."""
    from kg.build.pipeline import build
    from kg.config import Settings
    from tests.robustness.helpers import FAST_MODEL

    shutil.copytree(CORPUS, top / "corpus")
    settings = Settings(data_dir=top / "data", store="oxigraph", model=FAST_MODEL, reference_dir=ROOT / "reference")
    build([top / "corpus"], settings, log=lambda m: None)
    return settings


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory):
    """A build of a small corpus, three reviews, and the rebuild that applies them."""
    from kg.build.pipeline import build, current_build
    from kg.review.reviewing import BuildFacts, pending, record

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
    # The other records of a contract: indicators, signatories, neighbourhoods.
    other = {(f.record, f.span): f for f in facts.of_document("maubeuge-review")}
    # The test rejects a real indicator (a researcher's judgement), not a model error it would depend on.
    date = other["indicator", "Nombre d'habitants accompagnés vers l'emploi"]
    visits = other["indicator", "Nombre de consultations au centre de santé"]
    prefect = next(f for (kind, _), f in other.items() if kind == "signatory" and f.data["organisation"] == "etat-nord")
    mayor = next(f for (kind, _), f in other.items() if kind == "signatory" and f.data["type"] == "commune")
    epinette, pont = other["neighbourhood", "L'Epinette"], other["neighbourhood", "Pont De Pierre"]
    record(settings.data_dir, facts, date.id, "reject", "Bruno", why="mesure l'activité, pas le quartier")
    record(settings.data_dir, facts, visits.id, "span", "Alice",
           {"text": "Nombre de consultations au centre de santé de Sous-le-Bois"})
    record(settings.data_dir, facts, prefect.id, "role", "Alice", {"role": "Préfet du Nord"},
           why="le prénom n'est pas la qualité")
    record(settings.data_dir, facts, mayor.id, "confirm", "Alice")
    record(settings.data_dir, facts, epinette.id, "name", "Alice", {"name": "L'Épinette – Maubeuge"})
    record(settings.data_dir, facts, pont.id, "reject", "Bruno", why="hors du contrat")
    waiting = pending(settings.data_dir, facts)
    summary = build([top / "corpus"], settings, log=lambda m: None)
    return {"settings": settings, "top": top, "before": facts, "waiting": waiting, "summary": summary,
            "caf": caf, "work": work, "region": region, "date": date, "visits": visits, "prefect": prefect,
            "mayor": mayor, "epinette": epinette, "pont": pont}


@pytest.mark.slow
def test_reviews_are_pending_until_the_next_build(reviewed) -> None:
    from kg.review.reviewing import pending_review

    facts, waiting = reviewed["before"], reviewed["waiting"]
    assert pending_review(facts, waiting, reviewed["work"]["id"]).status == "rejected"
    assert pending_review(facts, waiting, reviewed["caf"]["id"]).actor["name"] == "CPAM du Pas-de-Calais"
    assert facts.applied == 0


@pytest.mark.slow
def test_the_rebuild_applies_every_correction(reviewed) -> None:
    from kg.build.pipeline import current_build
    from kg.review.reviewing import BuildFacts, pending

    settings, summary = reviewed["settings"], reviewed["summary"]
    assert {k: v for k, v in summary.review.items() if k != "records"} == {
        "corrections": 9, "confirmed": 2, "corrected": 4, "added": 0, "rejected": 3, "orphans": 0}
    assert summary.review["records"]["commitment"] == {"confirmed": 1, "corrected": 1, "added": 0, "rejected": 1,
                                                       "orphans": 0}
    assert summary.review["records"]["indicator"] == {"confirmed": 0, "corrected": 1, "added": 0, "rejected": 1,
                                                      "orphans": 0}
    assert summary.review["records"]["signatory"] == {"confirmed": 1, "corrected": 1, "added": 0, "rejected": 0,
                                                      "orphans": 0}
    assert summary.review["records"]["neighbourhood"] == {"confirmed": 0, "corrected": 1, "added": 0,
                                                          "rejected": 1, "orphans": 0}
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
def test_the_rebuild_applies_corrections_of_indicators_signatories_and_neighbourhoods(reviewed) -> None:
    from kg.build.pipeline import current_build
    from kg.review.reviewing import BuildFacts, pending

    settings = reviewed["settings"]
    build_dir = current_build(settings.data_dir)
    x = json.loads((build_dir / "extractions" / "maubeuge-review.json").read_text(encoding="utf-8"))
    indicators = {i["text"]: i for i in x["indicators"]}
    assert "Nombre d'habitants accompagnés vers l'emploi" not in indicators
    visits = indicators["Nombre de consultations au centre de santé de Sous-le-Bois"]
    assert visits["review_status"] == "corrected" and visits["reviewers"] == ["Alice"]
    assert visits["id"] == reviewed["visits"].id + "-r" and visits["revises"] == reviewed["visits"].id
    # Rejecting an indicator renumbers none: each keeps its machine position as its id.
    kept = indicators["Part des habitants couverts par une complémentaire santé"]
    assert kept["id"] == "maubeuge-review/i2" and kept["review_status"] is None
    signatories = {s["organisation"]: s for s in x["signatories"]}
    prefect = signatories["etat-nord"]
    assert prefect["role"] == "Préfet du Nord" and prefect["person"] == "Georges DUPONT"
    assert prefect["review_status"] == "corrected" and prefect["revises"] == "etat-nord"
    mayor = signatories[reviewed["mayor"].data["organisation"]]
    assert mayor["review_status"] == "confirmed" and mayor["confidence"] == reviewed["mayor"].confidence
    (epinette,) = x["neighbourhoods"]  # Pont De Pierre rejected
    assert epinette["name"] == "L'Épinette – Maubeuge" and epinette["code"] == "QN05917M"
    assert epinette["review_status"] == "corrected" and epinette["revises"] == "L'Epinette"
    assert "L'Epinette" in epinette["aliases"]  # commitments naming it by the machine's name still reach it
    assert not pending(settings.data_dir, BuildFacts.read(build_dir))
    # The next rebuild finds the same facts again by their keys: nothing is applied twice.
    after = BuildFacts.read(build_dir)
    assert {f.review_status for f in after.of_document("maubeuge-review") if f.record != "commitment"} == {
        None, "corrected", "confirmed"}


@pytest.mark.slow
def test_corrected_records_have_their_revision_chain_and_rejected_ones_leave_every_view(reviewed) -> None:
    from kg.facade import Build
    from kg.graph.uris import REJECTED_GRAPH, designation_uri, indicator_uri
    from kg.queries import saved_queries

    store = Build.current(reviewed["settings"]).store()
    prefixes = ("PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX ckg: <https://w3id.org/contrats-kg/ontology#> "
                "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> PREFIX org: <http://www.w3.org/ns/org#> ")

    def chain(kind: str, path: str) -> list[tuple[str, str, str]]:
        rows = store.query(prefixes + f"""SELECT ?now ?before ?who WHERE {{
            ?new a {kind} ; prov:wasRevisionOf ?old ; {path} ?now ; prov:wasAttributedTo/rdfs:label ?who .
            GRAPH <{REJECTED_GRAPH}> {{ ?old {path} ?before ; ckg:reviewStatus ?s }} }}""").dicts()
        return [(str(r["now"]), str(r["before"]), str(r["who"])) for r in rows]

    assert chain("ckg:Signature", "org:role/rdfs:label") == [("Préfet du Nord", "Préfet du Nord, Georges", "Alice")]
    assert chain("ckg:Designation", "ckg:neighbourhood/rdfs:label") == [
        ("L'Épinette – Maubeuge", "L'Epinette", "Alice")]
    assert chain("ckg:Indicator", "ckg:text") == [("Nombre de consultations au centre de santé de Sous-le-Bois",
                                                   "Nombre de consultations au centre de santé", "Alice")]
    confirmed = store.query(prefixes + """SELECT ?who WHERE { ?s a ckg:Signature ;
        ckg:reviewStatus <https://w3id.org/contrats-kg/review-status/confirmed> ;
        prov:wasInfluencedBy/prov:wasAssociatedWith/rdfs:label ?who }""").column("who")
    assert [str(w) for w in confirmed] == ["Alice"]
    date = indicator_uri("maubeuge-review", reviewed["date"].id.rsplit("/i", 1)[1])
    pont = designation_uri("maubeuge-review", "QN05915M")
    for kind, gone in (("ckg:Indicator", date), ("ckg:Designation", pont)):
        assert gone not in store.query(prefixes + f"SELECT ?x WHERE {{ ?x a {kind} }}").column("x")
        audit = store.query(prefixes + f"SELECT ?s WHERE {{ GRAPH <{REJECTED_GRAPH}> {{ <{gone}> ckg:reviewStatus ?s }} }}")
        assert [str(v).rsplit("/", 1)[-1] for v in audit.column("s")] == ["rejected"]
    for q in saved_queries():
        if "GRAPH" not in q.text:
            seen = {v for row in store.query(q.text).values() for v in row}
            assert date not in seen and pont not in seen, q.name


@pytest.mark.slow
def test_the_shapes_refuse_a_rejected_fact_in_the_published_graph(reviewed) -> None:
    import pyshacl
    from rdflib import Graph

    from kg.build.pipeline import current_build
    from kg.graph.uris import CKG, review_status_uri, signature_uri
    from kg.graph.writer import ONTOLOGY_DIR

    g = Graph().parse(current_build(reviewed["settings"].data_dir) / "graph.nt", format="nt")
    shapes = Graph().parse(ONTOLOGY_DIR / "shapes.ttl", format="turtle")
    ontology = Graph().parse(ONTOLOGY_DIR / "contrats.ttl", format="turtle")
    reviewed_signature = signature_uri("maubeuge-review", reviewed["mayor"].data["organisation"])
    assert (reviewed_signature, CKG.reviewStatus, review_status_uri("confirmed")) in g
    g.add((reviewed_signature, CKG.reviewStatus, review_status_uri("rejected")))
    conforms, _, report = pyshacl.validate(g, shacl_graph=shapes, ont_graph=ontology, inference="rdfs")
    assert not conforms and "a published fact is confirmed, corrected or added, never rejected" in report


@pytest.mark.slow
def test_the_graph_keeps_the_revision_chain_and_rejected_facts_apart(reviewed) -> None:
    from kg.facade import Build
    from kg.graph.uris import REJECTED_GRAPH, commitment_uri

    store = Build.current(reviewed["settings"]).store()
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
    # commitment, indicator, signature, designation corrected; commitment, indicator, designation rejected
    assert sorted(str(s).rsplit("/", 1)[-1] for s in audit.column("s")) == ["corrected"] * 4 + ["rejected"] * 3
    # No saved query sees the rejected fact.
    from kg.queries import saved_queries

    for q in saved_queries():
        if "GRAPH" not in q.text:
            assert rejected not in {v for row in store.query(q.text).values() for v in row}, q.name


@pytest.mark.slow
def test_a_correction_whose_passage_disappeared_is_reported_not_lost(reviewed, tmp_path: Path) -> None:
    from kg.build.pipeline import build
    from kg.review.corrections import CorrectionLog

    settings = replace(reviewed["settings"], data_dir=tmp_path / "data")
    shutil.copytree(reviewed["settings"].data_dir / "corrections", settings.data_dir / "corrections")
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    text = (corpus / "arras-review.txt").read_text(encoding="utf-8")
    (corpus / "arras-review.txt").write_text(text.replace("France Travail s'engage à organiser des permanences "
                                                          "pour l'emploi des jeunes dans chaque quartier.\n", ""),
                                             encoding="utf-8")
    text = (corpus / "maubeuge-review.txt").read_text(encoding="utf-8")
    for gone in ("- Nombre de consultations au centre de santé\n", "Le Préfet du Nord, Georges DUPONT\n",
                 "- L'Epinette (QN05917M)\n"):
        assert gone in text
        text = text.replace(gone, "")
    (corpus / "maubeuge-review.txt").write_text(text, encoding="utf-8")
    summary = build([corpus], settings, log=lambda m: None)
    records = summary.review["records"]
    assert summary.review["orphans"] == 4 and summary.review["corrected"] == 1
    assert [records[r]["orphans"] for r in ("commitment", "indicator", "signatory", "neighbourhood")] == [1, 1, 1, 1]
    assert any("no longer has" in w and "Bruno" in w for w in summary.warnings)
    assert any("correction of a signatory by Alice" in w and "no longer has" in w for w in summary.warnings)
    assert len(CorrectionLog(settings.data_dir).corrections()) == 9  # the log is never rewritten


@pytest.mark.slow
def test_a_reviewed_fact_the_model_no_longer_extracts_is_restored(reviewed) -> None:
    from ingest.extract.from_json import extraction_from_json
    from ingest.model import Passage
    from kg.build.pipeline import current_build
    from kg.jsonl import read_jsonl
    from kg.review.apply import apply_corrections
    from kg.review.corrections import CorrectionLog

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
    # A signatory, an indicator and a neighbourhood the next model misses come back as reviewed.
    m = extraction_from_json(next(json.loads(p.read_text(encoding="utf-8")) for p in cache
                                  if json.loads(p.read_text(encoding="utf-8"))["document"]["id"] == "maubeuge-review"))
    m_passages = [Passage.from_json(p) for p in read_jsonl(build_dir / "passages.jsonl")
                  if p["document_id"] == "maubeuge-review"]
    lost = replace(m, signatories=tuple(s for s in m.signatories if s.organisation.id != "etat-nord"),
                   indicators=m.indicators[1:], neighbourhoods=m.neighbourhoods[:1])
    out = apply_corrections(lost, m_passages, CorrectionLog(settings.data_dir).corrections())
    (prefect,) = [s for s in out.extraction.signatories if s.organisation.id == "etat-nord"]
    assert prefect.role == "Préfet du Nord" and prefect.person == "Georges DUPONT" and prefect.review_status == "corrected"
    assert [i.text for i in out.extraction.indicators if i.review_status] == [
        "Nombre de consultations au centre de santé de Sous-le-Bois"]
    assert [(n.name, n.code) for n in out.extraction.neighbourhoods] == [("L'Épinette – Maubeuge", "QN05917M")]
    assert not out.orphans


@pytest.mark.slow
def test_reviewed_commitments_export_for_citation(reviewed, tmp_path: Path) -> None:
    import pandas as pd

    from kg.build.pipeline import current_build
    from kg.views.export import export_reviewed

    build_dir = current_build(reviewed["settings"].data_dir)
    # 2 commitments, 1 indicator, 2 signatories, 1 neighbourhood (rejected facts are not cited)
    assert export_reviewed(build_dir, tmp_path / "reviewed.parquet", "parquet") == 6
    assert export_reviewed(build_dir, tmp_path / "reviewed.csv", "csv") == 6
    for frame in (pd.read_parquet(tmp_path / "reviewed.parquet"), pd.read_csv(tmp_path / "reviewed.csv")):
        assert sorted(frame["fact"]) == ["commitment"] * 2 + ["indicator", "neighbourhood"] + ["signatory"] * 2
        prefect = frame[frame["partner_id"] == "etat-nord"].to_dict("records")[0]
        assert prefect["fact"] == "signatory" and prefect["role"] == "Préfet du Nord" and prefect["line"] > 0
        assert prefect["review_status"] == "corrected" and prefect["passage_text"] == "Le Préfet du Nord, Georges DUPONT"
        quarter = frame[frame["fact"] == "neighbourhood"].to_dict("records")[0]
        assert quarter["text"] == "L'Épinette – Maubeuge" and quarter["code"] == "QN05917M"
        rows = {r["review_status"]: r for r in frame[frame["fact"] == "commitment"].to_dict("records")}
        assert set(rows) == {"confirmed", "corrected"}
        corrected = rows["corrected"]
        assert corrected["partner"] == "CPAM du Pas-de-Calais" and corrected["reviewers"] == "Alice"
        assert corrected["revises"] == reviewed["caf"]["id"] and corrected["line"] > 0
        assert corrected["source"].endswith("arras-review.txt")
        assert corrected["passage_text"].startswith("La CAF du Pas-de-Calais s'engage")
        assert rows["confirmed"]["confidence"] > 0  # a confirmed fact keeps the model's confidence


@pytest.mark.slow
def test_corrections_become_partially_labelled_training_units(reviewed) -> None:
    from ingest.training.extraction import prepare
    from kg.build.pipeline import current_build
    from kg.review.training import corrections_for_training

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
    assert len(listed) == 10 and listed[-1]["pending"] and not listed[0]["pending"]
    assert listed[-1]["value"] == {"kind": "proposal"} and listed[-1]["reviewer"] == "Chloé"
    missing = run("reject", "arras-review/c99", "--reviewer", "Chloé")
    assert missing.returncode == 1 and missing.stderr.startswith("error: no commitment") and "Traceback" not in missing.stderr
    bad = run("actor", region, "--partner-id", "x", "--partner", "X", "--type", "bogus", "--reviewer", "Chloé")
    assert bad.returncode == 1 and "unknown partner type" in bad.stderr
    # Indicators, signatories and neighbourhoods: named by the ids `review facts` lists.
    facts = [json.loads(line) for line in run("facts", "--document", "maubeuge-review", "--json").stdout.splitlines()]
    by_record = {}
    for f in facts:
        by_record.setdefault(f["record"], []).append(f)
    assert set(by_record) == {"commitment", "indicator", "signatory", "neighbourhood"}
    mayor = next(f for f in by_record["signatory"] if f["review_status"] == "confirmed")
    assert mayor["id"].startswith("maubeuge-review/s") and mayor["reviewers"] == ["Alice"]
    done = run("person", mayor["id"], "--person", "Arnaud Decagny", "--reviewer", "Chloé")
    assert done.returncode == 0 and "recorded" in done.stdout, done.stderr
    (quarter,) = by_record["neighbourhood"]
    assert run("code", quarter["id"], "--code", "QN05916M", "--reviewer", "Chloé").returncode == 0
    wrong = run("code", quarter["id"], "--code", "59-Maubeuge", "--reviewer", "Chloé")
    assert wrong.returncode == 1 and "QPV code" in wrong.stderr
    misapplied = run("kind", quarter["id"], "--kind", "proposal", "--reviewer", "Chloé")
    assert misapplied.returncode == 1 and "does not apply to a neighbourhood" in misapplied.stderr
    listed = [json.loads(line) for line in run("list", "--json").stdout.splitlines()]
    assert [(c["action"], c["key"]["record"], c["value"]) for c in listed[-2:]] == [
        ("person", "signatory", {"person": "Arnaud Decagny"}), ("code", "neighbourhood", {"code": "QN05916M"})]
