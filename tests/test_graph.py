"""The RDF graph: ontology terms, stable URIs, provenance on every fact, SHACL conformance."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import RDF, RDFS, SKOS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV

from ingest.model import (
    PARTNER_TYPES,
    Block,
    BlockKind,
    Commitment,
    CommitmentKind,
    Document,
    DocumentMeta,
    Extraction,
    Indicator,
    Neighbourhood,
    Objective,
    Organisation,
    Orientation,
    Passage,
    Provenance,
    Signatory,
    Status,
    Territory,
)
from kg.graph import uris
from kg.graph.themes_scheme import THEMES_TTL, load_themes, themes_turtle
from kg.graph.uris import CKG
from kg.graph.validate import validate_data, validate_graph
from kg.graph.writer import OA, build_activity_graph, extraction_to_graph, vocabulary_graph

DOC = "maubeuge-val-de-sambre-2024"
TEXTS = [
    (BlockKind.HEADING, "Orientation 1 : Favoriser l'emploi et l'insertion", 10),
    (BlockKind.PARAGRAPH, "Les quartiers prioritaires retenus sont Sous-le-Bois et Les Provinces Françaises à Maubeuge.", 14),
    (BlockKind.LIST_ITEM, "La CAF du Nord s'engage à ouvrir une permanence d'accès aux droits dans le quartier de Sous-le-Bois.", 20),
    (BlockKind.TABLE_ROW, "Nombre de permanences tenues | Caf | annuel", 31),
    (BlockKind.PARAGRAPH, "Pour l'État, le Préfet du Nord, Bertrand Gaume", 40),
    (BlockKind.LIST_ITEM, "Objectif 1.1 : Renforcer l'accès à l'emploi des jeunes", 12),
]


def _document(doc_id: str = DOC, amends: str | None = None, code: str | None = "CN05903M") -> tuple[Document, list[Passage]]:
    blocks = tuple(Block(text, kind, None, line, line + 1) for kind, text, line in TEXTS)
    meta = DocumentMeta(territory="Communauté d'Agglomération Maubeuge-Val de Sambre", territory_short="CAMVS",
                        siren="200043396", contract_code=code, title="Contrat de ville « Engagements Quartiers 2030 »",
                        period_start=2024, period_end=2030, generation="2024", amends=amends, from_manifest=True)
    doc = Document(doc_id, f"/somewhere/corpus/{doc_id}.txt", "a" * 64, "text", meta, blocks)
    passages, offset = [], 0
    for i, b in enumerate(blocks):
        passages.append(Passage(f"{doc_id}#{i:08x}", doc_id, i, b.text, b.kind, ("Orientation 1",), None,
                                b.line_start, b.line_end, offset, offset + len(b.text)))
        offset += len(b.text) + 2
    return doc, passages


CAF = Organisation("caf-nord", "CAF du Nord", "caf", aliases=("la CAF", "Caf"))
STATE = Organisation("prefecture-nord", "Préfecture du Nord", "state", aliases=("l'État",))
MAUBEUGE = Organisation("commune-maubeuge", "Ville de Maubeuge", "commune", aliases=("Commune de Maubeuge",))
EPCI = Organisation("epci-camvs", "Communauté d'Agglomération Maubeuge-Val de Sambre", "epci", aliases=("CAMVS",))


def _extraction(doc_id: str = DOC, amends: str | None = None, code: str | None = "CN05903M") -> tuple[Extraction, list[Passage]]:
    doc, ps = _document(doc_id, amends, code)
    prov = [Provenance(p.id, None, p.line_start) for p in ps]
    territory = Territory("Communauté d'Agglomération Maubeuge-Val de Sambre", "CAMVS", "200043396", code)
    sous_le_bois = Neighbourhood("Sous-le-Bois", aliases=("Sous le Bois",), communes=("Maubeuge",), code="QN05917M",
                                 insee_codes=("59392",), official_name="Sous Le Bois - Rue D'Hautmont",
                                 provenance=(prov[1],))
    provinces = Neighbourhood("Les Provinces Françaises", communes=("Maubeuge",), status=Status.VEILLE,
                              provenance=(prov[1],))
    objective = Objective("Renforcer l'accès à l'emploi des jeunes", code="1.1", level="operational",
                          themes=("employment", "youth"), provenance=(prov[5],))
    orientation = Orientation("Favoriser l'emploi et l'insertion", number="1", objectives=(objective,),
                              themes=("employment",), provenance=(prov[0],))
    commitment = Commitment(f"{doc_id}/c1", CAF, TEXTS[2][1], CommitmentKind.COMMITMENT,
                            orientation=orientation.label, objective=objective.label,
                            neighbourhoods=("Sous le Bois",), themes=("access_to_rights",), provenance=prov[2])
    extraction = Extraction(
        document=doc, territory=territory, neighbourhoods=(sous_le_bois, provinces),
        signatories=(Signatory(STATE, "Bertrand Gaume", "Le Préfet", (prov[4],)),
                     Signatory(EPCI, None, "Le Président", (prov[4],)),
                     Signatory(MAUBEUGE, "Arnaud Decagny", "Le Maire", (prov[4],))),
        partners=(CAF,), orientations=(orientation,), commitments=(commitment,),
        indicators=(Indicator("Nombre de permanences tenues", orientation.label, commitment.id, prov[3]),),
    )
    return extraction, ps


@pytest.fixture(scope="module")
def graph() -> Graph:
    x, ps = _extraction()
    return extraction_to_graph(x, ps)


def _full(*graphs: Graph) -> Graph:
    g = Graph()
    for part in graphs:
        g += part
    g += build_activity_graph("20250101T000000-1", "2025-01-01T00:00:00+00:00", [DOC])
    return g


# --- URIs ------------------------------------------------------------------------------------


def test_uris_follow_official_identifiers():
    assert str(uris.territory_uri("200043396", "CAMVS")) == "https://w3id.org/contrats-kg/epci/200043396"
    assert str(uris.commune_uri("59392")) == "https://w3id.org/contrats-kg/commune/59392"
    assert str(uris.commune_uri(None, "Ferrière-la-Grande")).endswith("/commune/ferriere-la-grande")
    assert str(uris.neighbourhood_uri("QN05917M", "x", "200043396")).endswith("/qpv/QN05917M")
    assert str(uris.neighbourhood_uri(None, "Les Provinces Françaises", "200043396")).endswith(
        "/neighbourhood/200043396/les-provinces-francaises")
    assert str(uris.contract_uri("CN05903M", DOC)).endswith("/contract/CN05903M")
    assert str(uris.contract_uri(None, "valenciennes-2015")).endswith("/contract/valenciennes-2015")
    assert str(uris.passage_uri(f"{DOC}#0a1b2c3d-2")).endswith(f"/passage/{DOC}/0a1b2c3d-2")
    assert str(uris.commitment_uri(DOC, f"{DOC}/c12")).endswith(f"/commitment/{DOC}/c12")
    assert str(uris.organisation_uri("caf-nord")).endswith("/organisation/caf-nord")


def test_uris_are_stable_and_long_labels_stay_distinct():
    long_a = "Favoriser l'accès à l'emploi des habitants des quartiers prioritaires par " + "la formation " * 5
    long_b = long_a + " et l'apprentissage"
    assert uris.objective_uri(DOC, long_a, "2.1") == uris.objective_uri(DOC, long_a, "2.1")
    assert uris.objective_uri(DOC, long_a) != uris.objective_uri(DOC, long_b)
    assert len(str(uris.objective_uri(DOC, long_a)).rsplit("/", 1)[1]) <= uris.MAX_SLUG + 7
    assert uris.slug("Cœur de Quartier") == "coeur-de-quartier"


def test_same_extraction_gives_same_graph():
    x, ps = _extraction()
    a, b = extraction_to_graph(x, ps), extraction_to_graph(x, ps)
    assert set(a) == set(b)


# --- content ---------------------------------------------------------------------------------


def test_territory_contract_document_are_linked(graph):
    territory = uris.territory_uri("200043396", "")
    contract = uris.contract_uri("CN05903M", DOC)
    document = uris.document_uri(DOC)
    assert (contract, CKG.territory, territory) in graph
    assert (contract, CKG.document, document) in graph
    assert (contract, CKG.contractCode, Literal("CN05903M")) in graph
    assert (territory, CKG.siren, Literal("200043396")) in graph
    assert (document, CKG.sourceFile, Literal(f"{DOC}.txt")) in graph  # the name, not a machine's path
    assert graph.value(contract, CKG.periodStart).toPython() is not None


def test_neighbourhood_status_commune_and_aliases(graph):
    qpv = URIRef(uris.BASE + "qpv/QN05917M")
    assert (qpv, CKG.qpvCode, Literal("QN05917M")) in graph
    assert (qpv, CKG.commune, uris.commune_uri("59392")) in graph
    assert (uris.commune_uri("59392"), RDFS.label, Literal("Maubeuge", lang="fr")) in graph
    assert (qpv, SKOS.altLabel, Literal("Sous le Bois", lang="fr")) in graph
    watch = uris.neighbourhood_uri(None, "Les Provinces Françaises", "200043396")
    assert graph.value(watch, CKG.commune) == uris.commune_uri("59392")  # code known from another QPV
    statuses = {str(graph.value(d, CKG.status)).rsplit("/", 1)[1]
                for d in graph.objects(uris.contract_uri("CN05903M", DOC), CKG.designation)}
    assert statuses == {"priority", "veille"}


def test_one_node_per_body_and_epci_is_the_territory(graph):
    caf = uris.organisation_uri("caf-nord")
    assert (caf, SKOS.altLabel, Literal("la CAF", lang="fr")) in graph
    assert (caf, CKG.partnerType, uris.partner_type_uri("caf")) in graph
    territory = uris.territory_uri("200043396", "")
    signatories = set(graph.objects(uris.contract_uri("CN05903M", DOC), CKG.signedBy))
    assert signatories == {uris.organisation_uri("prefecture-nord"), territory, uris.organisation_uri("commune-maubeuge")}
    # the municipality as an institution governs the municipality as a place
    assert graph.value(uris.organisation_uri("commune-maubeuge"), CKG.governs) == uris.commune_uri("59392")
    other, ps = _extraction("valenciennes-2015", code=None)
    assert caf in set(extraction_to_graph(other, ps).subjects())


def test_commitment_links(graph):
    c = uris.commitment_uri(DOC, f"{DOC}/c1")
    assert graph.value(c, CKG.partner) == uris.organisation_uri("caf-nord")
    assert graph.value(c, CKG.kind) == uris.commitment_kind_uri("commitment")
    assert graph.value(c, CKG.scope) == URIRef(uris.BASE + "qpv/QN05917M")
    assert graph.value(c, CKG.objective) == uris.objective_uri(DOC, "Renforcer l'accès à l'emploi des jeunes", "1.1")
    assert (c, DCTERMS.subject, uris.theme_uri("access_to_rights")) in graph
    indicator = uris.indicator_uri(DOC, 0)
    assert graph.value(indicator, CKG.measures) == c


def test_a_commitment_is_linked_to_the_objective_of_its_own_orientation():
    """Two orientations each list an objective of the same label (the communes' tables of a 2015
    contract): a commitment under the second is linked to the second's objective, not the first's."""
    from dataclasses import replace

    x, ps = _extraction()
    first, = x.orientations
    label = first.objectives[0].label
    second = Orientation("Lutter contre les exclusions", number="2",
                         objectives=(Objective(label, code="2.1", level="operational"),))
    commitment = replace(x.commitments[0], orientation=second.label, objective=label)
    g = extraction_to_graph(replace(x, orientations=(first, second), commitments=(commitment,)), ps)
    c = uris.commitment_uri(DOC, commitment.id)
    assert g.value(c, CKG.objective) == uris.objective_uri(DOC, label, "2.1")
    assert g.value(c, CKG.orientation) == uris.orientation_uri(DOC, second.label)
    # Without an orientation, the label alone decides (the first objective of that label).
    alone = replace(commitment, orientation=None)
    g = extraction_to_graph(replace(x, orientations=(first, second), commitments=(alone,)), ps)
    assert g.value(c, CKG.objective) == uris.objective_uri(DOC, label, "1.1")


def test_objective_hierarchy_in_contract_scheme(graph):
    objective = uris.objective_uri(DOC, "Renforcer l'accès à l'emploi des jeunes", "1.1")
    orientation = uris.orientation_uri(DOC, "Favoriser l'emploi et l'insertion")
    assert graph.value(objective, SKOS.broader) == orientation
    assert graph.value(objective, SKOS.inScheme) == uris.scheme_uri(DOC)
    assert (orientation, SKOS.topConceptOf, uris.scheme_uri(DOC)) in graph


def test_every_extracted_fact_has_a_passage_with_selectors(graph):
    extracted = (CKG.Commitment, CKG.Indicator, CKG.Signature, CKG.Designation, CKG.Neighbourhood,
                 CKG.Orientation, CKG.Objective)
    nodes = [n for cls in extracted for n in graph.subjects(RDF.type, cls)]
    assert len(nodes) >= 9
    for node in nodes:
        sources = list(graph.objects(node, PROV.wasDerivedFrom))
        assert sources, node
        for passage in sources:
            assert (passage, RDF.type, CKG.Passage) in graph
            assert graph.value(passage, OA.hasSource) == uris.document_uri(DOC)
            kinds = {graph.value(s, RDF.type) for s in graph.objects(passage, OA.hasSelector)}
            assert {OA.TextQuoteSelector, OA.TextPositionSelector, OA.FragmentSelector} <= kinds
    quote = URIRef(f"{uris.passage_uri(f'{DOC}#00000002')}#quote")
    assert str(graph.value(quote, OA.exact)).startswith("La CAF du Nord s'engage")


def test_amending_protocol_points_to_the_contract_it_amends():
    x, ps = _extraction("valenciennes-2019", amends="valenciennes-2015", code=None)
    g = extraction_to_graph(x, ps)
    assert (uris.contract_uri(None, "valenciennes-2019"), CKG.amends, uris.contract_uri(None, "valenciennes-2015")) in g


def test_build_activity_has_version_and_time():
    from ingest import __version__

    g = build_activity_graph("b1", "2025-01-01T00:00:00+00:00", [DOC], include_vocabulary=False)
    build = uris.build_uri("b1")
    assert (build, RDF.type, PROV.Activity) in g
    software = g.value(build, PROV.wasAssociatedWith)
    assert g.value(software, CKG.softwareVersion) == Literal(__version__)
    assert (build, PROV.used, uris.document_uri(DOC)) in g


# --- vocabulary ------------------------------------------------------------------------------


def test_theme_scheme_file_is_in_sync_with_yaml():
    assert THEMES_TTL.read_text(encoding="utf-8") == themes_turtle(load_themes()), \
        "run: python -m kg.graph.themes_scheme"


def test_ontology_covers_partner_types_and_labels_every_term():
    g = vocabulary_graph()
    for t in PARTNER_TYPES:
        assert (uris.partner_type_uri(t), SKOS.inScheme, uris.PARTNER_TYPE_SCHEME) in g, t
    terms = [s for s in g.subjects() if isinstance(s, URIRef) and str(s).startswith(str(CKG))]
    for term in set(terms):
        langs = {label.language for label in g.objects(term, RDFS.label)}
        assert {"fr", "en"} <= langs, term
        assert {d.language for d in g.objects(term, SKOS.definition)} >= {"fr", "en"}, term


def test_every_term_the_writer_uses_is_declared(graph):
    vocabulary = vocabulary_graph()
    declared = set(vocabulary.subjects(RDF.type, None))
    used = set(graph.predicates()) | set(graph.objects(None, RDF.type))
    assert {t for t in used if str(t).startswith(str(CKG))} <= declared
    concepts = {o for o in graph.objects() if str(o).startswith(
        tuple(uris.BASE + kind for kind in ("status/", "commitment-kind/", "partner-type/", "theme/")))}
    assert len(concepts) >= 6
    for concept in concepts:
        assert (concept, SKOS.prefLabel, None) in vocabulary, concept


# --- SHACL -----------------------------------------------------------------------------------


def test_graph_conforms(graph, tmp_path: Path):
    path = tmp_path / "graph.nt"
    path.write_text(_full(graph).serialize(format="nt"), encoding="utf-8")
    conforms, report, triples = validate_graph(path)
    assert conforms, report
    assert triples > 100


def test_commitment_without_partner_is_reported(graph):
    g = _full(graph)
    g.remove((uris.commitment_uri(DOC, f"{DOC}/c1"), CKG.partner, None))
    conforms, report = validate_data(g)
    assert not conforms
    assert "exactly one partner" in report


def test_bad_identifiers_and_missing_provenance_are_reported(graph):
    g = _full(graph)
    qpv = URIRef(uris.BASE + "qpv/QN05917M")
    g.set((qpv, CKG.qpvCode, Literal("QPV-17")))
    g.set((uris.territory_uri("200043396", ""), CKG.siren, Literal("2000433")))
    g.remove((uris.indicator_uri(DOC, 0), PROV.wasDerivedFrom, None))
    g.remove((URIRef(f"{uris.passage_uri(f'{DOC}#00000002')}#quote"), RDF.type, None))
    conforms, report = validate_data(g)
    assert not conforms
    assert "QPV code" in report and "SIREN" in report and str(uris.indicator_uri(DOC, 0)) in report
    assert "text quote selector" in report


@pytest.mark.slow
def test_built_corpus_graph_conforms_and_merges_bodies(built):
    """The build validated its graph (summary); shared bodies and places are single nodes."""
    import json

    from kg.build.pipeline import current_build

    folder = current_build(built.data_dir)
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert summary["shacl_conforms"], summary["shacl_report"]
    assert summary["triples"] > 1000
    g = Graph().parse(folder / "graph.nt", format="nt")
    contracts = set(g.subjects(RDF.type, CKG.Contract))
    assert len(contracts) == len(summary["documents"])
    caf_contracts = {g.value(c, CKG.contract) for c in g.subjects(CKG.partner, uris.organisation_uri("caf-nord"))}
    assert len(caf_contracts) >= 2  # one CAF du Nord node, committing in several contracts
    valenciennes = uris.territory_uri("245901160", "")
    assert len(set(g.subjects(CKG.territory, valenciennes)) & contracts) == 2  # 2015 contract and 2019 protocol
    assert any(str(n).startswith(uris.BASE + "qpv/QN") for n in g.subjects(RDF.type, CKG.Neighbourhood))


def test_two_uncoded_neighbourhoods_of_one_name_give_one_confidence() -> None:
    """"Centre-ville" in two communes, neither coded: one designation node of the contract, whose
    shape allows one confidence — two would refuse the whole build."""
    from dataclasses import replace

    x, ps = _extraction()
    prov = (Provenance(ps[1].id, None, ps[1].line_start),)
    twins = (Neighbourhood("Centre-ville", communes=("Maubeuge",), confidence=0.6, provenance=prov),
             Neighbourhood("Centre-ville", communes=("Jeumont",), confidence=0.9, provenance=prov))
    g = extraction_to_graph(replace(x, neighbourhoods=(*x.neighbourhoods, *twins)), ps)
    designation = next(s for s in g.subjects(RDF.type, CKG.Designation) if str(s).endswith("centre-ville"))
    assert [float(c) for c in g.objects(designation, CKG.confidence)] == [0.9]
    conforms, report = validate_data(_full(g))
    assert conforms, report


def test_confidences_are_valid_decimals_in_the_graph_in_hand():
    """Checked as written, before any round trip through N-Triples: a float typed xsd:decimal
    failed sh:datatype in hand, though its serialisation read back conformed."""
    from dataclasses import replace

    x, ps = _extraction()
    c = replace(x.commitments[0], confidence=0.912, partner_confidence=0.8765)
    conforms, report = validate_data(_full(extraction_to_graph(replace(x, commitments=(c,)), ps)))
    assert conforms, report
