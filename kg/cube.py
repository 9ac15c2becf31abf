"""The comparison counts of a build, as W3C Data Cube observations (ontology/cube.ttl).

Counted on the build's store once the graph is loaded: for each measure, one SPARQL query lists
the counted items with their contract's territory and generation and their themes and partner
types, and the counts per cell — every theme and every partner type included — are made here.
The store's default graph is the published graph: facts a reviewer rejected live in the named
graph `rejected` and are not counted.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from rdflib import RDF, RDFS, XSD, Graph, Literal, Namespace, URIRef

from kg.uris import BASE, CKG

QB = Namespace("http://purl.org/linked-data/cube#")
DATASET = URIRef(BASE + "cube/comparison")
ALL_THEMES, ALL_PARTNER_TYPES = CKG.allThemes, CKG.allPartnerTypes
UNKNOWN_GENERATION = "unknown"

# What each measure counts: a pattern binding ?item and its ?contract, and optionally its ?theme
# and its partner ?type (measures without them are counted over every theme / partner type only).
MEASURES: dict[str, str] = {
    "commitmentCount": "?item a ckg:Commitment ; ckg:contract ?contract . "
                       "OPTIONAL { ?item dcterms:subject ?theme } OPTIONAL { ?item ckg:partner/ckg:partnerType ?type }",
    "indicatorCount": "?item a ckg:Indicator ; ckg:contract ?contract . "
                      "OPTIONAL { ?item ckg:measures/dcterms:subject ?theme } "
                      "OPTIONAL { ?item ckg:measures/ckg:partner/ckg:partnerType ?type }",
    "objectiveCount": "?item a ckg:Objective ; ckg:contract ?contract . OPTIONAL { ?item dcterms:subject ?theme }",
    "orientationCount": "?item a ckg:Orientation ; ckg:contract ?contract . OPTIONAL { ?item dcterms:subject ?theme }",
    "neighbourhoodCount": "?contract ckg:neighbourhood ?item .",
    "partnerCount": "?contract ckg:hasPartner ?item . OPTIONAL { ?item ckg:partnerType ?type }",
    "signatoryCount": "?contract ckg:signedBy ?item . OPTIONAL { ?item ckg:partnerType ?type }",
    "contractCount": "?contract a ckg:Contract . BIND(?contract AS ?item)",
}
_PREFIXES = ("PREFIX ckg: <https://w3id.org/contrats-kg/ontology#>\n"
             "PREFIX dcterms: <http://purl.org/dc/terms/>\n")


@dataclass(frozen=True)
class Cell:
    measure: str
    territory: str
    generation: str
    theme: str  # a theme IRI, or ALL_THEMES
    partner_type: str  # a partner-type IRI, or ALL_PARTNER_TYPES


def _items(store, measure: str) -> Iterator[tuple]:
    query = (_PREFIXES + "SELECT DISTINCT ?item ?t ?g ?theme ?type WHERE { " + MEASURES[measure]
             + " ?contract ckg:territory ?t . OPTIONAL { ?contract ckg:generation ?g } }")
    yield from store.query(query).values()


def comparison_counts(store) -> dict[Cell, int]:
    """Every non-zero cell of the cube, counted over the store's default graph."""
    counts: dict[Cell, int] = {}
    for measure in MEASURES:
        facets: dict[tuple[str, str, str], tuple[set, set]] = defaultdict(lambda: (set(), set()))
        for item, territory, generation, theme, partner_type in _items(store, measure):
            themes, types = facets[(item, territory, str(generation or UNKNOWN_GENERATION))]
            if theme:
                themes.add(theme)
            if partner_type:
                types.add(partner_type)
        for (_item, territory, generation), (themes, types) in facets.items():
            for theme in (*themes, str(ALL_THEMES)):
                for partner_type in (*types, str(ALL_PARTNER_TYPES)):
                    cell = Cell(measure, territory, generation, theme, partner_type)
                    counts[cell] = counts.get(cell, 0) + 1
    return counts


def observation_uri(cell: Cell) -> URIRef:
    key = "\0".join((cell.measure, cell.territory, cell.generation, cell.theme, cell.partner_type))
    return URIRef(f"{DATASET}/{hashlib.sha256(key.encode('utf-8')).hexdigest()[:20]}")


def dataset_graph() -> Graph:
    g = Graph()
    g.add((DATASET, RDF.type, QB.DataSet))
    g.add((DATASET, QB.structure, CKG.comparisonStructure))
    g.add((DATASET, RDFS.label, Literal("Comptes de comparaison des contrats", lang="fr")))
    g.add((DATASET, RDFS.label, Literal("Comparison counts of the contracts", lang="en")))
    return g


def add_observation(g: Graph, obs: URIRef, dataset: URIRef, dimensions: dict, measure: str, n: int) -> None:
    """One observation of a data set: its dimensions' values, its measure and the count (the
    comparison counts here and the counts per contract, kg.contract_counts, share it)."""
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


def cube_parts(store, batch: int = 5000) -> Iterator[Graph]:
    """The data set and its observations, in graphs of `batch` observations (each validated on its
    own, so the cube of a national build is never held whole)."""
    cells = sorted(comparison_counts(store).items(), key=lambda kv: observation_uri(kv[0]))
    for start in range(0, len(cells), batch):
        yield observations_graph(dict(cells[start:start + batch]))
