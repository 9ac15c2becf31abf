"""SHACL validation of a built graph against ontology/shapes.ttl (pyshacl).

The ontology and theme scheme are given to pyshacl as its ontology graph: they are mixed into the
data, so SHACL's own subclass semantics (sh:targetClass and sh:class follow rdfs:subClassOf) make a
`ckg:Territory` count as an `org:Organization`. Full RDFS inference (`inference="rdfs"`) gives the
same result on our graphs — the writer states every rdf:type it relies on — at four times the
cost (41 s against 10 s on the shipped corpus), so it is an option, not the default.
"""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph

from kg.graph import ONTOLOGY_DIR, vocabulary_graph

SHAPES = ONTOLOGY_DIR / "shapes.ttl"


def shapes_graph() -> Graph:
    return Graph().parse(SHAPES, format="turtle")


def validate_data(data: Graph, inference: str = "none", inplace: bool = False) -> tuple[bool, str]:
    """(conforms, report text) of a graph in memory; `inplace` lets pyshacl mix the ontology into
    `data` itself instead of a copy (faster; for graphs the caller throws away)."""
    from pyshacl import validate

    conforms, _report_graph, report_text = validate(
        data, shacl_graph=shapes_graph(), ont_graph=vocabulary_graph(),
        inference=inference, abort_on_first=False, allow_warnings=True, advanced=False, inplace=inplace,
    )
    return bool(conforms), str(report_text)


def failing_shapes(report: str, nodes_per_shape: int = 3) -> str:
    """One line per failing shape of a pyshacl text report: the shape, how many nodes fail it,
    and the first few of them, so that a refused build says where to look."""
    import re
    from collections import defaultdict

    failing: dict[str, list[str]] = defaultdict(list)
    messages: dict[str, str] = {}
    for block in report.split("Constraint Violation in ")[1:]:
        component = block.split(" ", 1)[0].removesuffix("ConstraintComponent")
        path = re.search(r"Result Path:\s*(\S+)", block)
        node = re.search(r"Focus Node:\s*(\S+)", block)
        message = re.search(r"Message:\s*(.+)", block)
        key = f"{component} on {path.group(1) if path else 'the node'}"
        failing[key].append(node.group(1) if node else "?")
        messages.setdefault(key, message.group(1).strip() if message else "")
    lines = []
    for key, nodes in sorted(failing.items(), key=lambda kv: -len(kv[1])):
        first = list(dict.fromkeys(nodes))[:nodes_per_shape]
        lines.append(f"{key}: {len(nodes)} violation(s) ({messages[key][:120]}), e.g. {', '.join(first)}")
    return "\n".join(lines)


def validate_graph(nt_path: Path) -> tuple[bool, str, int]:
    """(conforms, report text, triple count) of an N-Triples file."""
    data = Graph()
    data.parse(Path(nt_path), format="nt")
    triples = len(data)
    conforms, report = validate_data(data, inplace=True)
    return conforms, report, triples
