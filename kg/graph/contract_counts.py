"""The per-contract counts of a build, as W3C Data Cube observations (ontology/cube.ttl).

The saved listings that count per contract or per neighbourhood (kg/queries: contracts,
neighbourhoods-without-theme, neighbourhood-map) aggregated every commitment of the graph on each
run: seconds at 50 contracts, far past the endpoint's timeout at the national scale on Oxigraph,
which has no planner to push the few contracts asked for into the counting. They read these
observations instead: one per contract and measure (over every theme and scope), and for
commitments one per contract × theme (or every theme) × scope, the scope being a neighbourhood
the commitments are specific to (ckg:scope), `ckg:contractWide` for those naming none, or
`ckg:anyScope` for all of them. Counted on the build's store like kg/graph/cube.py, over its default
graph (the published graph: rejected facts are not counted), from the facts kg.graph.cube_facts reads
once for both data sets.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from rdflib import Graph, URIRef

from kg.graph.cube import ALL_THEMES, add_observation, cube_parts, dataset_graph
from kg.graph.cube_facts import CONTRACT_TABLES, Facts, read_facts
from kg.graph.uris import BASE, CKG

DATASET = URIRef(BASE + "cube/contracts")
ANY_SCOPE, CONTRACT_WIDE = CKG.anyScope, CKG.contractWide

# What each measure counts per contract (?item of ?contract, a ckg:Contract), over every theme and
# scope, read from the facts of kg.graph.cube_facts. As SPARQL, for the record:
#   neighbourhoodCount, signatoryCount, partnerCount   ?contract ckg:neighbourhood (signedBy, hasPartner) ?item .
#   orientationCount, objectiveCount, indicatorCount   ?item a ckg:Orientation (...) ; ckg:contract ?contract .
# Commitments with their themes and scopes are counted per theme and per scope too:
#   ?item a ckg:Commitment ; ckg:contract ?contract .
#   OPTIONAL { ?item dcterms:subject ?theme } OPTIONAL { ?item ckg:scope ?scope }
HAVING_CONTRACT = {"orientationCount": "Orientation", "objectiveCount": "Objective", "indicatorCount": "Indicator"}


@dataclass(frozen=True)
class ContractCell:
    measure: str
    contract: str
    theme: str  # a theme IRI, or ALL_THEMES
    scope: str  # a neighbourhood IRI, CONTRACT_WIDE or ANY_SCOPE


def contract_counts(store, facts: Facts | None = None) -> dict[ContractCell, int]:
    """Every non-zero cell, counted over the store's default graph (or `facts` read from it, when
    the comparison counts are made in the same pass)."""
    facts = facts or read_facts(store)
    contracts = set(facts.instances["Contract"])
    counts: dict[ContractCell, int] = defaultdict(int)
    everything = (str(ALL_THEMES), str(ANY_SCOPE))
    for measure, table in CONTRACT_TABLES.items():
        for contract in contracts:
            if n := len(set(facts.of(table, contract))):
                counts[ContractCell(measure, contract, *everything)] += n
    for measure, kind in HAVING_CONTRACT.items():
        for item in set(facts.instances[kind]):
            for contract in set(facts.of("contract", item)) & contracts:
                counts[ContractCell(measure, contract, *everything)] += 1
    for item in set(facts.instances["Commitment"]):
        themes, scopes = set(facts.of("subject", item)), set(facts.of("scope", item))
        for contract in set(facts.of("contract", item)) & contracts:
            for theme in (*themes, str(ALL_THEMES)):
                for scope in (*(scopes or {str(CONTRACT_WIDE)}), str(ANY_SCOPE)):
                    counts[ContractCell("commitmentCount", contract, theme, scope)] += 1
    return dict(counts)


def observation_uri(cell: ContractCell) -> URIRef:
    key = "\0".join((cell.measure, cell.contract, cell.theme, cell.scope))
    return URIRef(f"{DATASET}/{hashlib.sha256(key.encode('utf-8')).hexdigest()[:20]}")


def observations_graph(counts: dict[ContractCell, int]) -> Graph:
    g = dataset_graph(DATASET, CKG.contractStructure, ("Comptes par contrat", "Counts per contract"))
    for cell, n in counts.items():
        add_observation(g, observation_uri(cell), DATASET,
                        {CKG.refContract: URIRef(cell.contract), CKG.refTheme: URIRef(cell.theme),
                         CKG.refScope: URIRef(cell.scope)}, cell.measure, n)
    return g


def contract_parts(store, batch: int = 5000, facts: Facts | None = None) -> Iterator[Graph]:
    """The data set and its observations, in graphs of `batch` observations."""
    cells = sorted(contract_counts(store, facts).items(), key=lambda kv: observation_uri(kv[0]))
    for start in range(0, len(cells), batch):
        yield observations_graph(dict(cells[start:start + batch]))


def count_parts(store, batch: int = 5000) -> Iterator[Graph]:
    """Both data sets of a build, the comparison counts (kg.graph.cube) then the counts per contract,
    from one reading of the store's facts."""
    facts = read_facts(store)
    yield from cube_parts(store, batch, facts)
    yield from contract_parts(store, batch, facts)
