"""The build's graph stage in bounded memory: the documents' graphs streamed into graph.nt, the
graph loaded into an Oxigraph store, checked there (kg.graph.validate_store) and counted into the
comparison cube (kg.graph.cube) and the counts per contract (kg.graph.contract_counts).

Nothing here holds the whole graph: the documents were validated one by one in the workers
(kg.build.validate_document), the store answers the cross-document checks and the counts, and only what
the build adds (activity, vocabulary, geometries, observations) is validated in memory. With the
SPARQL-server store the checks run on a scratch Oxigraph store in the build folder, so the server
never receives a graph that would be refused.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph

from kg.graph.validate import ShapeFailure

# Lines that kg.graph.geometry needs to find the coded neighbourhoods and their territories.
_GEOMETRY_KEYS = ("ontology#qpvCode>", "ontology#territory>", "ontology#Neighbourhood>")
CHECK_STORE = ".check-store"


class GraphFile:
    """graph.nt written as the documents come, keeping only the few lines geometries need."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._out = path.open("w", encoding="utf-8")
        self._geometry: list[str] = []

    def add(self, nt: str) -> None:
        self._out.write(nt)
        if nt and not nt.endswith("\n"):
            self._out.write("\n")
        self._geometry.extend(line for line in nt.splitlines() if any(k in line for k in _GEOMETRY_KEYS))

    def add_file(self, path: Path) -> None:
        with path.open(encoding="utf-8") as f:
            for line in f:
                self._out.write(line)
                if any(k in line for k in _GEOMETRY_KEYS):
                    self._geometry.append(line.rstrip("\n"))

    def geometry_lines(self) -> str:
        return "\n".join(self._geometry) + "\n"

    def close(self) -> None:
        self._out.close()


@dataclass
class CheckedGraph:
    failures: list[ShapeFailure] = field(default_factory=list)
    triples: int = 0
    observations: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


def load_check_and_count(work: Path, store_kind: str, shapes: Path, additions: Graph,
                         audit: Path | None) -> CheckedGraph:
    """Load work/graph.nt (and the audit graph as `rejected`) into the build's Oxigraph store (a
    scratch one for other stores), add the comparison cube and the counts per contract to both,
    and check the merged graph."""
    from rdflib import RDF

    from kg.graph.contract_counts import count_parts
    from kg.graph.cube import QB
    from kg.graph.uris import REJECTED_GRAPH
    from kg.graph.validate_store import additions_failures, merge_failures
    from kg.sparql.store import OxigraphStore

    out = CheckedGraph()
    folder = work / ("store" if store_kind == "oxigraph" else CHECK_STORE)
    store = OxigraphStore(folder, read_only=False)
    try:
        t = time.time()
        store.load_file(work / "graph.nt")
        if audit is not None and audit.exists():
            store.load_file(audit, graph=REJECTED_GRAPH)
        out.seconds["store"] = round(time.time() - t, 2)

        t = time.time()
        cube = work / "cube.nt"
        with cube.open("w", encoding="utf-8") as f:
            # Both counted from the documents' graph alone (neither reads observations), from
            # one reading of the facts they need (kg/graph/cube_facts.py).
            for part in count_parts(store):
                out.failures += additions_failures(part, store, shapes)
                out.observations += sum(1 for _ in part.subjects(RDF.type, QB.Observation))
                f.write(part.serialize(format="nt"))
        store.load_file(cube)
        with (work / "graph.nt").open("a", encoding="utf-8") as graph, cube.open(encoding="utf-8") as f:
            shutil.copyfileobj(f, graph)
        cube.unlink()
        out.seconds["cube"] = round(time.time() - t, 2)

        t = time.time()
        out.failures += merge_failures(store, shapes)
        out.failures += additions_failures(additions, store, shapes)
        out.triples = store.triples_count()
        out.seconds["shacl on the store"] = round(time.time() - t, 2)
        if store_kind == "oxigraph":
            # Compacted once, now that nothing more is written: the saved queries then read
            # 16-53 % less CPU at 155 contracts for 8-13 s here (BENCHMARKS.md).
            t = time.time()
            store.optimize()
            out.seconds["compaction"] = round(time.time() - t, 2)
    finally:
        store.close()
        if store_kind != "oxigraph":
            shutil.rmtree(folder, ignore_errors=True)
    return out
