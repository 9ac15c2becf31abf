"""The counts per contract (kg/graph/contract_counts.py): equal to the counts of the raw graph, split by
theme and scope for commitments, SHACL-shaped, and a broken observation refused."""

from __future__ import annotations

from pathlib import Path

from rdflib import RDF, Graph, URIRef

from kg.graph.contract_counts import ANY_SCOPE, CONTRACT_WIDE, contract_counts, contract_parts
from kg.graph.cube import ALL_THEMES, QB
from kg.graph.uris import CKG
from kg.graph.validate import SHAPES
from kg.graph.validate_store import additions_failures, merge_failures
from kg.sparql.store import OxigraphStore
from tests.test_queries import SMALL

R = "https://w3id.org/contrats-kg/"


def _store(tmp_path: Path) -> OxigraphStore:
    g = Graph().parse(data=SMALL, format="turtle")
    for name in ("contrats.ttl", "themes.ttl", "cube.ttl"):
        g.parse(Path(__file__).resolve().parent.parent / "ontology" / name, format="turtle")
    (tmp_path / "graph.nt").write_text(g.serialize(format="nt"), encoding="utf-8")
    store = OxigraphStore(tmp_path / "store", read_only=False)
    store.load_file(tmp_path / "graph.nt")
    return store


def _count(counts, measure: str, contract: str, theme=ALL_THEMES, scope=ANY_SCOPE) -> int:
    return {(c.measure, c.contract, c.theme, c.scope): n for c, n in counts.items()}.get(
        (measure, R + contract, str(theme), str(scope)), 0)


def test_counts_per_contract_kind_theme_and_scope(tmp_path: Path) -> None:
    counts = contract_counts(_store(tmp_path))
    assert _count(counts, "commitmentCount", "k1") == 2 and _count(counts, "commitmentCount", "k2") == 2
    assert _count(counts, "signatoryCount", "k1") == 2 and _count(counts, "neighbourhoodCount", "k2") == 2
    assert _count(counts, "indicatorCount", "k2") == 2 and _count(counts, "orientationCount", "k2") == 2
    assert _count(counts, "objectiveCount", "k2") == 1 and _count(counts, "partnerCount", "k3") == 2
    assert _count(counts, "objectiveCount", "k1") == 0  # nothing counted: no observation
    health = URIRef(R + "theme/health")
    # k1: c1 (health, no scope) and c2 (mobility, scoped to n1); k3: c5 and c6 each scoped.
    assert _count(counts, "commitmentCount", "k1", scope=CONTRACT_WIDE) == 1
    assert _count(counts, "commitmentCount", "k1", health, CONTRACT_WIDE) == 1
    assert _count(counts, "commitmentCount", "k1", scope=URIRef(R + "n1")) == 1
    assert _count(counts, "commitmentCount", "k3", health, URIRef(R + "n3")) == 1
    assert _count(counts, "commitmentCount", "k3", scope=CONTRACT_WIDE) == 0
    # Only commitments are split by theme or scope.
    assert {c.measure for c in counts if c.theme != str(ALL_THEMES) or c.scope != str(ANY_SCOPE)} == {
        "commitmentCount"}


def test_observations_conform_and_a_broken_one_is_refused(tmp_path: Path) -> None:
    store = _store(tmp_path)
    parts = list(contract_parts(store))
    assert len(parts) == 1 and additions_failures(parts[0], store, SHAPES) == []
    observations = sorted(parts[0].subjects(RDF.type, QB.Observation))
    assert len(observations) == len(contract_counts(store))
    first = observations[0]
    broken = Graph() + parts[0]
    broken.set((first, CKG.refScope, CKG.noSuchScope))
    broken.set((first, CKG.refContract, URIRef(R + "n1")))  # a neighbourhood, not a contract
    keys = {f.key for f in additions_failures(broken, store, SHAPES)}
    assert keys == {"Or on ckg:refScope", "Class on ckg:refContract"}
    # A dimension of the data set's structure missing: found on the store (sh:sparql).
    broken = Graph() + parts[0]
    broken.remove((first, CKG.refScope, None))
    (tmp_path / "counts.nt").write_text(broken.serialize(format="nt"), encoding="utf-8")
    store.load_file(tmp_path / "counts.nt")
    failures = merge_failures(store, SHAPES)
    assert [(f.key, f.nodes) for f in failures] == [("SPARQL on shapes:Observation", (str(first),))]


def test_counts_read_in_one_pass_equal_the_graph_counted_by_sparql(tmp_path: Path) -> None:
    """Both data sets from one reading of the facts (kg.graph.cube_facts), as the SPARQL aggregates of
    the same graph count them; count_parts gives both data sets' observations."""
    from kg.graph.contract_counts import count_parts
    from kg.graph.cube import comparison_counts, cube_parts
    from kg.graph.cube_facts import read_facts

    store = _store(tmp_path)
    facts = read_facts(store)
    per_contract = {(c.contract, c.theme): n for c, n in contract_counts(store, facts).items()
                    if c.measure == "commitmentCount" and c.scope == str(ANY_SCOPE)}
    counted = store.query("""PREFIX ckg: <https://w3id.org/contrats-kg/ontology#>
        PREFIX dcterms: <http://purl.org/dc/terms/>
        SELECT ?contract ?theme (COUNT(DISTINCT ?c) AS ?n) WHERE {
          ?c a ckg:Commitment ; ckg:contract ?contract . ?contract a ckg:Contract .
          { ?c dcterms:subject ?theme } UNION { BIND(ckg:allThemes AS ?theme) } } GROUP BY ?contract ?theme""")
    assert per_contract == {(contract, theme): n for contract, theme, n in counted.values()}
    cube = {(c.territory, c.generation, c.theme): n for c, n in comparison_counts(store, facts).items()
            if c.measure == "objectiveCount" and c.partner_type.endswith("allPartnerTypes")}
    counted = store.query("""PREFIX ckg: <https://w3id.org/contrats-kg/ontology#>
        PREFIX dcterms: <http://purl.org/dc/terms/>
        SELECT ?t ?g ?theme (COUNT(DISTINCT ?o) AS ?n) WHERE {
          ?o a ckg:Objective ; ckg:contract ?k . ?k ckg:territory ?t ; ckg:generation ?g .
          { ?o dcterms:subject ?theme } UNION { BIND(ckg:allThemes AS ?theme) } } GROUP BY ?t ?g ?theme""")
    assert cube == {(t, g, theme): n for t, g, theme, n in counted.values()} and cube
    both = Graph()
    for part in count_parts(store):
        both += part
    separately = Graph()
    for part in [*cube_parts(store), *contract_parts(store)]:
        separately += part
    assert len(both) == len(separately) > 0 and set(both) == set(separately)
