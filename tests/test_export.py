"""Exports: the graph in Turtle, JSON-LD and N-Triples; CSV tables per record type; SPARQL results."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic

from kg.sparql.store import QueryResult
from kg.views.export import export_csv, export_graph, format_result, record_tables
from tests.test_queries import write_small_graph

EXTRACTION = {
    "document": {"id": "doc-a", "title": "Contrat", "generation": "2024"},
    "territory": {"name": "Agglo Alpha", "short_name": "AA", "siren": "111111111", "contract_code": None},
    "neighbourhoods": [{"name": "Quartier Un", "aliases": ["Q1", "Un"], "communes": ["Alpha"], "code": "QN01111A",
                        "status": "priority", "insee_codes": ["01001"], "official_name": None,
                        "provenance": [{"passage_id": "doc-a#1", "page": 3, "line": 12}]}],
    "signatories": [{"name": "CAF", "type": "caf", "organisation": "caf-x", "person": None, "role": "Directeur",
                     "provenance": [{"passage_id": "doc-a#9", "page": None, "line": 90}]}],
    "partners": [{"id": "caf-x", "name": "CAF", "aliases": ["Caf"], "type": "caf", "siren": None}],
    "orientations": [{"label": "Santé", "number": "1", "aliases": [], "themes": ["health"],
                      "provenance": [{"passage_id": "doc-a#2", "page": None, "line": 20}],
                      "objectives": [{"label": "Accès aux soins", "code": "1.1", "level": "strategic", "themes": ["health"],
                                      "provenance": [{"passage_id": "doc-a#3", "page": None, "line": 21}],
                                      "children": [{"label": "Médecins", "code": "1.1.1", "level": "operational",
                                                    "themes": [], "children": [], "provenance": []}]}]}],
    "commitments": [{"id": "doc-a/c1", "partner": "CAF", "partner_id": "caf-x", "partner_type": "caf",
                     "text": 'Ouvrir un "lieu", avec virgule; et retour\nà la ligne', "kind": "commitment",
                     "orientation": "Santé", "objective": "Accès aux soins", "neighbourhoods": ["Quartier Un"],
                     "themes": ["health", "youth"], "page": None, "line": 30, "passage_id": "doc-a#4"}],
    "indicators": [{"text": "Nombre de lieux", "orientation": "Santé", "commitment": "doc-a/c1", "page": None,
                    "line": 31, "passage_id": "doc-a#5"}],
}


def test_record_tables_are_flat_and_joined_by_document() -> None:
    tables = record_tables([EXTRACTION])
    assert {k: len(v) for k, v in tables.items()} == {"territories": 1, "neighbourhoods": 1, "signatories": 1,
                                                       "partners": 1, "orientations": 1, "objectives": 2,
                                                       "commitments": 1, "indicators": 1}
    n = tables["neighbourhoods"][0]
    assert n["document_id"] == "doc-a" and n["aliases"] == "Q1; Un" and (n["page"], n["line"]) == (3, 12)
    children = tables["objectives"]
    assert [(o["label"], o["parent"], o["orientation"]) for o in children] == [
        ("Accès aux soins", None, "Santé"), ("Médecins", "Accès aux soins", "Santé")]
    c = tables["commitments"][0]
    assert c["themes"] == "health; youth" and c["line"] == 30 and c["passage_id"] == "doc-a#4"


def test_export_csv_writes_one_table_per_record_type(tmp_path: Path) -> None:
    build = tmp_path / "build"
    (build / "extractions").mkdir(parents=True)
    (build / "extractions" / "doc-a.json").write_text(json.dumps(EXTRACTION), encoding="utf-8")
    (build / "documents.jsonl").write_text(json.dumps({"id": "doc-a", "warnings": ["w1", "w2"], "page_count": None})
                                           + "\n", encoding="utf-8")
    counts = export_csv(build, tmp_path / "csv")
    assert counts["documents"] == 1 and counts["objectives"] == 2
    files = sorted(p.name for p in (tmp_path / "csv").iterdir())
    assert files == sorted(["documents.csv", "territories.csv", "neighbourhoods.csv", "signatories.csv",
                            "partners.csv", "orientations.csv", "objectives.csv", "commitments.csv",
                            "indicators.csv"])
    with open(tmp_path / "csv" / "commitments.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows[0]["text"] == EXTRACTION["commitments"][0]["text"]  # quotes, separators, newline survive
    assert next(iter(rows[0])) == "document_id"
    with open(tmp_path / "csv" / "documents.csv", encoding="utf-8", newline="") as f:
        assert next(csv.DictReader(f))["warnings"] == "w1; w2"


@pytest.mark.parametrize("fmt, rdflib_format", [("ttl", "turtle"), ("jsonld", "json-ld"), ("nt", "nt")])
def test_graph_exports_round_trip(tmp_path: Path, fmt: str, rdflib_format: str) -> None:
    nt = write_small_graph(tmp_path / "graph.nt")
    out = tmp_path / f"graph.{fmt}"
    n = export_graph(nt, fmt, out)
    original, back = Graph().parse(nt, format="nt"), Graph().parse(out, format=rdflib_format)
    assert n == len(original) == len(back)
    assert isomorphic(original, back)
    if fmt == "ttl":
        assert "@prefix ckg: <https://w3id.org/contrats-kg/ontology#>" in out.read_text(encoding="utf-8")
    with pytest.raises(ValueError):
        export_graph(nt, "rdfxml", out)


def test_query_result_formats() -> None:
    result = QueryResult(("name", "n", "uri"), (
        (Literal('Caf "du Nord", 59', lang="fr"), Literal(3), URIRef("https://example.org/caf")),
        (Literal("x" * 100), None, URIRef("https://example.org/x")),
    ))
    table = format_result(result, "table").splitlines()
    assert table[0].split() == ["name", "n", "uri"] and table[-1] == "(2 rows)"
    assert "…" in table[3] and len(table[3].split("  ")[0]) <= 60
    rows = list(csv.reader(format_result(result, "csv").splitlines()))
    assert rows == [["name", "n", "uri"], ['Caf "du Nord", 59', "3", "https://example.org/caf"],
                    ["x" * 100, "", "https://example.org/x"]]
    doc = json.loads(format_result(result, "json"))
    first = doc["results"]["bindings"][0]
    assert first["name"] == {"type": "literal", "value": 'Caf "du Nord", 59', "xml:lang": "fr"}
    assert first["n"]["datatype"] == "http://www.w3.org/2001/XMLSchema#integer"
    assert "n" not in doc["results"]["bindings"][1]
    assert format_result(QueryResult(boolean=True), "table") == "true\n"
    assert json.loads(format_result(QueryResult(boolean=False), "json")) == {"head": {}, "boolean": False}
    triples = QueryResult(triples=((URIRef("https://e.org/a"), URIRef("https://e.org/p"), Literal("v")),))
    assert format_result(triples, "table") == '<https://e.org/a> <https://e.org/p> "v" .\n'


@pytest.mark.slow
def test_contrats_export_on_the_build(built, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from kg.build.pipeline import current_build
    from kg.cli import main

    runner = CliRunner()
    result = runner.invoke(main, ["export", "--data", str(built.data_dir), "--format", "csv", "--out",
                                  str(tmp_path / "csv")])
    assert result.exit_code == 0, result.output
    build_dir = current_build(built.data_dir)
    extractions = [json.loads(p.read_text(encoding="utf-8")) for p in (build_dir / "extractions").glob("*.json")]
    with open(tmp_path / "csv" / "commitments.csv", encoding="utf-8", newline="") as f:
        assert sum(1 for _ in csv.DictReader(f)) == sum(len(x["commitments"]) for x in extractions)
    result = runner.invoke(main, ["export", "--data", str(built.data_dir), "--format", "ttl", "--out",
                                  str(tmp_path / "graph.ttl")])
    assert result.exit_code == 0, result.output
    summary = json.loads((build_dir / "summary.json").read_text(encoding="utf-8"))
    assert len(Graph().parse(tmp_path / "graph.ttl", format="turtle")) == summary["triples"]
