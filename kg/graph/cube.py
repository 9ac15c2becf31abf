"""The comparison counts of a build, as W3C Data Cube observations (ontology/cube.ttl).

Counted on the build's store once the graph is loaded: the facts each measure needs (the counted
items with their contract's territory and generation and their themes and partner types) are read
once (kg.graph.cube_facts), and the counts per cell — every theme and every partner type included — are
made here.
The store's default graph is the published graph: facts a reviewer rejected live in the named
graph `rejected` and are not counted.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from rdflib import RDF, RDFS, XSD, Graph, Literal, Namespace, URIRef

from kg.graph.cube_facts import CONTRACT_TABLES, Facts, read_facts
from kg.graph.uris import BASE, CKG

QB = Namespace("http://purl.org/linked-data/cube#")
DATASET = URIRef(BASE + "cube/comparison")
ALL_THEMES, ALL_PARTNER_TYPES = CKG.allThemes, CKG.allPartnerTypes
UNKNOWN_GENERATION = "unknown"

# What each measure counts (kg.graph.cube_facts reads the facts once): an item of a contract, the
# contract's territory and generation, and the item's themes and partner types — measures without
# them are counted over every theme / partner type only. As SPARQL, for the record:
#   commitmentCount   ?item a ckg:Commitment ; ckg:contract ?contract .
#                     OPTIONAL { ?item dcterms:subject ?theme } OPTIONAL { ?item ckg:partner/ckg:partnerType ?type }
#   indicatorCount    ?item a ckg:Indicator ; ckg:contract ?contract .
#                     OPTIONAL { ?item ckg:measures/dcterms:subject ?theme }
#                     OPTIONAL { ?item ckg:measures/ckg:partner/ckg:partnerType ?type }
#   objectiveCount, orientationCount   ?item a ckg:Objective (Orientation) ; ckg:contract ?contract .
#                     OPTIONAL { ?item dcterms:subject ?theme }
#   neighbourhoodCount  ?contract ckg:neighbourhood ?item .
#   partnerCount, signatoryCount   ?contract ckg:hasPartner (ckg:signedBy) ?item . OPTIONAL { ?item ckg:partnerType ?type }
#   contractCount     ?contract a ckg:Contract . BIND(?contract AS ?item)
# each with ?contract ckg:territory ?t . OPTIONAL { ?contract ckg:generation ?g }.
MEASURES = ("commitmentCount", "indicatorCount", "objectiveCount", "orientationCount", "neighbourhoodCount",
            "partnerCount", "signatoryCount", "contractCount")


@dataclass(frozen=True)
class Cell:
    measure: str
    territory: str
    generation: str
    theme: str  # a theme IRI, or ALL_THEMES
    partner_type: str  # a partner-type IRI, or ALL_PARTNER_TYPES


def _items(facts: Facts, measure: str) -> Iterator[tuple[str, str, set, set]]:
    """(item, contract, themes, partner types) of each item the measure counts."""
    def types(orgs) -> set:
        return {t for org in orgs for t in facts.of("partnerType", org)}

    kind = measure.removesuffix("Count").capitalize()
    if kind in ("Commitment", "Indicator", "Objective", "Orientation"):
        for item in facts.instances[kind]:
            if kind == "Indicator":
                targets = facts.of("measures", item)
                themes = {th for target in targets for th in facts.of("subject", target)}
                partner_types = types(org for target in targets for org in facts.of("partner", target))
            else:
                themes = set(facts.of("subject", item))
                partner_types = types(facts.of("partner", item)) if kind == "Commitment" else set()
            for contract in facts.of("contract", item):
                yield item, contract, themes, partner_types
    elif measure == "contractCount":
        for contract in facts.instances["Contract"]:
            yield contract, contract, set(), set()
    else:
        table = CONTRACT_TABLES[measure]
        for contract, items in facts.tables[table].items():
            for item in items:
                yield item, contract, set(), (set() if table == "neighbourhood" else types([item]))


def comparison_counts(store, facts: Facts | None = None) -> dict[Cell, int]:
    """Every non-zero cell of the cube, counted over the store's default graph (or `facts` read
    from it, when the counts per contract are made in the same pass)."""
    facts = facts or read_facts(store)
    counts: dict[Cell, int] = {}
    for measure in MEASURES:
        # An item counts once per (territory, generation) whatever its contracts there.
        facets: dict[tuple[str, str, str], tuple[set, set]] = defaultdict(lambda: (set(), set()))
        for item, contract, themes, types in _items(facts, measure):
            for territory in facts.of("territory", contract):
                for generation in facts.of("generation", contract) or [None]:
                    seen_themes, seen_types = facets[(item, territory, str(generation or UNKNOWN_GENERATION))]
                    seen_themes |= themes
                    seen_types |= types
        for (_item, territory, generation), (themes, types) in facets.items():
            for theme in (*themes, str(ALL_THEMES)):
                for partner_type in (*types, str(ALL_PARTNER_TYPES)):
                    cell = Cell(measure, territory, generation, theme, partner_type)
                    counts[cell] = counts.get(cell, 0) + 1
    return counts


def observation_uri(cell: Cell) -> URIRef:
    key = "\0".join((cell.measure, cell.territory, cell.generation, cell.theme, cell.partner_type))
    return URIRef(f"{DATASET}/{hashlib.sha256(key.encode('utf-8')).hexdigest()[:20]}")


def dataset_graph(dataset: URIRef = DATASET, structure: URIRef = CKG.comparisonStructure,
                  labels: tuple[str, str] = ("Comptes de comparaison des contrats",
                                             "Comparison counts of the contracts")) -> Graph:
    """A data set's description (French and English labels), the head of each batch of its
    observations so that each validates on its own."""
    g = Graph()
    g.add((dataset, RDF.type, QB.DataSet))
    g.add((dataset, QB.structure, structure))
    g.add((dataset, RDFS.label, Literal(labels[0], lang="fr")))
    g.add((dataset, RDFS.label, Literal(labels[1], lang="en")))
    return g


def add_observation(g: Graph, obs: URIRef, dataset: URIRef, dimensions: dict, measure: str, n: int) -> None:
    """One observation of a data set: its dimensions' values, its measure and the count (the
    comparison counts here and the counts per contract, kg.graph.contract_counts, share it)."""
    g.add((obs, RDF.type, QB.Observation))
    g.add((obs, QB.dataSet, dataset))
    for dimension, value in dimensions.items():
        g.add((obs, dimension, value))
    g.add((obs, QB.measureType, CKG[measure]))
    g.add((obs, CKG[measure], Literal(n, datatype=XSD.integer)))


def observations_graph(counts: dict[Cell, int]) -> Graph:
    g = dataset_graph()  # with each batch, so that each validates on its own
    for cell, n in counts.items():
        add_observation(g, observation_uri(cell), DATASET,
                        {CKG.refTerritory: URIRef(cell.territory), CKG.refGeneration: Literal(cell.generation),
                         CKG.refTheme: URIRef(cell.theme), CKG.refPartnerType: URIRef(cell.partner_type)},
                        cell.measure, n)
    return g


def cube_parts(store, batch: int = 5000, facts: Facts | None = None) -> Iterator[Graph]:
    """The data set and its observations, in graphs of `batch` observations (each validated on its
    own, so the cube of a national build is never held whole)."""
    cells = sorted(comparison_counts(store, facts).items(), key=lambda kv: observation_uri(kv[0]))
    for start in range(0, len(cells), batch):
        yield observations_graph(dict(cells[start:start + batch]))
