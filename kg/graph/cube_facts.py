"""What the build's counts are made of, read from the store in one pass (kg/graph/cube.py, kg/graph/contract_counts.py).

The two data sets counted each item with a SPARQL join per measure (the item, its contract, the
contract's territory and generation, its themes and partner types): Oxigraph evaluates such a join
by looking each row up in its indexes, about 260 s of CPU at 155 contracts, and the two data sets
read the same commitments twice. Here each predicate the counts need is read once, as its own
single-pattern query (a scan of one index, cheap), and joined in Python dictionaries. Only the
store's default graph is read: facts a reviewer rejected (named graph `rejected`) are not counted.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from rdflib import RDF, Namespace

from kg.graph.uris import CKG

DCTERMS = Namespace("http://purl.org/dc/terms/")
CLASSES = ("Commitment", "Indicator", "Objective", "Orientation", "Contract")
# Predicates read whole, subject -> objects.
PREDICATES = {
    "contract": CKG.contract, "territory": CKG.territory, "generation": CKG.generation,
    "subject": DCTERMS.subject, "partner": CKG.partner, "partnerType": CKG.partnerType,
    "measures": CKG.measures, "scope": CKG.scope, "neighbourhood": CKG.neighbourhood,
    "hasPartner": CKG.hasPartner, "signedBy": CKG.signedBy,
}
Table = dict[str, list]
# The measures whose items a contract points to, with the table of that link (both data sets).
CONTRACT_TABLES = {"neighbourhoodCount": "neighbourhood", "partnerCount": "hasPartner", "signatoryCount": "signedBy"}


@dataclass(frozen=True)
class Facts:
    instances: dict[str, list[str]]  # class local name -> its instances
    tables: dict[str, Table]  # PREDICATES' key -> subject -> objects (plain values, IRIs as str)

    def of(self, table: str, subject: str) -> list:
        return self.tables[table].get(subject, [])


def _table(store, predicate) -> Table:
    out: Table = defaultdict(list)
    for s, o in store.query(f"SELECT ?s ?o WHERE {{ ?s <{predicate}> ?o }}").values():
        out[s].append(o)
    return dict(out)


def read_facts(store) -> Facts:
    instances = {name: [s for (s,) in store.query(f"SELECT ?s WHERE {{ ?s <{RDF.type}> <{CKG[name]}> }}").values()]
                 for name in CLASSES}
    return Facts(instances, {key: _table(store, p) for key, p in PREDICATES.items()})
