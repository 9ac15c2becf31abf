"""SHACL validation against ontology/shapes.ttl (pyshacl), and its failures as typed records.

The ontology and theme scheme are added to the data (inplace, or to a copy), so SHACL's own subclass semantics (sh:targetClass and sh:class follow rdfs:subClassOf) make a
`ckg:Territory` count as an `org:Organization`. Full RDFS inference (`inference="rdfs"`) gives the
same result on our graphs — the writer states every rdf:type it relies on — at four times the
cost (41 s against 10 s on the shipped corpus), so it is an option, not the default.

A build never validates its whole graph in memory (15 GB at the national scale): each document
is validated as it is produced (kg.build.validate_document) and what only the merged graph can break
is checked on the store (kg.graph.validate_store). Shapes marked `shapes:scope shapes:build` concern
what the build adds to the documents (geometries, the build activity), and are checked there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rdflib import Graph, Namespace, URIRef

from kg.graph.writer import ONTOLOGY_DIR, vocabulary_graph

SHAPES = ONTOLOGY_DIR / "shapes.ttl"
SHAPES_NS = Namespace("https://w3id.org/contrats-kg/shapes#")
SH = Namespace("http://www.w3.org/ns/shacl#")
EXAMPLE_NODES = 3  # failing nodes named per constraint in a refused build's message


@dataclass(frozen=True)
class ShapeFailure:
    """One failing constraint: "MinCount on ckg:partner", its message, how many results, a few nodes."""

    key: str
    message: str
    count: int
    nodes: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {"key": self.key, "message": self.message, "count": self.count, "nodes": list(self.nodes)}

    @classmethod
    def from_json(cls, d: dict) -> ShapeFailure:
        return cls(d["key"], d["message"], int(d["count"]), tuple(d["nodes"]))


def shapes_graph(path: Path | None = None) -> Graph:
    return Graph().parse(path or SHAPES, format="turtle")


def scoped_shapes(path: Path, scope: str, sparql: bool = True) -> Graph:
    """The shapes of one scope ("document" or "build") with everything they hold (their property
    shapes, lists and nested shapes): a shape without `shapes:scope` is a document shape.
    `sparql=False` leaves out the SPARQL-based constraints (run on the store instead)."""
    source = shapes_graph(path)
    if not sparql:
        source.remove((None, SH.sparql, None))
    build_shapes = set(source.subjects(SHAPES_NS.scope, SHAPES_NS.build))
    chosen = [s for s in set(source.subjects(None, SH.NodeShape)) if (s in build_shapes) == (scope == "build")]
    out = Graph()
    for prefix, ns in source.namespaces():
        out.bind(prefix, ns)
    pending = list(chosen)
    while pending:
        node = pending.pop()
        for triple in source.triples((node, None, None)):
            if triple not in out:
                out.add(triple)
                if not isinstance(triple[2], URIRef) or triple[2] in build_shapes or triple[2] in chosen:
                    pending.append(triple[2])
    return out


@lru_cache(maxsize=1)
def _vocabulary() -> Graph:
    return vocabulary_graph()


def validate_data(data: Graph, inference: str = "none", inplace: bool = False,
                  shapes: Graph | None = None) -> tuple[bool, str]:
    """(conforms, report text) of a graph in memory; `inplace` lets pyshacl mix the ontology into
    `data` itself instead of a copy (faster; for graphs the caller throws away)."""
    from pyshacl import validate

    # The vocabulary goes into the data itself: pyshacl's ontology graph only lends it the class
    # axioms, and the shapes need the instances too (themes, partner types, statuses).
    data = data if inplace else data + Graph()
    data += _vocabulary()
    conforms, _report_graph, report_text = validate(
        data, shacl_graph=shapes if shapes is not None else shapes_graph(),
        inference=inference, abort_on_first=False, allow_warnings=True, advanced=False, inplace=True,
    )
    return bool(conforms), str(report_text)


def shape_failures(report: str) -> list[ShapeFailure]:
    """The failing constraints of a pyshacl text report, one record per (component, path)."""
    nodes: dict[str, list[str]] = {}
    messages: dict[str, str] = {}
    for block in report.split("Constraint Violation in ")[1:]:
        component = block.split(" ", 1)[0].removesuffix("ConstraintComponent")
        path = re.search(r"Result Path:\s*(\S+)", block)
        node = re.search(r"Focus Node:\s*(\S+)", block)
        message = re.search(r"Message:\s*(.+)", block)
        key = f"{component} on {path.group(1) if path else 'the node'}"
        nodes.setdefault(key, []).append(node.group(1) if node else "?")
        messages.setdefault(key, message.group(1).strip() if message else "")
    return [ShapeFailure(key, messages[key], len(found), tuple(list(dict.fromkeys(found))[:EXAMPLE_NODES]))
            for key, found in nodes.items()]


def merge_failures(failures: Iterable[ShapeFailure]) -> list[ShapeFailure]:
    """One record per constraint over many documents (counts added, first nodes kept), most first."""
    merged: dict[str, ShapeFailure] = {}
    for f in failures:
        seen = merged.get(f.key)
        if seen is None:
            merged[f.key] = f
        else:
            nodes = tuple(dict.fromkeys(seen.nodes + f.nodes))[:EXAMPLE_NODES]
            merged[f.key] = ShapeFailure(f.key, seen.message or f.message, seen.count + f.count, nodes)
    return sorted(merged.values(), key=lambda f: (-f.count, f.key))


def describe(failures: Iterable[ShapeFailure]) -> str:
    """One line per failing constraint: how many nodes fail it, its message, the first few nodes."""
    return "\n".join(f"{f.key}: {f.count} violation(s) ({f.message[:120]}), e.g. {', '.join(f.nodes)}"
                     for f in merge_failures(failures))


def failing_shapes(report: str, nodes_per_shape: int = EXAMPLE_NODES) -> str:
    """One line per failing shape of a pyshacl text report, so that a refused build says where to look."""
    return describe(shape_failures(report))


def validate_graph(nt_path: Path) -> tuple[bool, str, int]:
    """(conforms, report text, triple count) of an N-Triples file, whole, in memory (tests and
    small graphs: a build validates per document, kg.build.validate_document)."""
    data = Graph()
    data.parse(Path(nt_path), format="nt")
    triples = len(data)
    conforms, report = validate_data(data, inplace=True)
    return conforms, report, triples
