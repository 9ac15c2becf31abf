"""The comparison counts (kg/graph/cube.py): W3C Data Cube observations made at build time, equal to the
counts of the raw graph, without the facts a reviewer rejected, and SHACL-shaped."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

import pytest
from rdflib import RDF, Graph, Literal

from kg.graph import uris
from kg.graph.cube import ALL_PARTNER_TYPES, ALL_THEMES, QB, comparison_counts, cube_parts
from kg.graph.uris import CKG, REJECTED_GRAPH
from kg.graph.validate import SHAPES
from kg.graph.validate_store import additions_failures
from kg.graph.validate_store import merge_failures as store_failures
from kg.graph.writer import build_activity_graph, extraction_to_graph, facts_graph
from kg.sparql.store import OxigraphStore
from tests.test_graph import DOC, _extraction

TERRITORY = str(uris.territory_uri("200043396", ""))


def _store(tmp_path: Path, published: Graph, rejected: Graph | None = None) -> OxigraphStore:
    tmp_path.mkdir(parents=True, exist_ok=True)
    store = OxigraphStore(tmp_path / "store", read_only=False)
    (tmp_path / "graph.nt").write_text(published.serialize(format="nt"), encoding="utf-8")
    store.load_file(tmp_path / "graph.nt")
    if rejected is not None:
        (tmp_path / "rejected.nt").write_text(rejected.serialize(format="nt"), encoding="utf-8")
        store.load_file(tmp_path / "rejected.nt", graph=REJECTED_GRAPH)
    return store


def _commitments(counts) -> dict[tuple[str, str], int]:
    return {(c.theme.rsplit("/", 1)[-1].rsplit("#", 1)[-1], c.partner_type.rsplit("/", 1)[-1].rsplit("#", 1)[-1]): n
            for c, n in counts.items() if c.measure == "commitmentCount" and c.territory == TERRITORY}


def test_a_rejected_commitment_is_not_counted(tmp_path: Path) -> None:
    x, ps = _extraction()
    whole = extraction_to_graph(x, ps) + build_activity_graph("b", "2025-01-01T00:00:00+00:00", [DOC])
    counted = _commitments(comparison_counts(_store(tmp_path / "all", whole)))
    assert counted == {("access_to_rights", "caf"): 1, ("access_to_rights", "allPartnerTypes"): 1,
                       ("allThemes", "caf"): 1, ("allThemes", "allPartnerTypes"): 1}
    # As a build publishes a rejection (kg.review.reviewed_graph): the commitment leaves the published graph
    # and goes to the named graph `rejected`.
    rejected = facts_graph(x, ps, x.commitments)
    commitment = uris.commitment_uri(DOC, f"{DOC}/c1")
    published = Graph() + whole
    for triple in list(published.triples((commitment, None, None))):
        published.remove(triple)
    counts = comparison_counts(_store(tmp_path / "reviewed", published, rejected))
    assert _commitments(counts) == {}
    assert {c.measure for c in counts} >= {"neighbourhoodCount", "contractCount", "signatoryCount"}


def test_observations_conform_to_their_shapes_and_a_broken_one_is_refused(tmp_path: Path) -> None:
    x, ps = _extraction()
    whole = extraction_to_graph(x, ps) + build_activity_graph("b", "2025-01-01T00:00:00+00:00", [DOC])
    store = _store(tmp_path, whole)
    parts = list(cube_parts(store))
    assert len(parts) == 1 and all(additions_failures(p, store, SHAPES) == [] for p in parts)
    observations = list(parts[0].subjects(RDF.type, QB.Observation))
    assert len(observations) == len(comparison_counts(store))
    broken = Graph() + parts[0]
    first = sorted(observations)[0]
    broken.set((first, CKG.refTheme, CKG.noSuchTheme))
    broken.add((first, CKG.refGeneration, Literal("2031")))
    keys = {f.key for f in additions_failures(broken, store, SHAPES)}
    assert keys == {"Or on ckg:refTheme", "MaxCount on ckg:refGeneration"}
    # The measure value is checked on the store, over every observation at once (sh:sparql).
    measure = parts[0].value(first, QB.measureType)
    broken = Graph() + parts[0]
    broken.remove((first, measure, None))
    (tmp_path / "cube.nt").write_text(broken.serialize(format="nt"), encoding="utf-8")
    store.load_file(tmp_path / "cube.nt")
    failures = store_failures(store, SHAPES)
    assert [(f.key, f.nodes) for f in failures] == [("SPARQL on shapes:Observation", (str(first),))]


@pytest.mark.slow
def test_cube_counts_equal_the_counts_of_the_raw_graph(built) -> None:
    """On the built shipped corpus: every commitment, indicator and neighbourhood count of the
    cube, recounted from graph.nt triple by triple (no SPARQL)."""
    import pyoxigraph as ox

    from kg.build.pipeline import current_build

    folder = current_build(built.data_dir)
    by = defaultdict(lambda: defaultdict(set))  # predicate -> subject -> objects
    wanted = {str(p) for p in (RDF.type, CKG.contract, CKG.territory, CKG.generation, CKG.partner, CKG.partnerType,
                               CKG.measures, CKG.neighbourhood)} | {"http://purl.org/dc/terms/subject"}
    for t in ox.parse(path=str(folder / "graph.nt"), format=ox.RdfFormat.N_TRIPLES):
        if t.predicate.value in wanted:
            by[t.predicate.value][t.subject.value].add(t.object.value)
    typed = defaultdict(set)
    for s, classes in by[str(RDF.type)].items():
        for c in classes:
            typed[c].add(s)

    def where(contract: str) -> tuple[str, str]:
        return next(iter(by[str(CKG.territory)][contract])), next(iter(by[str(CKG.generation)][contract]))

    expected: Counter = Counter()
    for c in typed[str(CKG.Commitment)]:
        t, g = where(next(iter(by[str(CKG.contract)][c])))
        themes = by["http://purl.org/dc/terms/subject"][c] | {str(ALL_THEMES)}
        types = {pt for org in by[str(CKG.partner)][c] for pt in by[str(CKG.partnerType)][org]} | {str(ALL_PARTNER_TYPES)}
        for theme in themes:
            for pt in types:
                expected[("commitmentCount", t, g, theme, pt)] += 1
    for i in typed[str(CKG.Indicator)]:
        t, g = where(next(iter(by[str(CKG.contract)][i])))
        expected[("indicatorCount", t, g, str(ALL_THEMES), str(ALL_PARTNER_TYPES))] += 1
    for contract, neighbourhoods in by[str(CKG.neighbourhood)].items():
        if contract in typed[str(CKG.Contract)]:
            t, g = where(contract)
            expected[("neighbourhoodCount", t, g, str(ALL_THEMES), str(ALL_PARTNER_TYPES))] += len(neighbourhoods)

    store = OxigraphStore(folder / "store", read_only=True)
    rows = store.query("""PREFIX qb: <http://purl.org/linked-data/cube#> PREFIX ckg: <https://w3id.org/contrats-kg/ontology#>
        SELECT ?m ?t ?g ?theme ?pt ?n WHERE { ?o a qb:Observation ; qb:measureType ?m ; ckg:refTerritory ?t ;
          ckg:refGeneration ?g ; ckg:refTheme ?theme ; ckg:refPartnerType ?pt ; ?m ?n }""").values()
    cube = {(m.rsplit("#", 1)[-1], t, str(g), theme, pt): n for m, t, g, theme, pt, n in rows}
    measured = {k: n for k, n in cube.items() if k[0] == "commitmentCount"
                or (k[0] in ("indicatorCount", "neighbourhoodCount") and k[3] == str(ALL_THEMES) and k[4] == str(ALL_PARTNER_TYPES))}
    assert sum(n for k, n in measured.items() if k[0] == "commitmentCount" and k[3] == str(ALL_THEMES)
               and k[4] == str(ALL_PARTNER_TYPES)) == len(typed[str(CKG.Commitment)]) > 100
    assert measured == dict(expected)


@pytest.mark.slow
def test_the_comparison_page_counts_equal_the_extractions(built) -> None:
    """kg.views.compare.theme_counts (the comparer's heat map, read from the cube) against the built
    extractions, territory by territory under the index's names, for every generation and one."""
    import json

    from kg.build.pipeline import current_build
    from kg.jsonl import read_jsonl
    from kg.views.compare import theme_counts

    folder = current_build(built.data_dir)
    documents = list(read_jsonl(folder / "documents.jsonl"))
    names = {d["territory"]: d.get("territory_short") or d["territory"] for d in documents}
    expected: Counter = Counter()
    recent: Counter = Counter()
    for d in documents:
        x = json.loads((folder / "extractions" / f"{d['id']}.json").read_text(encoding="utf-8"))
        for c in x["commitments"]:
            for theme in c["themes"]:
                expected[(names[d["territory"]], theme)] += 1
                recent[(names[d["territory"]], theme)] += d.get("generation") == "2024"
    store = OxigraphStore(folder / "store", read_only=True)
    assert theme_counts(store, names) == dict(expected) and sum(expected.values()) > 100
    assert theme_counts(store, names, generation="2024") == {k: n for k, n in recent.items() if n}
