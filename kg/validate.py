"""SHACL validation of a built graph against ontology/shapes.ttl (pyshacl).

The ontology and theme scheme are given to pyshacl as its ontology graph: they are mixed into the
data before RDFS inference, so a `ckg:Territory` counts as an `org:Organization` and a
`ckg:Commitment` is checked whatever subclass tools add later.
"""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph

from kg.graph import ONTOLOGY_DIR, vocabulary_graph

SHAPES = ONTOLOGY_DIR / "shapes.ttl"


def shapes_graph() -> Graph:
    return Graph().parse(SHAPES, format="turtle")


def validate_data(data: Graph) -> tuple[bool, str]:
    """(conforms, report text) of a graph in memory."""
    from pyshacl import validate

    conforms, _report_graph, report_text = validate(
        data, shacl_graph=shapes_graph(), ont_graph=vocabulary_graph(),
        inference="rdfs", abort_on_first=False, allow_warnings=True, advanced=False,
    )
    return bool(conforms), str(report_text)


def validate_graph(nt_path: Path) -> tuple[bool, str, int]:
    """(conforms, report text, triple count) of an N-Triples file."""
    data = Graph()
    data.parse(Path(nt_path), format="nt")
    conforms, report = validate_data(data)
    return conforms, report, len(data)
