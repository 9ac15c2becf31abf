"""One document's graph against the document shapes, as it is produced (in the worker).

A document's graph is a few thousand triples, so pyshacl holds little; the whole graph of the
national corpus (4.6 M triples) took 15 GB. The result is kept beside the cached document under
the fingerprint of the shapes, so an unchanged document is not validated again, and a change of
shapes (even a file given by a test) validates it anew.

What a document cannot break alone — a sh:maxCount over a node that several documents describe,
the build's own additions — is checked on the merged graph by kg.graph.validate_store.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from rdflib import Graph

from kg.graph.validate import ShapeFailure, scoped_shapes, shape_failures, validate_data
from kg.jsonl import write_atomic


def shapes_fingerprint(shapes: Path) -> str:
    return hashlib.sha256(Path(shapes).read_bytes()).hexdigest()[:12]


@lru_cache(maxsize=2)
def _document_shapes(shapes: Path, fingerprint: str) -> Graph:  # the fingerprint keys the cache
    return scoped_shapes(shapes, "document")


def graph_failures(data: Graph, shapes: Path) -> list[ShapeFailure]:
    """The document shapes' failures of one document's graph (which gets the vocabulary added)."""
    conforms, report = validate_data(data, inplace=True,
                                     shapes=_document_shapes(Path(shapes), shapes_fingerprint(shapes)))
    return [] if conforms else shape_failures(report)


def parse_nt(nt: str) -> Graph:
    """N-Triples into rdflib through Oxigraph's parser: rdflib's own takes most of a document's
    validation time."""
    import pyoxigraph as ox

    from kg.sparql.store import from_oxigraph as term

    g = Graph()
    for t in ox.parse(nt.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES):
        g.add((term(t.subject), term(t.predicate), term(t.object)))
    return g


def nt_failures(nt: str, shapes: Path) -> list[ShapeFailure]:
    """The document shapes' failures of one document's N-Triples."""
    return graph_failures(parse_nt(nt), shapes)


def _kept(folder: Path, shapes: Path) -> Path:
    return folder / f"shacl-{shapes_fingerprint(shapes)}.json"


def keep_failures(folder: Path, data: Graph, shapes: Path) -> list[ShapeFailure]:
    """Validate `data` (the document's graph, in hand) and keep the result in `folder`."""
    failures = graph_failures(data, shapes)
    write_atomic(_kept(folder, shapes), json.dumps([f.to_json() for f in failures], ensure_ascii=False))
    return failures


def document_failures(folder: Path, shapes: Path) -> list[ShapeFailure]:
    """The failures of the cached document in `folder` (its graph.nt), validated once per shapes."""
    kept = _kept(folder, shapes)
    if kept.exists():
        return [ShapeFailure.from_json(d) for d in json.loads(kept.read_text(encoding="utf-8"))]
    return keep_failures(folder, parse_nt((folder / "graph.nt").read_text(encoding="utf-8")), shapes)
