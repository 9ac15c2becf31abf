"""The per-contract counts of a build, as W3C Data Cube observations (ontology/cube.ttl).

The saved listings that count per contract or per neighbourhood (kg/queries: contracts,
neighbourhoods-without-theme, neighbourhood-map) aggregated every commitment of the graph on each
run: seconds at 50 contracts, far past the endpoint's timeout at the national scale on Oxigraph,
which has no planner to push the few contracts asked for into the counting. They read these
observations instead: one per contract and measure (over every theme and scope), and for
commitments one per contract × theme (or every theme) × scope, the scope being a neighbourhood
the commitments are specific to (ckg:scope), `ckg:contractWide` for those naming none, or
`ckg:anyScope` for all of them. Counted on the build's store like kg/cube.py, over its default
graph (the published graph: rejected facts are not counted).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from rdflib import RDF, RDFS, Graph, Literal, URIRef

from kg.cube import ALL_THEMES, QB, add_observation
from kg.uris import BASE, CKG

DATASET = URIRef(BASE + "cube/contracts")
ANY_SCOPE, CONTRACT_WIDE = CKG.anyScope, CKG.contractWide

# What each measure counts per contract (?item of ?contract), over every theme and scope.
KINDS: dict[str, str] = {
    "neighbourhoodCount": "?contract ckg:neighbourhood ?item .",
    "signatoryCount": "?contract ckg:signedBy ?item .",
    "partnerCount": "?contract ckg:hasPartner ?item .",
    "orientationCount": "?item a ckg:Orientation ; ckg:contract ?contract .",
    "objectiveCount": "?item a ckg:Objective ; ckg:contract ?contract .",
    "indicatorCount": "?item a ckg:Indicator ; ckg:contract ?contract .",
}
# Commitments with their themes and scopes: counted per theme and per scope too.
COMMITMENTS = ("?item a ckg:Commitment ; ckg:contract ?contract . "
               "OPTIONAL { ?item dcterms:subject ?theme } OPTIONAL { ?item ckg:scope ?scope }")
_PREFIXES = ("PREFIX ckg: <https://w3id.org/contrats-kg/ontology#>\n"
             "PREFIX dcterms: <http://purl.org/dc/terms/>\n")


@dataclass(frozen=True)
class ContractCell:
    measure: str
    contract: str
    theme: str  # a theme IRI, or ALL_THEMES
    scope: str  # a neighbourhood IRI, CONTRACT_WIDE or ANY_SCOPE


def _rows(store, pattern: str, extra: str = "") -> Iterator[tuple]:
    # The contracts first: Oxigraph joins in the written order, and there are few of them.
    query = (_PREFIXES + f"SELECT DISTINCT ?contract ?item {extra} WHERE {{ ?contract a ckg:Contract . "
             + pattern + " }")
    yield from store.query(query).values()


def contract_counts(store) -> dict[ContractCell, int]:
    """Every non-zero cell, counted over the store's default graph."""
    counts: dict[ContractCell, int] = defaultdict(int)
    for measure, pattern in KINDS.items():
        for contract, _item in _rows(store, pattern):
            counts[ContractCell(measure, contract, str(ALL_THEMES), str(ANY_SCOPE))] += 1
    facets: dict[tuple[str, str], tuple[set, set]] = defaultdict(lambda: (set(), set()))
    for contract, item, theme, scope in _rows(store, COMMITMENTS, "?theme ?scope"):
        themes, scopes = facets[(contract, item)]
        if theme:
            themes.add(theme)
        if scope:
            scopes.add(scope)
    for (contract, _item), (themes, scopes) in facets.items():
        for theme in (*themes, str(ALL_THEMES)):
            for scope in (*(scopes or {str(CONTRACT_WIDE)}), str(ANY_SCOPE)):
                counts[ContractCell("commitmentCount", contract, theme, scope)] += 1
    return dict(counts)


def observation_uri(cell: ContractCell) -> URIRef:
    key = "\0".join((cell.measure, cell.contract, cell.theme, cell.scope))
    return URIRef(f"{DATASET}/{hashlib.sha256(key.encode('utf-8')).hexdigest()[:20]}")


def observations_graph(counts: dict[ContractCell, int]) -> Graph:
    g = Graph()  # the data set with each batch, so that each validates on its own
    g.add((DATASET, RDF.type, QB.DataSet))
    g.add((DATASET, QB.structure, CKG.contractStructure))
    g.add((DATASET, RDFS.label, Literal("Comptes par contrat", lang="fr")))
    g.add((DATASET, RDFS.label, Literal("Counts per contract", lang="en")))
    for cell, n in counts.items():
        add_observation(g, observation_uri(cell), DATASET,
                        {CKG.refContract: URIRef(cell.contract), CKG.refTheme: URIRef(cell.theme),
                         CKG.refScope: URIRef(cell.scope)}, cell.measure, n)
    return g


def contract_parts(store, batch: int = 5000) -> Iterator[Graph]:
    """The data set and its observations, in graphs of `batch` observations."""
    cells = sorted(contract_counts(store).items(), key=lambda kv: observation_uri(kv[0]))
    for start in range(0, len(cells), batch):
        yield observations_graph(dict(cells[start:start + batch]))
