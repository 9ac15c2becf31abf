"""`contrats search` and `contrats compare` on the real build: the JSON shapes users' scripts read,
the filters, every territory's column, and clear errors instead of tracebacks."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from kg.cli import main

# On the whole shipped corpus (three territories, the CAF du Nord, English questions): the `built`
# fixture, so out of the fast loop. The missing-extra path is tests/test_extras.py's, on the small build.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cli(built):
    runner = CliRunner()

    def run(*args: str, env: dict | None = None):
        return runner.invoke(main, [*args, "--data", str(built.data_dir)], env=env or {})

    return run


def test_search_json_gives_the_documented_fields(cli) -> None:
    result = cli("search", "décrochage scolaire", "--k", "5", "--json")
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)  # the documented shape: a list of results
    assert isinstance(hits, list)
    envelope = json.loads(cli("search", "décrochage scolaire", "--k", "5", "--json", "--with-understood").stdout)
    assert {"query", "query_used", "understood", "results"} <= set(envelope)
    assert [h["id"] for h in envelope["results"]] == [h["id"] for h in hits]
    assert 1 <= len(hits) <= 5
    for hit in hits:
        assert {"text", "document", "territory", "page", "score", "section_path", "record_type", "node"} <= set(hit)
        assert hit["text"] and hit["document"] and isinstance(hit["score"], float)
    assert any("décrochage" in h["text"].lower() for h in hits)
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)


def test_search_filters_by_territory_theme_and_type(cli) -> None:
    by_full_name = json.loads(cli("search", "santé", "--territory", "Valenciennes Métropole", "--theme", "health",
                                  "--type", "commitment", "--json").stdout)
    assert by_full_name
    assert {h["territory"] for h in by_full_name} == {"CAVM"}  # results carry the short name
    assert all(h["record_type"] == "commitment" and "health" in h["themes"] and h["node"] for h in by_full_name)
    by_short_name = json.loads(cli("search", "santé", "--territory", "cavm", "--theme", "health",
                                   "--type", "commitment", "--json").stdout)
    assert [h["id"] for h in by_short_name] == [h["id"] for h in by_full_name]


def test_english_question_finds_french_text(cli) -> None:
    hits = json.loads(cli("search", "domestic violence against women", "--k", "5", "--json").stdout)
    assert any("violence" in h["text"].lower() for h in hits)


def test_search_reads_the_territory_a_question_names(cli) -> None:
    payload = json.loads(cli("search", "Que prévoit la CUA pour la parentalité ?", "--json", "--with-understood").stdout)
    assert payload["understood"]["territories"] == ["CUA"]
    assert payload["results"] and {h["territory"] for h in payload["results"]} == {"CUA"}
    literal = json.loads(cli("search", "Que prévoit la CUA pour la parentalité ?", "--literal", "--json",
                             "--with-understood").stdout)
    assert literal["understood"] is None


def test_compare_gives_every_territory_a_column(cli) -> None:
    out = json.loads(cli("compare", "soutien à la parentalité", "--json").output)
    territories = [c["territory"] for c in out["columns"]]
    assert len(territories) == 3 and len(set(territories)) == 3
    for column in out["columns"]:
        assert column["found"] == bool(column["results"])
        assert column["found"] or column["note"] == "rien trouvé / nothing found"


def test_compare_by_theme_partner_and_commitment(cli) -> None:
    theme = json.loads(cli("compare", "--theme", "youth", "--json").stdout)
    assert len(theme["columns"]) == 3
    assert all(c["found"] == bool(c["results"]) for c in theme["columns"])
    # The CAF du Nord signs in the Nord only: the Pas-de-Calais column says so instead of vanishing.
    partner = json.loads(cli("compare", "--partner", "caf-nord", "--json").stdout)
    assert len(partner["columns"]) == 3
    empty = [c for c in partner["columns"] if not c["found"]]
    assert [c["territory"] for c in empty] == ["CUA"] and empty[0]["note"] == "rien trouvé / nothing found"
    assert any(c["found"] for c in partner["columns"])
    some = next(r for c in partner["columns"] for r in c["results"])
    similar = json.loads(cli("compare", "--commitment", some["id"], "--json").output)
    assert similar["source"]["id"] == some["id"]
    assert all(c["territory"] != similar["source"]["territory"] for c in similar["columns"])


@pytest.mark.parametrize("args", [("compare",), ("compare", "x", "--theme", "health"),
                                  ("compare", "--commitment", "no-such-id")])
def test_compare_misuse_is_a_clear_error(cli, args) -> None:
    result = cli(*args)
    assert result.exit_code == 1 and result.output.startswith("error: ")


def test_index_of_another_encoder_is_refused_with_the_command_to_run(cli) -> None:
    result = cli("search", "santé", env={"CONTRATS_MODEL": "builtin:fr-word-vectors"})
    assert result.exit_code == 1
    assert "error: " in result.output and "contrats build" in result.output
    assert "Traceback" not in result.output
