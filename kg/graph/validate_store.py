"""What only the merged graph can break, checked on the store and on the build's additions.

Every document is validated alone (kg.build.validate_document). SHACL's value constraints (sh:class,
sh:datatype, sh:pattern, sh:in, sh:minCount, sh:hasValue…) hold for the union of graphs that each
satisfy them, so only two kinds of constraint can fail once the documents are merged: a
sh:maxCount and a sh:uniqueLang on a node several documents describe (an organisation given two
SIRENs, a territory two labels in French). Each is read from the document shapes and asked of
the store as one SPARQL query, over every focus node, so nothing is held in memory.

The shapes marked `shapes:scope shapes:build` (geometries, the build activity, the comparison
counts) are validated with pyshacl on what the build adds to the documents, in parts, with the
types and QPV codes that the store holds for the nodes named there; their SPARQL-based
constraints (sh:sparql) are asked of the store once for every focus node, where pyshacl would
run them node by node.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from rdflib import RDF, RDFS, BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection

from kg.graph.uris import CKG
from kg.graph.validate import (
    EXAMPLE_NODES,
    SH,
    SHAPES_NS,
    ShapeFailure,
    _vocabulary,
    scoped_shapes,
    shape_failures,
    validate_data,
)
from kg.graph.writer import PREFIXES


class UncheckedConstraint(ValueError):
    """A document shape's sh:maxCount or sh:uniqueLang this module cannot turn into SPARQL."""


@dataclass(frozen=True)
class MergeCheck:
    """One constraint the merge can break, as the SPARQL that finds its failing nodes."""

    key: str  # as pyshacl names it: "MaxCount on ckg:siren"
    message: str
    sparql: str


# The longest namespaces first: "res:" holds "shapes:".
_NAMES = {"shapes": SHAPES_NS, "qb": Namespace("http://purl.org/linked-data/cube#"), **PREFIXES, "rdf": RDF, "rdfs": RDFS}


def _short(term: URIRef) -> str:
    for prefix, ns in _NAMES.items():
        if str(term).startswith(str(ns)):
            return f"{prefix}:{str(term)[len(str(ns)):]}"
    return f"<{term}>"


def _path(shapes: Graph, path) -> tuple[str, str]:
    """(SPARQL property path, how pyshacl-like reports name it) of a SHACL path."""
    if isinstance(path, URIRef):
        return f"<{path}>", _short(path)
    inverse = shapes.value(path, SH.inversePath)
    if inverse is not None:
        sparql, name = _path(shapes, inverse)
        return f"^({sparql})", f"^{name}"
    alternatives = shapes.value(path, SH.alternativePath)
    if alternatives is not None:
        parts = [_path(shapes, p) for p in Collection(shapes, alternatives)]
        return "(" + "|".join(p[0] for p in parts) + ")", "(" + "|".join(p[1] for p in parts) + ")"
    if (path, RDF.first, None) in shapes:
        parts = [_path(shapes, p) for p in Collection(shapes, path)]
        return "/".join(p[0] for p in parts), "/".join(p[1] for p in parts)
    raise UncheckedConstraint(f"a path this check does not translate: {path}")


def _target(shapes: Graph, vocabulary: Graph, shape) -> str:
    """The SPARQL pattern binding ?node to the shape's focus nodes (union of its targets)."""
    patterns = []
    for cls in shapes.objects(shape, SH.targetClass):
        classes = " ".join(f"<{c}>" for c in vocabulary.transitive_subjects(RDFS.subClassOf, cls))
        patterns.append(f"VALUES ?class {{ {classes} }} ?node a ?class .")
    for p in shapes.objects(shape, SH.targetSubjectsOf):
        patterns.append(f"?node <{p}> [] .")
    for p in shapes.objects(shape, SH.targetObjectsOf):
        patterns.append(f"[] <{p}> ?node .")
    for n in shapes.objects(shape, SH.targetNode):
        patterns.append(f"VALUES ?node {{ {n.n3()} }}")
    if not patterns:
        raise UncheckedConstraint(f"shape {shape} has no target this check knows")
    return " UNION ".join(f"{{ {p} }}" for p in patterns)


def merge_checks(shapes_file: Path) -> list[MergeCheck]:
    """The SPARQL checks of every sh:maxCount and sh:uniqueLang of the document shapes. One
    outside a node shape's sh:property (in a sh:or, a nested sh:node) is refused: it would go
    unchecked."""
    shapes = scoped_shapes(shapes_file, "document")
    vocabulary = _vocabulary()
    checks = []
    placed: set = set()
    for shape in sorted(set(shapes.subjects(RDF.type, SH.NodeShape))):
        target = _target(shapes, vocabulary, shape)
        for prop in shapes.objects(shape, SH.property):
            path, name = _path(shapes, shapes.value(prop, SH.path))
            message = str(shapes.value(prop, SH.message) or "")
            maximum = shapes.value(prop, SH.maxCount)
            if maximum is not None:
                placed.add((prop, SH.maxCount))
                checks.append(MergeCheck(
                    f"MaxCount on {name}", message or f"more than {maximum} value(s) of {name}",
                    f"SELECT ?node WHERE {{ {{ SELECT DISTINCT ?node WHERE {{ {target} }} }} ?node {path} ?value }}"
                    f" GROUP BY ?node HAVING (COUNT(DISTINCT ?value) > {int(maximum)})"))
            if shapes.value(prop, SH.uniqueLang) == Literal(True):
                placed.add((prop, SH.uniqueLang))
                checks.append(MergeCheck(
                    f"UniqueLang on {name}", message or f"two values of {name} in one language",
                    f"SELECT DISTINCT ?node WHERE {{ {{ SELECT DISTINCT ?node WHERE {{ {target} }} }} "
                    f"?node {path} ?a, ?b . FILTER(?a != ?b && LANG(?a) != \"\" && LANG(?a) = LANG(?b)) }}"))
    for predicate in (SH.maxCount, SH.uniqueLang):
        for holder in shapes.subjects(predicate, None):
            if (holder, predicate) not in placed and shapes.value(holder, predicate) != Literal(False):
                raise UncheckedConstraint(f"a {_short(predicate)} outside a node shape's sh:property "
                                          f"({holder}): the merged graph would not be checked for it")
    return checks


def sparql_checks(shapes_file: Path) -> list[MergeCheck]:
    """The build shapes' SPARQL-based constraints (sh:sparql), each asked of the store once for
    every focus node ($this becomes a variable joined to the shape's targets)."""
    shapes = scoped_shapes(shapes_file, "build")
    vocabulary = _vocabulary()
    checks = []
    for shape in sorted(set(shapes.subjects(SH.sparql, None))):
        target = _target(shapes, vocabulary, shape).replace("?node", "?this")
        for constraint in shapes.objects(shape, SH.sparql):
            select = str(shapes.value(constraint, SH.select)).replace("$this", "?this")
            message = str(shapes.value(constraint, SH.message) or "")
            checks.append(MergeCheck(f"SPARQL on {_short(shape)}", message,
                                     f"SELECT DISTINCT ?this WHERE {{ {{ {target} }} {{ {select} }} }}"))
    return checks


def merge_failures(store, shapes_file: Path) -> list[ShapeFailure]:
    """The merged graph's failures of the document shapes' sh:maxCount and sh:uniqueLang, and of
    the build shapes' SPARQL-based constraints."""
    failures = []
    for check in merge_checks(shapes_file) + sparql_checks(shapes_file):
        nodes = [row[0] for row in store.query(check.sparql).values()]
        if nodes:
            failures.append(ShapeFailure(check.key, check.message, len(nodes), tuple(nodes[:EXAMPLE_NODES])))
    return failures


def _iris(g: Graph) -> Iterator[URIRef]:
    for s, _p, o in g:
        for term in (s, o):
            if isinstance(term, URIRef):
                yield term


def additions_failures(additions: Graph, store, shapes_file: Path, batch: int = 500) -> list[ShapeFailure]:
    """The build shapes' failures of what the build adds (`additions`: geometries, activity),
    with the types and QPV codes the store holds for the nodes it names."""
    data = Graph() + additions
    named = sorted(set(_iris(additions)) - set(additions.subjects(RDF.type, None)) - set(_vocabulary().subjects()))
    qpv = CKG.qpvCode
    for start in range(0, len(named), batch):
        values = " ".join(f"<{iri}>" for iri in named[start:start + batch])
        # One pattern per predicate, each looked up for the named nodes: with the predicate a
        # VALUES variable too, Oxigraph scanned every triple of the store for each batch (0.4 s
        # at 26 contracts; most of the counts stage's 955 s at 359, BENCHMARKS.md).
        rows = store.query(f"SELECT ?s ?p ?o WHERE {{ VALUES ?s {{ {values} }} "
                           f"{{ ?s <{RDF.type}> ?o BIND(<{RDF.type}> AS ?p) }} UNION "
                           f"{{ ?s <{qpv}> ?o BIND(<{qpv}> AS ?p) }} }}").rows
        for s, p, o in rows:
            data.add((s, p, o if not isinstance(o, BNode) else BNode()))
    shapes = scoped_shapes(shapes_file, "build", sparql=False)  # those run on the store (sparql_failures)
    conforms, report = validate_data(data, inplace=True, shapes=shapes)
    return [] if conforms else shape_failures(report)
