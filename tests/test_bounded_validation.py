"""Bounded-memory validation (issue 14): each document against the document shapes in its worker,
what the merge can break on the store, and a build gated by both."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, Literal

from kg.build.validate_document import document_failures, nt_failures
from kg.graph import uris
from kg.graph.uris import CKG
from kg.graph.validate import SHAPES, describe, merge_failures
from kg.graph.validate_store import UncheckedConstraint, merge_checks
from kg.graph.validate_store import merge_failures as store_failures
from kg.graph.writer import extraction_to_graph
from kg.sparql.store import OxigraphStore
from tests.test_graph import DOC, _extraction

TERRITORY = uris.territory_uri("200043396", "")


def _document_graph(doc_id: str = DOC, code: str = "CN05903M") -> Graph:
    x, ps = _extraction(doc_id, code=code)
    return extraction_to_graph(x, ps)


def test_per_document_shapes_accept_a_good_document_and_catch_a_bad_one(tmp_path: Path) -> None:
    good = _document_graph()
    assert nt_failures(good.serialize(format="nt"), SHAPES) == []
    bad = Graph() + good
    commitment = uris.commitment_uri(DOC, f"{DOC}/c1")
    bad.remove((commitment, CKG.partner, None))
    failures = nt_failures(bad.serialize(format="nt"), SHAPES)
    assert [f.key for f in failures] == ["MinCount on ckg:partner"]
    assert failures[0].nodes == (f"<{commitment}>",) and "exactly one partner" in failures[0].message
    # Kept beside the cached document under the shapes' fingerprint: read back, not validated again.
    (tmp_path / "graph.nt").write_text(bad.serialize(format="nt"), encoding="utf-8")
    assert document_failures(tmp_path, SHAPES) == failures
    (tmp_path / "graph.nt").write_text(good.serialize(format="nt"), encoding="utf-8")
    assert document_failures(tmp_path, SHAPES) == failures, "the kept result, for the same shapes"
    other = tmp_path / "shapes.ttl"
    other.write_text(SHAPES.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    assert document_failures(tmp_path, other) == [], "other shapes: validated again"


def test_a_conflict_between_two_valid_documents_is_found_on_the_store(tmp_path: Path) -> None:
    first = _document_graph()
    second = _document_graph("maubeuge-2024-annexe", code="CN05903Z")
    second.set((TERRITORY, CKG.siren, Literal("200043397")))  # a well-formed SIREN, another one
    for g in (first, second):
        assert nt_failures(g.serialize(format="nt"), SHAPES) == []
    path = tmp_path / "graph.nt"
    path.write_text(first.serialize(format="nt") + second.serialize(format="nt"), encoding="utf-8")
    store = OxigraphStore(tmp_path / "store", read_only=False)
    store.load_file(path)
    failures = store_failures(store, SHAPES)
    assert [(f.key, f.nodes) for f in failures] == [("MaxCount on ckg:siren", (str(TERRITORY),))]
    assert "SIREN has 9 digits" in describe(failures)
    second.set((TERRITORY, CKG.siren, Literal("200043396")))
    store.clear()
    path.write_text(first.serialize(format="nt") + second.serialize(format="nt"), encoding="utf-8")
    store.load_file(path)
    assert store_failures(store, SHAPES) == []


def test_every_count_limit_of_the_document_shapes_is_checked_across_documents(tmp_path: Path) -> None:
    keys = {c.key for c in merge_checks(SHAPES)}
    assert {"MaxCount on ckg:siren", "MaxCount on ckg:qpvCode", "UniqueLang on skos:prefLabel"} <= keys
    hidden = tmp_path / "shapes.ttl"
    hidden.write_text(SHAPES.read_text(encoding="utf-8") + """
<urn:test:Hidden> a sh:NodeShape ; sh:targetClass ckg:Territory ;
    sh:or ( [ sh:path ckg:siren ; sh:maxCount 1 ] [ sh:path rdfs:label ; sh:minCount 1 ] ) .
""", encoding="utf-8")
    with pytest.raises(UncheckedConstraint):
        merge_checks(hidden)


def test_failures_of_many_documents_make_one_line_per_constraint() -> None:
    from kg.graph.validate import ShapeFailure

    merged = merge_failures([ShapeFailure("MinCount on ckg:partner", "m", 2, ("<a>", "<b>")),
                             ShapeFailure("MinCount on ckg:partner", "m", 3, ("<b>", "<c>", "<d>")),
                             ShapeFailure("MaxCount on ckg:siren", "s", 1, ("<e>",))])
    assert [(f.key, f.count, f.nodes) for f in merged] == [
        ("MinCount on ckg:partner", 5, ("<a>", "<b>", "<c>")), ("MaxCount on ckg:siren", 1, ("<e>",))]
    assert len(describe(merged).splitlines()) == 2


# A territory of one contract only: true of every document alone, false of two contracts of one
# territory (its 2015 and 2024 contracts, say).
ONE_CONTRACT = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ckg: <https://w3id.org/contrats-kg/ontology#> .
<urn:test:OneContractShape> a sh:NodeShape ; sh:targetClass ckg:Territory ;
    sh:property [ sh:path [ sh:inversePath ckg:territory ] ; sh:maxCount 1 ;
                  sh:message "a territory of one contract only" ] .
"""


@pytest.mark.slow
def test_a_cross_document_violation_gates_the_build(tmp_path: Path, monkeypatch) -> None:
    import kg.graph.validate
    from kg.build.pipeline import BuildError, build, current_build
    from kg.config import Settings
    from tests.robustness.helpers import FAST_MODEL, ROOT

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("arras-contrat.txt", "arras-avenant.txt"):
        (corpus / name).write_text("Contrat de ville de la Communauté Urbaine d'Arras.\n\n"
                                   "La CAF du Pas-de-Calais s'engage à soutenir la parentalité.\n", encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data", store="oxigraph", model=FAST_MODEL,
                        reference_dir=ROOT / "reference", workers=1)
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(kg.graph.validate.SHAPES.read_text(encoding="utf-8") + ONE_CONTRACT, encoding="utf-8")
    monkeypatch.setattr(kg.graph.validate, "SHAPES", shapes)
    with pytest.raises(BuildError) as refused:
        build([corpus], settings, log=lambda m: None)
    message = str(refused.value)
    assert "not published" in message and "a territory of one contract only" in message
    assert "MaxCount on ^ckg:territory: 1 violation(s)" in message and "epci/200033579" in message
    with pytest.raises(FileNotFoundError):
        current_build(settings.data_dir)
    assert not list((settings.data_dir / "builds").glob(".tmp-*")), "nothing half-written is left"
