"""The saved queries (kg/queries/*.rq): on a small hand-made graph (fast, every store gives the
same answers), on the built corpus (slow, answers checked against the extraction JSON), and on a
real SPARQL server (Virtuoso) built through the sparql store, with the same results as Oxigraph.
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from functools import cache
from pathlib import Path

import pytest
from rdflib import Graph, URIRef

from kg.graph.writer import ONTOLOGY_DIR, ONTOLOGY_FILES
from kg.queries import find_saved_query, saved_queries
from kg.sparql.store import open_store
from tests.test_store import require_virtuoso

R = "https://w3id.org/contrats-kg/"
HOSTILE = 'Assoc "Les {Amis}" # 1'
# Two territories; Alpha has two contract generations. The vocabulary (ontology/) is added.
SMALL = """
@prefix ckg: <https://w3id.org/contrats-kg/ontology#> .
@prefix r: <https://w3id.org/contrats-kg/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

r:epci\\/111111111 a ckg:Territory ; skos:prefLabel "Agglo Alpha"@fr ; skos:altLabel "AA"@fr ; ckg:siren "111111111" .
r:epci\\/222222222 a ckg:Territory ; skos:prefLabel "Communauté Beta"@fr ; skos:altLabel "CB"@fr ; ckg:siren "222222222" .

r:k1 a ckg:Contract ; ckg:territory r:epci\\/111111111 ; ckg:generation "2015" ;
  ckg:periodStart "2015"^^xsd:gYear ; ckg:hasPartner r:caf, r:region ; ckg:signedBy r:region, r:caf ;
  ckg:signature r:s1, r:s2 .
r:k2 a ckg:Contract ; ckg:territory r:epci\\/111111111 ; ckg:generation "2024" ; ckg:amends r:k1 ;
  ckg:hasPartner r:region, r:asso ; ckg:signedBy r:region ; ckg:signature r:s3 ;
  ckg:designation r:d1, r:d4 ; ckg:neighbourhood r:n1, r:n4 .
r:k3 a ckg:Contract ; ckg:territory r:epci\\/222222222 ; ckg:generation "2024" ;
  ckg:hasPartner r:caf, r:ville ; ckg:signedBy r:region, r:caf ; ckg:signature r:s4, r:s5 ;
  ckg:designation r:d2, r:d3 ; ckg:neighbourhood r:n2, r:n3 .

r:caf a ckg:Organisation ; skos:prefLabel "CAF du Nord"@fr ; ckg:partnerType <https://w3id.org/contrats-kg/partner-type/caf> .
r:region a ckg:Organisation ; skos:prefLabel "Région Test"@fr ; ckg:partnerType <https://w3id.org/contrats-kg/partner-type/region> .
r:asso a ckg:Organisation ; skos:prefLabel "Assoc \\"Les {Amis}\\" # 1"@fr ; ckg:partnerType <https://w3id.org/contrats-kg/partner-type/association> .
r:ville a ckg:Organisation ; skos:prefLabel "Ville X"@fr ; ckg:partnerType <https://w3id.org/contrats-kg/partner-type/commune> .

r:s1 a ckg:Signature ; ckg:signatory r:region ; org:role r:role-president ; ckg:personName "Anne Martin" .
r:s2 a ckg:Signature ; ckg:signatory r:caf .
r:s3 a ckg:Signature ; ckg:signatory r:region ; org:role r:role-president .
r:s4 a ckg:Signature ; ckg:signatory r:region .
r:s5 a ckg:Signature ; ckg:signatory r:caf .
r:role-president a org:Role ; rdfs:label "Le Président"@fr .

r:n1 a ckg:Neighbourhood ; skos:prefLabel "Quartier Un"@fr ; ckg:qpvCode "QN01111A" .
r:n2 a ckg:Neighbourhood ; skos:prefLabel "Quartier Deux"@fr .
r:n3 a ckg:Neighbourhood ; skos:prefLabel "Quartier Trois"@fr .
r:n4 a ckg:Neighbourhood ; skos:prefLabel "Quartier Quatre"@fr .
r:d1 a ckg:Designation ; ckg:neighbourhood r:n1 ; ckg:status <https://w3id.org/contrats-kg/status/priority> .
r:d4 a ckg:Designation ; ckg:neighbourhood r:n4 ; ckg:status <https://w3id.org/contrats-kg/status/veille> .
r:d2 a ckg:Designation ; ckg:neighbourhood r:n2 ; ckg:status <https://w3id.org/contrats-kg/status/priority> .
r:d3 a ckg:Designation ; ckg:neighbourhood r:n3 ; ckg:status <https://w3id.org/contrats-kg/status/priority> .

r:o1 a ckg:Orientation ; ckg:contract r:k1 ; skos:prefLabel "Santé pour tous"@fr ; dcterms:subject r:theme\\/health .
r:o2 a ckg:Orientation ; ckg:contract r:k2 ; skos:prefLabel "Santé pour TOUS"@fr ; dcterms:subject r:theme\\/health .
r:o3 a ckg:Orientation ; ckg:contract r:k2 ; skos:prefLabel "Mobilité durable"@fr ; dcterms:subject r:theme\\/mobility .
r:ob1 a ckg:Objective ; ckg:contract r:k2 ; skos:prefLabel "Des bus la nuit"@fr ; skos:broader r:o3 .

r:c1 a ckg:Commitment ; ckg:contract r:k1 ; ckg:partner r:caf ; ckg:text "Soutenir les centres de santé"@fr ;
  ckg:kind <https://w3id.org/contrats-kg/commitment-kind/commitment> ; dcterms:subject r:theme\\/health ;
  prov:wasDerivedFrom r:p1 .
r:p1 ckg:lineStart 10 .
r:c2 a ckg:Commitment ; ckg:contract r:k1 ; ckg:partner r:region ; ckg:text "Navettes"@fr ;
  ckg:kind <https://w3id.org/contrats-kg/commitment-kind/commitment> ; dcterms:subject r:theme\\/mobility ; ckg:scope r:n1 .
r:c3 a ckg:Commitment ; ckg:contract r:k2 ; ckg:partner r:region ; ckg:text "Bus de nuit vers l'hôpital"@fr ;
  ckg:kind <https://w3id.org/contrats-kg/commitment-kind/commitment> ;
  dcterms:subject r:theme\\/mobility, r:theme\\/health ; ckg:objective r:ob1 .
r:c4 a ckg:Commitment ; ckg:contract r:k2 ; ckg:partner r:asso ; ckg:text "Fête de quartier"@fr ;
  ckg:kind <https://w3id.org/contrats-kg/commitment-kind/proposal> ; dcterms:subject r:theme\\/culture_sport .
r:c5 a ckg:Commitment ; ckg:contract r:k3 ; ckg:partner r:caf ; ckg:text "Crèches"@fr ;
  ckg:kind <https://w3id.org/contrats-kg/commitment-kind/commitment> ;
  dcterms:subject r:theme\\/early_childhood_parenting ; ckg:scope r:n2 .
r:c6 a ckg:Commitment ; ckg:contract r:k3 ; ckg:partner r:ville ; ckg:text "Maison de santé"@fr ;
  ckg:kind <https://w3id.org/contrats-kg/commitment-kind/commitment> ; dcterms:subject r:theme\\/health ; ckg:scope r:n3 .

r:i1 a ckg:Indicator ; ckg:contract r:k2 ; ckg:text "Nombre de lignes de nuit"@fr ; ckg:measures r:c3 .
r:i2 a ckg:Indicator ; ckg:contract r:k2 ; ckg:text "Fréquentation"@fr ; ckg:measures r:ob1 .
r:i3 a ckg:Indicator ; ckg:contract r:k1 ; ckg:text "Part des habitants suivis"@fr ; ckg:measures r:o1 .
"""


def write_small_graph(path: Path) -> Path:
    """The small graph with the shipped vocabulary, its comparison counts and counts per contract
    (kg/graph/cube.py, kg/graph/contract_counts.py, as a build adds them), as N-Triples."""
    path.write_text(_small_graph_nt(), encoding="utf-8")
    return path


@cache
def _small_graph_nt() -> str:
    # Made once per session: five test modules write it, a third of a second each time.
    from kg.graph.contract_counts import contract_parts
    from kg.graph.cube import cube_parts

    g = Graph()
    g.parse(data=SMALL, format="turtle")
    for name in ONTOLOGY_FILES:
        g.parse(ONTOLOGY_DIR / name, format="turtle")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "graph.nt"
        g.serialize(path, format="nt", encoding="utf-8")
        scratch = open_store("oxigraph", str(Path(folder) / "counted"))
        scratch.load_file(path)
        for part in [*cube_parts(scratch), *contract_parts(scratch)]:
            g += part
        scratch.close()
    return g.serialize(format="nt")


def normalised(result) -> list[tuple]:
    """Rows as sorted tuples of Python values; GROUP_CONCAT lists (", " or "; ") as sorted sets."""
    def cell(v):
        if isinstance(v, str) and (", " in v or "; " in v) and not v.startswith("http"):
            sep = ", " if ", " in v else "; "
            return sep.join(sorted(v.split(sep)))
        return str(v) if v is not None and not isinstance(v, int | float) else v

    return sorted((tuple(cell(v) for v in row) for row in result.values()), key=repr)


@pytest.fixture(scope="module")
def small_stores(tmp_path_factory):
    folder = tmp_path_factory.mktemp("small")
    nt = write_small_graph(folder / "graph.nt")
    stores = {"memory": open_store("memory", None), "oxigraph": open_store("oxigraph", str(folder / "store"))}
    for store in stores.values():
        store.load_file(nt)
    yield stores
    for store in stores.values():
        store.close()


def run(stores, name: str, **bindings):
    """Run a saved query on every store; they must agree. The Oxigraph result."""
    query = find_saved_query(name)
    assert query is not None, name
    results = {kind: store.query(query.text, bindings) for kind, store in stores.items()}
    first, *others = results.values()
    for other in others:
        assert normalised(other) == normalised(first), name
    return first


def test_every_saved_query_has_a_title_and_declares_what_it_binds() -> None:
    queries = saved_queries()
    assert len(queries) >= 9
    for q in queries:
        assert q.text.startswith("# title: ") and q.title, q.path
        for p in q.params:
            assert f"?{p.name}" in q.text, (q.name, p.name)
            if p.default:  # a default lives in the query itself, so the raw text means the same
                assert f'COALESCE(?{p.name}, "{p.default}")' in q.text, (q.name, p.name)


def test_serve_menu_reads_the_saved_queries() -> None:
    from kg.serve import _examples

    titles = [t for t, _ in _examples()]
    assert len(titles) == len(saved_queries())
    assert any("partner" in t.lower() for t in titles)


def test_overview_and_contracts(small_stores) -> None:
    counts = {row[1]: row[2] for row in run(small_stores, "overview").values()}
    assert counts["Urban-policy contract"] == 3 and counts["Commitment"] == 6
    assert counts["Monitoring indicator"] == 3 and counts["Territory (inter-municipal body)"] == 2
    rows = {r["contract"]: r for r in run(small_stores, "contracts").dicts()}
    assert rows[R + "k1"]["commitments"] == 2 and rows[R + "k1"]["signatories"] == 2
    assert rows[R + "k2"]["neighbourhoods"] == 2 and rows[R + "k2"]["indicators"] == 2
    assert rows[R + "k2"]["orientations"] == 2 and rows[R + "k2"]["objectives"] == 1
    assert [r["contract"] for r in run(small_stores, "contracts", territory="cb").dicts()] == [R + "k3"]


def test_partner_commitments(small_stores) -> None:
    default = run(small_stores, "partner-commitments")
    assert sorted(default.column("commitment")) == [R + "c1", R + "c5"]  # default: caf
    assert {r["territoryName"] for r in default.dicts()} == {"Agglo Alpha", "Communauté Beta"}
    assert default.dicts()[0]["line"] == 10
    by_id = run(small_stores, "partner-commitments", partner="region")
    assert sorted(by_id.column("commitment")) == [R + "c2", R + "c3"]
    themes = {r["commitment"]: set(r["themes"].split(", ")) for r in by_id.dicts()}
    assert themes[R + "c3"] == {"mobility", "health"}
    assert run(small_stores, "partner-commitments", partner=HOSTILE).column("commitment") == [R + "c4"]
    assert run(small_stores, "partner-commitments", partner=URIRef(R + "ville")).column("commitment") == [R + "c6"]
    for attack in ['x" } UNION { ?commitment ?p ?o } #', "caf' ) } #", "zz} #"]:
        assert run(small_stores, "partner-commitments", partner=attack).rows == ()


def test_a_commitment_without_theme_lists_none_the_same_on_every_store(tmp_path) -> None:
    """`themes` of a commitment with no theme is "" on rdflib and on Oxigraph alike (Oxigraph leaves
    an empty GROUP_CONCAT unbound; rdflib and Virtuoso give "")."""
    g = Graph()
    g.parse(data=SMALL, format="turtle")
    for name in ONTOLOGY_FILES:
        g.parse(ONTOLOGY_DIR / name, format="turtle")
    g.remove((URIRef(R + "c5"), URIRef("http://purl.org/dc/terms/subject"), None))
    nt = tmp_path / "graph.nt"
    g.serialize(nt, format="nt", encoding="utf-8")
    stores = {"memory": open_store("memory", None), "oxigraph": open_store("oxigraph", str(tmp_path / "store"))}
    for store in stores.values():
        store.load_file(nt)
    result = run(stores, "partner-commitments")
    themes = {r["commitment"]: r["themes"] for r in result.dicts()}
    assert themes[R + "c5"] == "" and themes[R + "c1"] == "health"
    for store in stores.values():
        store.close()


def test_partners_in_every_territory(small_stores) -> None:
    everywhere = run(small_stores, "partners-in-every-territory").dicts()
    assert sorted(r["name"] for r in everywhere) == ["CAF du Nord", "Région Test"]
    assert all(r["territories"] == r["total"] == 2 for r in everywhere)
    anywhere = run(small_stores, "partners-in-every-territory", at_least="1").dicts()
    assert len(anywhere) == 4 and {r["name"] for r in anywhere} >= {HOSTILE, "Ville X"}


def test_territory_theme_matrix(small_stores) -> None:
    rows = run(small_stores, "territory-theme-matrix").values()
    cells = {(t, theme): n for t, theme, _, n in rows}
    assert len(cells) == 2 * 17  # every territory × every theme, zeros included
    assert cells[("Agglo Alpha", "health")] == 2 and cells[("Agglo Alpha", "mobility")] == 2
    assert cells[("Communauté Beta", "health")] == 1 and cells[("Communauté Beta", "housing")] == 0
    recent = {(t, theme): n for t, theme, _, n in run(small_stores, "territory-theme-matrix", generation="2024").values()}
    assert recent[("Agglo Alpha", "health")] == 1 and len(recent) == 34


def test_neighbourhoods_without_theme(small_stores) -> None:
    health = {(r["neighbourhoodName"], r["contractWide"]) for r in run(small_stores, "neighbourhoods-without-theme").dicts()}
    assert health == {("Quartier Un", 1), ("Quartier Quatre", 1), ("Quartier Deux", 0)}  # Trois has its own
    mobility = run(small_stores, "neighbourhoods-without-theme", theme="mobility").dicts()
    assert {r["neighbourhoodName"] for r in mobility} == {"Quartier Un", "Quartier Deux", "Quartier Trois",
                                                          "Quartier Quatre"}
    assert {r["status"] for r in mobility} == {"priority", "veille"}


def test_generation_changes(small_stores) -> None:
    rows = {(r["change"], r["aspect"], r["item"]) for r in run(small_stores, "generation-changes").dicts()}
    assert rows == {("added", "partner", HOSTILE), ("removed", "partner", "CAF du Nord"),
                    ("added", "theme", "culture_sport"), ("added", "orientation", "Mobilité durable")}
    assert run(small_stores, "generation-changes", territory="beta").rows == ()
    assert len(run(small_stores, "generation-changes", territory="111111111", older="2015", newer="2024")) == 4
    assert run(small_stores, "generation-changes", older="2019").rows == ()


def test_commitments_with_indicators(small_stores) -> None:
    rows = {(r["commitment"], r["indicator"], r["measures"]) for r in run(small_stores, "commitments-with-indicators").dicts()}
    assert rows == {(R + "c3", R + "i1", "commitment"), (R + "c3", R + "i2", "objective")}
    assert run(small_stores, "commitments-with-indicators", partner="caf").rows == ()


def test_signatories(small_stores) -> None:
    rows = run(small_stores, "signatories").dicts()
    assert len(rows) == 5
    alpha = run(small_stores, "signatories", territory="AA").dicts()
    assert [(r["generation"], r["signatory"], r["role"], r["person"]) for r in alpha] == [
        ("2015", "CAF du Nord", None, None), ("2015", "Région Test", "Le Président", "Anne Martin"),
        ("2024", "Région Test", "Le Président", None)]


# ---------------------------------------------------------------- the built corpus (slow)

@pytest.fixture(scope="module")
def corpus(built):
    from kg.build.pipeline import current_build

    build_dir = current_build(built.data_dir)
    store = open_store("oxigraph", str(build_dir / "store"))
    extractions = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in (build_dir / "extractions").glob("*.json")}
    yield store, extractions, build_dir
    store.close()


def _query(store, name: str, **bindings):
    return store.query(find_saved_query(name).text, bindings)


@pytest.mark.slow
def test_built_overview_counts_match_the_extractions(corpus) -> None:
    store, extractions, _ = corpus
    counts = {row[0].rsplit("#", 1)[1]: row[2] for row in _query(store, "overview").values()}
    assert counts["Contract"] == len(extractions) == counts["Document"]
    assert counts["Commitment"] == sum(len(x["commitments"]) for x in extractions.values())
    assert counts["Indicator"] == sum(len(x["indicators"]) for x in extractions.values())
    contracts = _query(store, "contracts").dicts()
    assert len(contracts) == len(extractions)
    by_generation = Counter((r["territoryName"], r["generation"]) for r in contracts)
    assert set(by_generation.values()) == {1}


@pytest.mark.slow
def test_built_partner_commitments_are_the_partners_commitments(corpus) -> None:
    store, extractions, _ = corpus
    rows = _query(store, "partner-commitments").dicts()
    expected = {c["id"] for x in extractions.values() for c in x["commitments"]
                if c["partner_type"] == "caf" or "caf" in c["partner"].lower()}
    assert expected and {r["commitment"].split("/commitment/")[1] for r in rows} == expected
    assert len({r["territoryName"] for r in rows}) >= 2  # the CAF commits in several territories
    region = _query(store, "partner-commitments", partner="region-hauts-de-france").dicts()
    assert {r["commitment"].split("/commitment/")[1] for r in region} == {
        c["id"] for x in extractions.values() for c in x["commitments"] if c["partner_id"] == "region-hauts-de-france"}


@pytest.mark.slow
def test_built_partners_and_territories(corpus) -> None:
    store, extractions, _ = corpus
    territories = {x["territory"]["name"] for x in extractions.values()}
    everywhere = _query(store, "partners-in-every-territory").dicts()
    anywhere = _query(store, "partners-in-every-territory", at_least="1").dicts()
    assert all(r["total"] == len(territories) for r in anywhere)
    assert [r["partner"] for r in everywhere] == [r["partner"] for r in anywhere if r["territories"] == len(territories)]
    # Against the extraction: in how many territories each (non-EPCI) partner signs or commits.
    present: dict[str, set[str]] = {}
    for x in extractions.values():
        for c in x["commitments"]:
            present.setdefault(c["partner_id"], set()).add(x["territory"]["name"])
        for s in x["signatories"]:
            present.setdefault(s["organisation"], set()).add(x["territory"]["name"])
    for r in anywhere:
        org_id = r["partner"].rsplit("/organisation/", 1)[-1]
        if "/organisation/" in r["partner"]:
            assert r["territories"] == len(present[org_id]), org_id

    matrix = _query(store, "territory-theme-matrix").values()
    assert {t for t, *_ in matrix} == territories  # every territory has its row
    cells = {(t, theme): n for t, theme, _, n in matrix}
    assert len(cells) == len(territories) * 17
    for t in territories:
        for theme in ("health", "employment"):
            assert cells[(t, theme)] == sum(theme in c["themes"] for x in extractions.values()
                                            if x["territory"]["name"] == t for c in x["commitments"])


@pytest.mark.slow
def test_built_neighbourhoods_without_health(corpus) -> None:
    store, extractions, _ = corpus
    rows = _query(store, "neighbourhoods-without-theme").dicts()
    assert rows, "some listed neighbourhood has no health commitment aimed at it"
    check = ("PREFIX ckg: <https://w3id.org/contrats-kg/ontology#> ASK { ?c ckg:scope ?n ; ckg:contract ?k ; "
             "<http://purl.org/dc/terms/subject> <https://w3id.org/contrats-kg/theme/health> }")
    for r in rows:
        assert r["wanted"] == "health" and r["status"] in ("priority", "veille", "vulnerabilite")
        assert store.query(check, {"n": URIRef(r["neighbourhood"]), "k": URIRef(r["contract"])}).boolean is False
    designated = sum(len(x["neighbourhoods"]) for x in extractions.values())
    assert len(rows) <= designated


@pytest.mark.slow
def test_built_generation_changes(corpus) -> None:
    store, extractions, _ = corpus
    generations: dict[str, set[str]] = {}
    for x in extractions.values():
        generations.setdefault(x["territory"]["name"], set()).add(x["document"]["generation"])
    several = {t for t, g in generations.items() if len(g) > 1}
    rows = _query(store, "generation-changes").dicts()
    assert several and {r["territoryName"] for r in rows} == several
    ask = ("PREFIX ckg: <https://w3id.org/contrats-kg/ontology#> PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
           "ASK { ?k ckg:territory/skos:prefLabel ?tl ; ckg:generation ?g ; ckg:signedBy|ckg:hasPartner ?p . "
           "?p skos:prefLabel ?pl FILTER(STR(?tl) = ?t && STR(?pl) = ?name) }")
    for r in rows:
        if r["aspect"] == "partner":
            new = r["to"] if r["change"] == "added" else r["from"]
            assert store.query(ask, {"t": r["territoryName"], "g": new, "name": r["item"]}).boolean
    single = next(iter(set(generations) - several), None)
    if single:
        assert _query(store, "generation-changes", territory=single).rows == ()


@pytest.mark.slow
def test_built_indicators_and_signatories(corpus) -> None:
    store, extractions, _ = corpus
    rows = _query(store, "commitments-with-indicators").dicts()
    direct = {(r["commitment"].split("/commitment/")[1], r["indicatorText"]) for r in rows if r["measures"] == "commitment"}
    expected = {(i["commitment"], i["text"]) for x in extractions.values() for i in x["indicators"] if i["commitment"]}
    assert direct == expected
    signatories = _query(store, "signatories").dicts()
    assert len(signatories) == len({(x["document"]["id"], s["organisation"]) for x in extractions.values()
                                     for s in x["signatories"]})


@pytest.mark.slow
def test_cli_sparql_on_the_build(built) -> None:
    from click.testing import CliRunner

    from kg.cli import main

    runner = CliRunner()
    out = runner.invoke(main, ["sparql", "territory-theme-matrix", "--data", str(built.data_dir), "--format", "csv"])
    assert out.exit_code == 0, out.output
    assert out.output.splitlines()[0] == "territoryName,theme,label,commitments"
    out = runner.invoke(main, ["sparql", "partner-commitments", "--data", str(built.data_dir), "--format", "json",
                               "--bind", 'partner=x" } UNION { ?s ?p ?o } #'])
    assert out.exit_code == 0 and json.loads(out.output)["results"]["bindings"] == []
    out = runner.invoke(main, ["sparql", "signatories", "--data", str(built.data_dir), "--bind", "nope=1"])
    assert out.exit_code == 1 and "takes territory" in out.output


# ---------------------------------------------------------------- a SPARQL server (Virtuoso)

@pytest.mark.slow
@pytest.mark.server
def test_build_into_virtuoso_gives_the_same_answers_as_oxigraph(built, corpus, tmp_path) -> None:
    """`contrats build` with CONTRATS_STORE=sparql writes into a real server; every saved query
    then answers as it does on the embedded Oxigraph store."""
    require_virtuoso()
    from kg.build.pipeline import build
    from kg.config import Settings
    from tests import virtuoso

    oxigraph, _, _ = corpus
    data = tmp_path / "data"
    data.mkdir()
    for shared in ("cache", "models"):  # reuse the corpus build's per-document results and encoder
        (data / shared).symlink_to(built.data_dir / shared)
    (tmp_path / "virtuoso").mkdir()
    with virtuoso.running_virtuoso(tmp_path / "virtuoso") as url:
        settings = Settings(data_dir=data, store="sparql", sparql_query_url=url, sparql_update_url=url,
                            model=built.model, reference_dir=built.reference_dir)
        summary = build([Path(__file__).resolve().parent.parent / "corpus"], settings, log=lambda m: None)
        server = open_store("sparql", url, update_url=url)
        assert server.triples_count() == summary.triples == oxigraph.triples_count()
        for q in saved_queries():
            assert normalised(server.query(q.text)) == normalised(oxigraph.query(q.text)), q.name
        bound = {"partner": "region-hauts-de-france"}
        query = find_saved_query("partner-commitments").text
        assert normalised(server.query(query, bound)) == normalised(oxigraph.query(query, bound))
        server.close()
