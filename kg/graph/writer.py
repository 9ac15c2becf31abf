"""Extraction records -> RDF (terms of ontology/contrats.ttl), with provenance to passages.

One graph per document, built from its `Extraction` alone (so it can be cached per document):
the territory, contract and document; the passages that facts are derived from, located by Web
Annotation selectors; neighbourhoods with their communes and their designation (status) in this
contract; partner organisations; signatures; the contract's strategy as a SKOS scheme;
commitments and indicators. Every extracted node is `prov:wasDerivedFrom` its passage(s); the
territory and contract, which come from the manifest, are derived from the document.

Nodes shared between documents (an EPCI, a QPV, the CAF du Nord) get the same URI from
`kg.graph.uris`, so concatenating the per-document graphs merges them. Only passages that some fact
cites are written: the search index holds every passage, the graph holds the evidence.

`build_activity_graph` adds what belongs to a build rather than to a document: the PROV activity
(software version, time, documents used) and the vocabulary (ontology and theme scheme), so the
store can answer label queries on its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from rdflib import OWL, RDF, RDFS, SKOS, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, PROV

from ingest.model import (
    PARTNER_TYPES,
    Commitment,
    Extraction,
    Indicator,
    Neighbourhood,
    Organisation,
    Passage,
    Provenance,
    Signatory,
    StrategyStep,
    Territory,
    walk_strategy,
)
from kg.graph import uris
from kg.graph.uris import CKG
from kg.shipped import ONTOLOGY_DIR  # also kg.graph.validate's, through here

ORG = Namespace("http://www.w3.org/ns/org#")
OA = Namespace("http://www.w3.org/ns/oa#")
GEO = Namespace("http://www.opengis.net/ont/geosparql#")
# Fragment-identifier specifications for oa:FragmentSelector.
PDF_FRAGMENT = URIRef("http://tools.ietf.org/rfc/rfc3778")  # page=N
TEXT_FRAGMENT = URIRef("http://tools.ietf.org/rfc/rfc5147")  # line=a,b (0-based line boundaries)

ONTOLOGY_FILES = ("contrats.ttl", "themes.ttl", "cube.ttl")

PREFIXES = {"ckg": CKG, "res": Namespace(uris.BASE), "org": ORG, "oa": OA, "geo": GEO, "prov": PROV,
            "skos": SKOS, "dcterms": DCTERMS, "owl": OWL}


def new_graph() -> Graph:
    g = Graph()
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns)
    return g


def _fr(text: str) -> Literal:
    return Literal(text, lang="fr")


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


class _DocumentGraph:
    """Writes one extraction into `g`; keeps the label -> node maps commitments refer through."""

    def __init__(self, g: Graph, x: Extraction, passages: Sequence[Passage]) -> None:
        self.g, self.x, self.doc = g, x, x.document
        self.passages = {p.id: p for p in passages}
        self.written_passages: set[str] = set()
        t = x.territory
        self.territory_key = uris.territory_key(t.siren, t.name)
        self.territory = uris.territory_uri(t.siren, t.name)
        self.document = uris.document_uri(self.doc.id)
        amends = self.doc.meta.amends
        # An amending act (annex, protocol) is its own node; a contract code it carries is the
        # code of the contract it amends (ANCT codes name contracts, not acts).
        self.contract = uris.contract_uri(None if amends else t.contract_code, self.doc.id)
        self.amended = uris.contract_uri(t.contract_code, amends) if amends else None
        self.scheme = uris.scheme_uri(self.doc.id)
        self.neighbourhood_by_name: dict[str, URIRef] = {}
        # Records name their orientation and objective by id (Orientation.id, Objective.id); the
        # label maps serve records without ids (JSON from before them, facts a review restored).
        self.orientation_by_id: dict[str, URIRef] = {}
        self.objective_by_id: dict[str, URIRef] = {}
        self.orientation_by_label: dict[str, URIRef] = {}
        self.objective_by_label: dict[str, URIRef] = {}
        # A contract repeats an objective's label under several orientations (the communes' tables
        # of a 2015 contract each list "Lutter contre l'illettrisme"): a commitment is linked to the
        # objective of its own orientation, the label alone only when it names no orientation.
        self.objective_by_place: dict[tuple[str, str], URIRef] = {}
        self.commune_by_slug: dict[str, URIRef] = {}
        self.commitment_ids = {c.id for c in x.commitments}
        # INSEE codes of communes named next to a linked QPV, reused for unlinked neighbourhoods
        # (quartiers de veille) in the same commune, so that one commune is one node.
        self.insee_by_commune = {uris.slug(name): code for n in x.neighbourhoods
                                 if len(n.communes) == len(n.insee_codes)
                                 for name, code in zip(n.communes, n.insee_codes, strict=True)}

    # --- provenance ------------------------------------------------------------------------

    def derive(self, node: URIRef, provenance: Iterable[Provenance]) -> None:
        """`node prov:wasDerivedFrom` each cited passage (written once per document)."""
        for prov in provenance:
            passage = self.passages.get(prov.passage_id)
            if passage is None:
                continue  # an id the extractor made up; the SHACL report will show the gap
            self.add_passage(passage)
            self.g.add((node, PROV.wasDerivedFrom, uris.passage_uri(passage.id)))

    def put(self, node: URIRef, *pairs: tuple[URIRef, URIRef | Literal | None]) -> None:
        """Add (node, predicate, object) for each pair whose object is known."""
        for predicate, obj in pairs:
            if obj is not None:
                self.g.add((node, predicate, obj))

    def add_passage(self, p: Passage) -> None:
        if p.id in self.written_passages:
            return
        self.written_passages.add(p.id)
        node = uris.passage_uri(p.id)
        quote, position, lines = (URIRef(f"{node}#{s}") for s in ("quote", "position", "lines"))
        self.put(node, (RDF.type, CKG.Passage), (DCTERMS.identifier, Literal(p.id)), (OA.hasSource, self.document),
                 (CKG.passageIndex, Literal(p.index)), (CKG.passageKind, Literal(str(p.kind))),
                 (CKG.sectionPath, _fr(" > ".join(p.section_path)) if p.section_path else None),
                 (CKG.lineStart, Literal(p.line_start)), (CKG.lineEnd, Literal(p.line_end)),
                 (OA.hasSelector, quote), (OA.hasSelector, position), (OA.hasSelector, lines))
        self.put(quote, (RDF.type, OA.TextQuoteSelector), (OA.exact, Literal(p.text)))
        # Offsets into the document's normalised text (Document.text), not into the source file.
        self.put(position, (RDF.type, OA.TextPositionSelector),
                 (OA.start, Literal(p.char_start, datatype=XSD.nonNegativeInteger)),
                 (OA.end, Literal(p.char_end, datatype=XSD.nonNegativeInteger)))
        # Lines of the source file; RFC 5147 counts line boundaries from 0, so line=a,b is lines a+1..b.
        self.put(lines, (RDF.type, OA.FragmentSelector), (DCTERMS.conformsTo, TEXT_FRAGMENT),
                 (RDF.value, Literal(f"line={p.line_start - 1},{p.line_end}")))
        if p.page is not None:
            page = URIRef(f"{node}#page")
            self.put(node, (CKG.page, Literal(p.page)), (OA.hasSelector, page))
            self.put(page, (RDF.type, OA.FragmentSelector), (DCTERMS.conformsTo, PDF_FRAGMENT),
                     (RDF.value, Literal(f"page={p.page}")))

    # --- territory, contract, document -----------------------------------------------------

    def add_frame(self) -> None:
        t, doc, meta = self.x.territory, self.doc, self.doc.meta
        self.put(self.territory, (RDF.type, CKG.Territory), (RDFS.label, _fr(t.name)), (SKOS.prefLabel, _fr(t.name)),
                 (SKOS.altLabel, _fr(t.short_name) if t.short_name and t.short_name != t.name else None),
                 (CKG.siren, Literal(t.siren) if t.siren else None),
                 (CKG.partnerType, uris.partner_type_uri("epci")), (PROV.wasDerivedFrom, self.document))

        def year(value: int | None) -> Literal | None:
            return None if value is None else Literal(f"{int(value):04d}", datatype=XSD.gYear)

        self.put(self.contract, (RDF.type, CKG.Contract), (RDFS.label, _fr(meta.title or f"{t.name} ({doc.id})")),
                 (DCTERMS.title, _fr(meta.title) if meta.title else None),
                 (CKG.contractCode, Literal(t.contract_code) if t.contract_code and not meta.amends else None),
                 (CKG.periodStart, year(meta.period_start)), (CKG.periodEnd, year(meta.period_end)),
                 (CKG.generation, Literal(str(meta.generation)) if meta.generation else None),
                 (CKG.territory, self.territory), (CKG.document, self.document),
                 (PROV.wasDerivedFrom, self.document), (CKG.amends, self.amended))
        self.put(self.document, (RDF.type, CKG.Document), (RDFS.label, Literal(doc.id)),
                 (DCTERMS.identifier, Literal(doc.id)), (CKG.sourceFile, Literal(Path(doc.path).name)),
                 (CKG.sha256, Literal(doc.sha256)), (CKG.sourceFormat, Literal(doc.source_format)),
                 (CKG.pageCount, Literal(doc.page_count) if doc.page_count is not None else None))

    # --- places ----------------------------------------------------------------------------

    def add_neighbourhood(self, n: Neighbourhood) -> None:
        node = uris.neighbourhood_uri(n.code, n.name, self.territory_key)
        self.put(node, (RDF.type, CKG.Neighbourhood), (RDFS.label, _fr(n.name)),
                 (SKOS.prefLabel, _fr(n.official_name or n.name)),
                 *((SKOS.altLabel, _fr(a)) for a in sorted({*n.aliases, n.name} - {n.official_name or n.name})),
                 (CKG.qpvCode, Literal(n.code) if n.code else None),
                 (CKG.territory, self.territory), (GEO.sfWithin, self.territory),
                 *((CKG.commune, commune) for commune in self._communes(n)))
        # A 2024 QPV continues the 2015 QPV(s) the ANCT correspondence names: the same URI scheme
        # (qpv/<code>) makes a 2015 contract's neighbourhood and its successor meet in the graph.
        for old in n.code_2015:
            if old != n.code:
                self.g.add((node, CKG.continues, uris.neighbourhood_uri(old, old, self.territory_key)))
        self.derive(node, n.provenance)
        designation = fact_node(self.doc.id, self.territory_key, n)
        self.put(designation, (RDF.type, CKG.Designation), (CKG.contract, self.contract),
                 (CKG.neighbourhood, node), (CKG.status, uris.status_uri(str(n.status))))
        # How sure this contract's extraction is of the neighbourhood: the contract's statement
        # (the designation), not the place, which several contracts name.
        self._confidence(designation, n.confidence)
        self.derive(designation, n.provenance)
        self.put(self.contract, (CKG.designation, designation), (CKG.neighbourhood, node))
        for name in (n.name, *n.aliases, n.official_name):
            if name:
                self.neighbourhood_by_name.setdefault(_fold(name), node)

    def _communes(self, n: Neighbourhood) -> list[URIRef]:
        """Commune nodes by INSEE code when linked (named when names and codes pair up), else by name."""
        if n.insee_codes:
            names = n.communes if len(n.communes) == len(n.insee_codes) else (None,) * len(n.insee_codes)
            pairs = [(uris.commune_uri(code), code, name) for code, name in zip(n.insee_codes, names, strict=True)]
        else:
            codes = [self.insee_by_commune.get(uris.slug(name)) for name in n.communes]
            pairs = [(uris.commune_uri(code, name), code, name) for code, name in zip(codes, n.communes, strict=True)]
        for node, code, name in pairs:
            self.put(node, (RDF.type, CKG.Commune), (CKG.inseeCode, Literal(code) if code else None),
                     (RDFS.label, _fr(name) if name else None), (GEO.sfWithin, self.territory))
            if name:
                self.commune_by_slug.setdefault(uris.slug(name), node)
        return [node for node, _, _ in pairs]

    # --- organisations ---------------------------------------------------------------------

    def organisation(self, org: Organisation) -> URIRef:
        """The node of a body; the EPCI holding the contract is the territory node itself."""
        node = self._organisation_node(org)
        g = self.g
        g.add((node, RDF.type, CKG.Organisation))
        if node != self.territory:
            g.add((node, RDFS.label, _fr(org.name)))
            g.add((node, SKOS.prefLabel, _fr(org.name)))
            kind = org.type if org.type in PARTNER_TYPES else "other"
            g.add((node, CKG.partnerType, uris.partner_type_uri(kind)))
        elif _fold(org.name) != _fold(self.x.territory.name):
            g.add((node, SKOS.altLabel, _fr(org.name)))
        for alias in org.aliases:
            if _fold(alias) != _fold(org.name):
                g.add((node, SKOS.altLabel, _fr(alias)))
        if org.siren:
            g.add((node, CKG.siren, Literal(org.siren)))
        if org.type == "commune" and (place := self._commune_of(org)):
            g.add((node, CKG.governs, place))
        return node

    def _commune_of(self, org: Organisation) -> URIRef | None:
        """The commune (place) a municipality governs, when this contract names it: by the
        gazetteer's id convention ("commune-<slug>") or by its name without "Ville de"."""
        name = uris.slug(org.name)
        for prefix in ("commune-de-", "commune-d-", "ville-de-", "ville-d-", "mairie-de-", "mairie-d-"):
            name = name.removeprefix(prefix)
        for key in (org.id.removeprefix("commune-"), name):
            if key in self.commune_by_slug:
                return self.commune_by_slug[key]
        return None

    def _organisation_node(self, org: Organisation) -> URIRef:
        t: Territory = self.x.territory
        if org.type == "epci":
            if org.siren and org.siren == t.siren:
                return self.territory
            names = {_fold(s) for s in (org.name, *org.aliases)}
            if not org.siren and names & {_fold(t.name), _fold(t.short_name or t.name)}:
                return self.territory
            if org.siren:
                return uris.territory_uri(org.siren, org.name)
        return uris.organisation_uri(org.id)

    def add_signatories(self) -> None:
        for s in self.x.signatories:
            self.add_signatory(s)

    def add_signatory(self, s: Signatory) -> None:
        g = self.g
        org = self.organisation(s.organisation)
        node = fact_node(self.doc.id, self.territory_key, s)
        g.add((node, RDF.type, CKG.Signature))
        g.add((node, CKG.contract, self.contract))
        g.add((node, CKG.signatory, org))
        if s.role:
            role = uris.role_uri(s.role)
            g.add((node, ORG.role, role))
            g.add((role, RDF.type, ORG.Role))
            g.add((role, RDFS.label, _fr(s.role)))
        if s.person:
            g.add((node, CKG.personName, Literal(s.person)))
        self._confidence(node, s.confidence)
        self.derive(node, s.provenance)
        g.add((self.contract, CKG.signature, node))
        g.add((self.contract, CKG.signedBy, org))

    # --- strategy --------------------------------------------------------------------------

    def add_strategy(self) -> None:
        g, s = self.g, self.scheme
        if not self.x.orientations:
            return
        self.put(s, (RDF.type, CKG.StrategyScheme), (RDF.type, SKOS.ConceptScheme),
                 (RDFS.label, _fr(f"Orientations et objectifs — {self.doc.id}")), (CKG.contract, self.contract))
        g.add((self.contract, CKG.strategy, s))
        for o in self.x.orientations:
            node = uris.orientation_uri(self.doc.id, o.label)
            self.put(node, (RDF.type, CKG.Orientation), (RDF.type, SKOS.Concept), (SKOS.prefLabel, _fr(o.label)),
                     *((SKOS.altLabel, _fr(alias)) for alias in o.aliases),
                     (SKOS.notation, Literal(o.number) if o.number else None),
                     (SKOS.inScheme, s), (SKOS.topConceptOf, s), (CKG.contract, self.contract))
            g.add((s, SKOS.hasTopConcept, node))
            self._themes(node, o.themes)
            self.derive(node, o.provenance)
            if o.id:
                self.orientation_by_id[o.id] = node
            for label in (o.label, *o.aliases):
                self.orientation_by_label.setdefault(_fold(label), node)
        for step in walk_strategy(self.x.orientations):
            self._objective(step)

    def _objective(self, step: StrategyStep) -> None:
        o, orientation = step.objective, uris.orientation_uri(self.doc.id, step.orientation.label)
        parent = uris.objective_uri(self.doc.id, step.parent.label, step.parent.code) if step.parent else orientation
        node = uris.objective_uri(self.doc.id, o.label, o.code)
        self.put(node, (RDF.type, CKG.Objective), (RDF.type, SKOS.Concept), (SKOS.prefLabel, _fr(o.label)),
                 (SKOS.notation, Literal(o.code) if o.code else None), (CKG.level, Literal(o.level)),
                 (SKOS.inScheme, self.scheme), (SKOS.broader, parent), (CKG.orientation, orientation),
                 (CKG.contract, self.contract))
        self.g.add((parent, SKOS.narrower, node))
        self._themes(node, o.themes)
        self.derive(node, o.provenance)
        if o.id:
            self.objective_by_id[o.id] = node
        self.objective_by_label.setdefault(_fold(o.label), node)
        for label in (step.orientation.label, *step.orientation.aliases):
            self.objective_by_place.setdefault((_fold(label), _fold(o.label)), node)

    def _orientation_of(self, record: Commitment | Indicator) -> URIRef | None:
        if record.orientation_id is not None:
            return self.orientation_by_id.get(record.orientation_id)
        return self.orientation_by_label.get(_fold(record.orientation)) if record.orientation else None

    def _objective_of(self, c: Commitment) -> URIRef | None:
        if c.objective_id is not None:
            return self.objective_by_id.get(c.objective_id)
        if not c.objective:
            return None
        return self.objective_by_place.get((_fold(c.orientation or ""), _fold(c.objective))) \
            or self.objective_by_label.get(_fold(c.objective))

    def _themes(self, node: URIRef, themes: Iterable[str]) -> None:
        for theme in themes:
            self.g.add((node, DCTERMS.subject, uris.theme_uri(theme)))

    # --- commitments and indicators --------------------------------------------------------

    def add_commitment(self, c: Commitment) -> None:
        g = self.g
        node = uris.commitment_uri(self.doc.id, c.id)
        partner = self.organisation(c.partner)
        self.put(node, (RDF.type, CKG.Commitment), (DCTERMS.identifier, Literal(c.id)), (CKG.partner, partner),
                 (CKG.text, _fr(c.text)), (CKG.kind, uris.commitment_kind_uri(str(c.kind))),
                 (CKG.contract, self.contract))
        g.add((self.contract, CKG.hasPartner, partner))
        if o := self._orientation_of(c):
            g.add((node, CKG.orientation, o))
        if ob := self._objective_of(c):
            g.add((node, CKG.objective, ob))
        for name in c.neighbourhoods:
            if n := self.neighbourhood_by_name.get(_fold(name)):
                g.add((node, CKG.scope, n))
        self._themes(node, c.themes)
        self._confidence(node, c.confidence)
        if c.partner_confidence is not None:
            g.add((node, CKG.partnerConfidence, Literal(Decimal(str(round(c.partner_confidence, 3))), datatype=XSD.decimal)))
        self.derive(node, (c.provenance,))

    def _confidence(self, node: URIRef, value: float | None) -> None:
        if value is None:
            return
        # Two records of one document can state the same node (two uncoded neighbourhoods of one
        # name, "Centre-ville" in two communes): the node keeps one confidence, the higher, as its
        # shape requires — a second value would refuse the whole build.
        for old in list(self.g.objects(node, CKG.confidence)):
            value = max(value, float(old))
            self.g.remove((node, CKG.confidence, old))
        # A Decimal, not a float typed xsd:decimal: the same N-Triples, and a value SHACL accepts
        # in memory too.
        self.g.add((node, CKG.confidence, Literal(Decimal(str(round(value, 3))), datatype=XSD.decimal)))

    def add_indicators(self) -> None:
        for i, ind in enumerate(self.x.indicators):
            self.add_indicator(ind if ind.id else replace(ind, id=f"{self.doc.id}/i{i}"))

    def add_indicator(self, ind: Indicator) -> None:
        g = self.g
        node = fact_node(self.doc.id, self.territory_key, ind)
        g.add((node, RDF.type, CKG.Indicator))
        g.add((node, CKG.text, _fr(ind.text)))
        g.add((node, CKG.contract, self.contract))
        orientation = self._orientation_of(ind)
        if ind.orientation_id is not None or ind.objective_id is not None:
            objective = self.objective_by_id.get(ind.objective_id or "")
        else:  # an old label may name an objective rather than the orientation
            objective = None if orientation else self.objective_by_label.get(_fold(ind.orientation or ""))
        if orientation:
            g.add((node, CKG.orientation, orientation))
        # Where it is written, as for a commitment: `measures` says what it follows (a commitment,
        # else the orientation first), which leaves the objective it sits under unsaid.
        if objective:
            g.add((node, CKG.objective, objective))
        if ind.commitment in self.commitment_ids:  # never point at a commitment the graph lacks
            g.add((node, CKG.measures, uris.commitment_uri(self.doc.id, ind.commitment)))
        elif orientation or objective:
            g.add((node, CKG.measures, orientation or objective))
        self._confidence(node, ind.confidence)
        self.derive(node, (ind.provenance,))


def extraction_to_graph(extraction: Extraction, passages: Sequence[Passage]) -> Graph:
    """The RDF of one document's extraction; `passages` are the document's passages."""
    g = new_graph()
    w = _DocumentGraph(g, extraction, passages)
    w.add_frame()
    for n in extraction.neighbourhoods:
        w.add_neighbourhood(n)
    for org in extraction.partners:
        g.add((w.contract, CKG.hasPartner, w.organisation(org)))
    w.add_signatories()
    w.add_strategy()
    for c in extraction.commitments:
        w.add_commitment(c)
    w.add_indicators()
    return g


def vocabulary_graph() -> Graph:
    """The ontology and the theme scheme, as shipped in ontology/."""
    g = new_graph()
    for name in ONTOLOGY_FILES:
        g.parse(ONTOLOGY_DIR / name, format="turtle")
    return g


def build_activity_graph(build_id: str, started_iso: str, document_ids: Sequence[str],
                         include_vocabulary: bool = True) -> Graph:
    """The build as a prov:Activity (software version, start time, documents used) + vocabulary."""
    from ingest import __version__

    g = vocabulary_graph() if include_vocabulary else new_graph()
    build, software = uris.build_uri(build_id), uris.software_uri(__version__)
    g.add((build, RDF.type, CKG.Build))
    g.add((build, RDF.type, PROV.Activity))
    g.add((build, RDFS.label, Literal(f"contrats build {build_id}")))
    g.add((build, PROV.startedAtTime, Literal(started_iso, datatype=XSD.dateTime)))
    g.add((build, PROV.wasAssociatedWith, software))
    g.add((software, RDF.type, PROV.SoftwareAgent))
    g.add((software, RDFS.label, Literal(f"contrats-kg {__version__}")))
    g.add((software, CKG.softwareVersion, Literal(__version__)))
    for doc_id in document_ids:
        g.add((build, PROV.used, uris.document_uri(doc_id)))
    return g


def facts_graph(extraction: Extraction, passages: Sequence[Passage],
                records: Iterable[Commitment | Indicator | Signatory | Neighbourhood]) -> Graph:
    """Only the given records of a document, each with what it names and its passage: the facts
    a reviewer rejected or revised, kept in the audit graph (kg.review.reviewed_graph)."""
    g = new_graph()
    w = _DocumentGraph(g, extraction, passages)
    for record in records:
        if isinstance(record, Commitment):
            w.add_commitment(record)
        elif isinstance(record, Indicator):
            w.add_indicator(record)
        elif isinstance(record, Signatory):
            w.add_signatory(record)
        else:
            w.add_neighbourhood(record)
    return g


def fact_node(document_id: str, territory_key: str, record: Commitment | Indicator | Signatory | Neighbourhood) -> URIRef:
    """The node that states a record in one contract: the commitment, the indicator, the
    signature, or the designation of a neighbourhood (the neighbourhood itself is a place several
    contracts share). A corrected signature or designation gets a node of its own ("-r"), so that
    its machine version, kept in the audit graph, is never the same node."""
    revised = "-r" if record.review_status in ("corrected", "added") else ""
    if isinstance(record, Commitment):
        return uris.commitment_uri(document_id, record.id)
    if isinstance(record, Indicator):
        return uris.indicator_uri(document_id, (record.id or "").removeprefix(f"{document_id}/").removeprefix("i"))
    if isinstance(record, Signatory):
        return uris.signature_uri(document_id, record.organisation.id + revised)
    key = uris.neighbourhood_key(record.code, record.name, territory_key)
    return uris.designation_uri(document_id, key + revised)
