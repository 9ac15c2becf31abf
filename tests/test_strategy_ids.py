"""Orientations and objectives named by id, not by label (issue 13, item 1): a contract repeats an
objective's label or code under several orientations, and a record must still reach its own."""

from __future__ import annotations

from dataclasses import replace

import pytest
from rdflib import URIRef

from ingest.extract.commitments import extract_commitments
from ingest.extract.from_json import extraction_from_json
from ingest.extract.indicators import extract_indicators
from ingest.extract.organisations import OrganisationResolver
from ingest.extract.strategy_index import StructureIndex, strategy_labels
from ingest.extract.structure import extract_orientations
from ingest.extract.to_json import extraction_to_json
from ingest.model import Extraction, Objective, Orientation, Territory, walk_strategy
from ingest.read.text import text_to_blocks
from ingest.segment import segment
from kg.graph import uris
from kg.graph.uris import CKG
from kg.graph.writer import extraction_to_graph

TERRITORY = Territory("Communauté d'Agglomération du Val de Lys", "CAVL", "200000172")
# Each orientation numbers its strategic objectives from 1: the code "1" names two objectives.
TWO_ORIENTATIONS = (
    "ORIENTATION 1 : Favoriser l'emploi des habitants\n\n"
    "Objectif stratégique 1 : Lutter contre l'illettrisme\n\n"
    "La Caf du Nord s'engage à ouvrir des ateliers de lecture pour les adultes du quartier.\n\n"
    "Indicateur : nombre d'ateliers ouverts\n\n"
    "ORIENTATION 2 : Améliorer le cadre de vie des habitants\n\n"
    "Objectif stratégique 1 : Rénover les logements anciens\n\n"
    "La Caf du Nord s'engage à financer des diagnostics de logement pour les familles.\n")


def _extraction(text: str = TWO_ORIENTATIONS) -> tuple[Extraction, list]:
    from ingest.model import Document, DocumentMeta

    doc = Document(id="test-doc", path="<test>", sha256="0" * 64, source_format="text",
                   meta=DocumentMeta(territory=TERRITORY.name, territory_short="CAVL"),
                   blocks=text_to_blocks(text).blocks)
    passages = segment(doc)
    orientations = extract_orientations(doc, passages)
    index = StructureIndex(orientations, passages)
    commitments = extract_commitments(doc, passages, OrganisationResolver(departments=("Nord",), epci=TERRITORY),
                                      index.locate, strategy_labels=strategy_labels(orientations))
    indicators = extract_indicators(doc, passages, commitments, index.locate)
    x = Extraction(document=doc, territory=TERRITORY, orientations=tuple(orientations),
                   commitments=tuple(index.with_ids(commitments)), indicators=tuple(index.with_ids(indicators)))
    return x, passages


def _objective_node(x: Extraction, objective_id: str) -> URIRef:
    ob = next(s.objective for s in walk_strategy(x.orientations) if s.objective.id == objective_id)
    return uris.objective_uri(x.document.id, ob.label, ob.code)


def test_ids_say_the_place_in_the_tree_and_are_unique() -> None:
    text = ("Orientation 3 : Accompagner le renouvellement urbain\n\n"
            "Objectif 3.1 : Améliorer l'habitat\n\n3.1.1 Repérer les ménages en difficulté.\n\n"
            "3.1.2 Renforcer la coordination des bailleurs.\n\n"
            "Orientation 4 : Ouvrir les quartiers\n\nObjectif 4.1 : Relier les quartiers au centre\n")
    x, _ = _extraction(text)
    assert [o.id for o in x.orientations] == ["o1", "o2"]
    assert [(s.objective.code, s.objective.id) for s in walk_strategy(x.orientations)] == [
        ("3.1", "o1.1"), ("3.1.1", "o1.1.1"), ("3.1.2", "o1.1.2"), ("4.1", "o2.1")]
    assert _extraction(text)[0].orientations == x.orientations  # the same text, the same ids


def test_a_code_repeated_under_two_orientations_names_each_its_own_objective() -> None:
    x, passages = _extraction()
    first, second = x.commitments
    assert (first.orientation_id, first.objective_id, first.objective) == ("o1", "o1.1", "Lutter contre l'illettrisme")
    assert (second.orientation_id, second.objective_id, second.objective) == ("o2", "o2.1", "Rénover les logements anciens")
    (indicator,) = x.indicators
    assert (indicator.orientation_id, indicator.objective_id) == ("o1", "o1.1")
    g = extraction_to_graph(x, passages)
    for c in (first, second):
        node = uris.commitment_uri(x.document.id, c.id)
        assert g.value(node, CKG.objective) == _objective_node(x, c.objective_id or "")
        assert g.value(node, CKG.orientation) == uris.orientation_uri(x.document.id, c.orientation or "")


def test_an_indicator_is_linked_to_the_objective_it_sits_under_and_the_shapes_hold() -> None:
    """As a commitment is: `ckg:objective`, declared in the shapes (at most one, an Objective)."""
    from kg.graph.validate import validate_data
    from kg.graph.writer import build_activity_graph

    x, passages = _extraction()
    (indicator,) = x.indicators
    g = extraction_to_graph(x, passages)
    node = uris.indicator_uri(x.document.id, 0)
    assert g.value(node, CKG.objective) == _objective_node(x, "o1.1")
    assert g.value(node, CKG.orientation) == uris.orientation_uri(x.document.id, indicator.orientation or "")
    g += build_activity_graph("20250101T000000-1", "2025-01-01T00:00:00+00:00", [x.document.id])
    conforms, report = validate_data(g)
    assert conforms, report
    g.add((node, CKG.objective, _objective_node(x, "o2.1")))
    conforms, report = validate_data(g)
    assert not conforms and str(node) in report


# The shape of a 2015 contract's strategy tables: each orientation's table opens with column
# headers (one set in capitals, so read as a heading) above "Objectif N.M :" and its label; a later
# chapter's table, under orientation 2, numbers its row "1.1." though its words are objective 2.1.1's.
TABLES = (
    "Orientation 1 : Favoriser l'emploi des habitants\n\n"
    "PRIORITÉS D'INTERVENTION\n\n"
    "Objectif 1.1 :\n\nLutter contre l'illettrisme.\n\n"
    "1.1.1 Ouvrir des ateliers de lecture.\n\n"
    "Orientation 2 : Améliorer le cadre de vie des habitants\n\n"
    "PRIORITÉS D'INTERVENTION\n\n"
    "Objectif 2.1 :\n\nRénover les logements anciens.\n\n"
    "2.1.1 Repérer les logements indignes.\n\n"
    "ACTIONS DES COMMUNES\n\n"
    "Orientation 2 : Améliorer le cadre de vie des habitants\n\n"
    "1.1. Repérer les logements indignes\n\n"
    "La Caf du Nord s'engage à financer des diagnostics de logement pour les familles.\n")


def test_an_objective_after_a_column_header_keeps_its_own_label() -> None:
    """"Objectif 1.1 :" under a heading that is a table's column header is still objective 1.1 of
    orientation 1; missed, the tree took 1.1's label from the later "1.1." row of orientation 2."""
    x, _ = _extraction(TABLES)
    assert [(s.objective.id, s.objective.code, s.objective.label) for s in walk_strategy(x.orientations)] == [
        ("o1.1", "1.1", "Lutter contre l'illettrisme"), ("o1.1.1", "1.1.1", "Ouvrir des ateliers de lecture"),
        ("o2.1", "2.1", "Rénover les logements anciens"), ("o2.1.1", "2.1.1", "Repérer les logements indignes")]


@pytest.mark.parametrize("row", ["1.1. Repérer les logements indignes", "1.1. Repérer les logements\n\nindignes"],
                         ids=["whole", "cut by the layout"])
def test_a_row_coded_as_another_orientations_objective_is_placed_by_its_words(row: str) -> None:
    x, _ = _extraction(TABLES.replace("1.1. Repérer les logements indignes", row))
    (c,) = x.commitments
    assert (c.orientation_id, c.objective_id, c.objective) == ("o2", "o2.1.1", "Repérer les logements indignes")


def test_code_and_words_together_name_their_objective_in_another_orientation() -> None:
    """Orientation 2 repeats 1.1.1's words as its own 2.1.2; a row "1.1.1 <those words>" under
    orientation 2 names 1.1.1 by code and words both (a table whose orientation heading the reader
    missed), which the words alone would not decide."""
    text = TABLES.replace("2.1.1 Repérer les logements indignes.\n\n",
                          "2.1.1 Repérer les logements indignes.\n\n2.1.2 Ouvrir des ateliers de lecture.\n\n")
    x, _ = _extraction(text.replace("1.1. Repérer les logements indignes", "1.1.1 Ouvrir des ateliers de lecture"))
    (c,) = x.commitments
    assert (c.orientation_id, c.objective_id, c.objective) == ("o2", "o1.1.1", "Ouvrir des ateliers de lecture")


def test_the_graph_joins_by_id_where_the_label_would_pick_another_objective() -> None:
    """A commitment whose orientation was not found, under an objective whose label the first
    orientation repeats: its id says which; its label alone would take the first of that label."""
    label = "Lutter contre l'illettrisme"
    x, passages = _extraction()
    first = Orientation("Emploi", number="1", id="o1", objectives=(Objective(label, code="1.1", id="o1.1"),))
    second = Orientation("Éducation", number="2", id="o2", objectives=(Objective(label, code="2.1", id="o2.1"),))
    c = replace(x.commitments[0], orientation=None, objective=label, orientation_id=None, objective_id="o2.1")
    x = replace(x, orientations=(first, second), commitments=(c,), indicators=())
    node = uris.commitment_uri(x.document.id, c.id)
    assert extraction_to_graph(x, passages).value(node, CKG.objective) == uris.objective_uri(x.document.id, label, "2.1")
    by_label = replace(x, commitments=(replace(c, objective_id=None),))
    assert extraction_to_graph(by_label, passages).value(node, CKG.objective) == uris.objective_uri(x.document.id, label, "1.1")


# What `contrats extract --json` wrote before the ids: every one of these keys stays.
OLD_KEYS = {
    "orientations": {"label", "number", "aliases", "themes", "objectives", "provenance"},
    "objective": {"label", "code", "level", "themes", "children", "provenance"},
    "commitments": {"id", "partner", "partner_id", "partner_type", "text", "kind", "orientation", "objective",
                    "neighbourhoods", "themes", "page", "line", "passage_id", "confidence", "partner_confidence",
                    "review_status", "reviewers", "revises"},
    "indicators": {"id", "text", "orientation", "commitment", "page", "line", "passage_id", "confidence",
                   "review_status", "reviewers", "revises"},
}


def _without_ids(data: dict) -> dict:
    """The JSON as written before the ids (an old build's cache)."""
    def objective(o: dict) -> dict:
        return {k: [objective(c) for c in v] if k == "children" else v for k, v in o.items() if k != "id"}

    old = dict(data)
    old["orientations"] = [{k: [objective(ob) for ob in v] if k == "objectives" else v for k, v in o.items() if k != "id"}
                           for o in data["orientations"]]
    for key in ("commitments", "uncertain_commitments", "indicators"):
        old[key] = [{k: v for k, v in r.items() if k not in ("orientation_id", "objective_id")} for r in data[key]]
    return old


def test_the_json_keeps_every_old_field_and_adds_the_ids() -> None:
    data = extraction_to_json(_extraction()[0])
    orientation = data["orientations"][0]
    objective = orientation["objectives"][0]
    assert set(orientation) == OLD_KEYS["orientations"] | {"id"} and orientation["id"] == "o1"
    assert set(objective) == OLD_KEYS["objective"] | {"id"} and objective["id"] == "o1.1"
    for key in ("commitments", "indicators"):
        assert set(data[key][0]) == OLD_KEYS[key] | {"orientation_id", "objective_id"}
    assert data["commitments"][1]["objective_id"] == "o2.1"
    assert extraction_to_json(extraction_from_json(data)) == data


def test_an_old_json_without_ids_loads_and_joins_by_label() -> None:
    x, passages = _extraction()
    old = _without_ids(extraction_to_json(x))
    back = extraction_from_json(old)
    assert all(s.objective.id is None for s in walk_strategy(back.orientations))
    assert all(c.orientation_id is None and c.objective_id is None for c in back.commitments)
    assert {k for k in extraction_to_json(back)["commitments"][0]} >= OLD_KEYS["commitments"]
    g = extraction_to_graph(back, passages)
    for c in back.commitments:  # labels that are right join as the ids do
        node = uris.commitment_uri(x.document.id, c.id)
        assert g.value(node, CKG.objective) == uris.objective_uri(x.document.id, c.objective or "", "1")
        assert g.value(node, CKG.orientation) == uris.orientation_uri(x.document.id, c.orientation or "")
    (indicator,) = back.indicators  # outside any commitment: it measures its orientation
    assert g.value(uris.indicator_uri(x.document.id, 0), CKG.measures) == uris.orientation_uri(x.document.id,
                                                                                              indicator.orientation or "")


def test_the_csv_tables_join_commitments_to_objectives_by_id() -> None:
    from kg.views.export import record_tables

    text = TWO_ORIENTATIONS.replace("Objectif stratégique 1 : Rénover les logements anciens\n\n",
                                    "Objectif stratégique 1 : Rénover les logements anciens\n\n"
                                    "1A Repérer les logements indignes\n\n")
    tables = record_tables([extraction_to_json(_extraction(text)[0])])
    objectives = {row["id"]: row for row in tables["objectives"]}
    assert {k: (v["orientation_id"], v["parent_id"]) for k, v in objectives.items()} == {
        "o1.1": ("o1", None), "o2.1": ("o2", None), "o2.1.1": ("o2", "o2.1")}
    assert [objectives[c["objective_id"]]["label"] for c in tables["commitments"]] == [
        "Lutter contre l'illettrisme", "Rénover les logements anciens"]
