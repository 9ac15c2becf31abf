"""A build whose graph fails its SHACL shapes is not published (issue 13.5)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from kg.build.pipeline import BuildError, build, current_build
from kg.config import Settings
from tests.robustness.helpers import FAST_MODEL, ROOT, write_good_corpus

# A real shape the real graph fails: every commitment would need a budget nobody extracts.
STRICTER = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ckg: <https://w3id.org/contrats-kg/ontology#> .
<urn:test:BudgetShape> a sh:NodeShape ; sh:targetClass ckg:Commitment ;
    sh:property [ sh:path ckg:budgetForTest ; sh:minCount 1 ; sh:message "a commitment states its budget" ] .
"""


@pytest.mark.slow
def test_an_invalid_graph_leaves_the_previous_build_current(tmp_path: Path, monkeypatch, caplog) -> None:
    import kg.graph.validate

    corpus = tmp_path / "corpus"
    write_good_corpus(corpus)
    settings = Settings(data_dir=tmp_path / "data", store="oxigraph", model=FAST_MODEL,
                        reference_dir=ROOT / "reference", workers=1)
    build([corpus], settings, log=lambda m: None)
    good = current_build(settings.data_dir)

    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(kg.graph.validate.SHAPES.read_text(encoding="utf-8") + STRICTER, encoding="utf-8")
    monkeypatch.setattr(kg.graph.validate, "SHAPES", shapes)
    with pytest.raises(BuildError) as refused:
        build([corpus], settings, log=lambda m: None)
    message = str(refused.value)
    assert "not published" in message and "ckg:budgetForTest" in message
    assert "a commitment states its budget" in message and "https://w3id.org/contrats-kg/" in message
    assert current_build(settings.data_dir) == good
    assert not list((settings.data_dir / "builds").glob(".tmp-*")), "nothing half-written is left"

    logged: list[str] = []
    with caplog.at_level(logging.WARNING, logger="contrats.build"):
        summary = build([corpus], settings, log=logged.append, allow_invalid=True)
    # The same warning through logging, for applications that collect it there.
    assert any("--allow-invalid" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)
    assert summary.shacl_conforms is False
    assert current_build(settings.data_dir) != good
    assert any("--allow-invalid" in line for line in logged)
