"""A reviewed document in RDF: the published graph and the audit graph.

Facts are commitments, indicators, signatures and neighbourhoods' designations (kg.graph.writer.fact_node).
Published (the default graph every view and saved query reads): the document's extraction after
review. A confirmed fact keeps its node and gains `ckg:reviewStatus review-status:confirmed`; a
corrected or added fact is a new node, `prov:wasGeneratedBy` the review (a `prov:Activity`
associated with its reviewer, a `prov:Person`), `prov:wasAttributedTo` the reviewer, and a
corrected one is `prov:wasRevisionOf` the machine's node.

Audit (the named graph `uris.REJECTED_GRAPH`): the machine facts a reviewer rejected, with
`review-status:rejected`, and the machine versions of corrected facts, so that every revision
chain ends on a node that exists, and nothing a reviewer removed is lost.
"""

from __future__ import annotations

from collections.abc import Sequence

from rdflib import RDF, RDFS, Graph, Literal
from rdflib.namespace import PROV, XSD

from ingest.model import Passage
from kg.graph import uris
from kg.graph.writer import CKG, extraction_to_graph, fact_node, facts_graph
from kg.review.apply import ReviewedExtraction
from kg.review.corrections import Correction


def _activity(g: Graph, c: Correction, fact) -> None:
    activity = uris.correction_uri(c.id)
    reviewer = uris.reviewer_uri(c.reviewer)
    g.add((reviewer, RDF.type, PROV.Person))
    g.add((reviewer, RDFS.label, Literal(c.reviewer)))
    g.add((activity, RDF.type, PROV.Activity))
    g.add((activity, RDFS.label, Literal(f"review: {c.action}")))
    g.add((activity, PROV.wasAssociatedWith, reviewer))
    g.add((activity, PROV.endedAtTime, Literal(c.at, datatype=XSD.dateTime)))
    if c.why:
        g.add((activity, CKG.reviewNote, Literal(c.why)))
    g.add((fact, PROV.wasInfluencedBy, activity))


def reviewed_graphs(reviewed: ReviewedExtraction, passages: Sequence[Passage]) -> tuple[Graph, Graph]:
    """(published graph, audit graph) of one reviewed document."""
    x = reviewed.extraction
    doc = x.document.id
    territory = uris.territory_key(x.territory.siren, x.territory.name)
    g = extraction_to_graph(x, passages)
    superseded = [rf.machine for rf in reviewed.revised if rf.machine is not None
                  and fact_node(doc, territory, rf.machine) != fact_node(doc, territory, rf.fact)]
    audit = facts_graph(x, passages, [*superseded, *(c for c, _ in reviewed.rejected)])
    for rf in reviewed.revised:
        node = fact_node(doc, territory, rf.fact)
        g.add((node, CKG.reviewStatus, uris.review_status_uri(rf.review.status)))
        for c in rf.review.corrections:
            _activity(g, c, node)
        if rf.review.status == "confirmed":
            continue
        last = uris.correction_uri(rf.review.last.id)
        g.add((node, PROV.wasGeneratedBy, last))
        for name in rf.review.reviewers:
            g.add((node, PROV.wasAttributedTo, uris.reviewer_uri(name)))
        if rf.machine is not None:
            machine = fact_node(doc, territory, rf.machine)
            g.add((node, PROV.wasRevisionOf, machine))
            audit.add((machine, CKG.reviewStatus, uris.review_status_uri("corrected")))
    for record, review in reviewed.rejected:
        node = fact_node(doc, territory, record)
        audit.add((node, CKG.reviewStatus, uris.review_status_uri("rejected")))
        for corr in review.corrections:
            _activity(audit, corr, node)
    return g, audit
