"""Issue 15 end to end in headless Chromium: a reviewer corrects a partner and rejects a fact on the
comparison page, the app shows both at once, a rebuild keeps both, and the SPARQL page shows the
revision chain."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.test_browser import chromium_page, running_app

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture(scope="module")
def review_app(tmp_path_factory):
    from tests.robustness.helpers import FAST_MODEL
    from tests.test_corrections import build_review_corpus

    top = tmp_path_factory.mktemp("review-app")
    settings = build_review_corpus(top)
    with running_app(settings.data_dir, CONTRATS_MODEL=FAST_MODEL) as url:
        yield url, settings, top / "corpus"


@pytest.fixture(scope="module")
def page():
    with chromium_page() as page:
        yield page


def _compare_partner(page, url: str, partner: str) -> None:
    page.goto(url + "/comparer")
    page.get_by_text("Comparer les territoires").first.wait_for()
    name = page.get_by_label("Votre nom (pour relire)", exact=True).and_(page.get_by_role("textbox"))
    if not name.input_value():
        name.fill("Alice")
        name.press("Enter")
    page.get_by_text("un partenaire").click()
    page.get_by_test_id("stSelectbox").filter(has_text="Partenaire").click()
    page.get_by_role("option", name=partner, exact=True).click()
    page.get_by_test_id("stPopoverButton").first.wait_for()


def test_review_on_the_comparison_page_survives_a_rebuild(review_app, page, tmp_path: Path) -> None:
    from kg.build import build

    url, settings, corpus = review_app
    # A wrong partner: three clicks from the card to the corrected fact.
    _compare_partner(page, url, "CAF du Pas-de-Calais")
    page.get_by_text("Non relu").first.wait_for()
    page.get_by_test_id("stPopoverButton").first.click()  # 1: Relire
    body = page.get_by_test_id("stPopoverBody")
    body.get_by_test_id("stSelectbox").click()  # 2: the partner list
    page.get_by_role("option", name=re.compile(r"^CPAM du Hainaut")).click()
    body.get_by_role("button", name="Corriger le partenaire").click()  # 3
    page.get_by_text(re.compile(r"Relecture : corrigé par Alice · partenaire → CPAM du Hainaut")).wait_for()

    # A description taken for a commitment: rejected.
    _compare_partner(page, url, "France Travail")
    page.get_by_test_id("stPopoverButton").first.click()
    page.get_by_test_id("stPopoverBody").get_by_role("button", name="Rejeter").click()
    page.get_by_text(re.compile(r"Relecture : rejeté par Alice")).wait_for()
    page.screenshot(path=str(tmp_path / "rejected.png"))

    summary = build([corpus], settings, log=lambda m: None)  # a rebuild, as after new documents
    assert summary.review["corrected"] == 1 and summary.review["rejected"] == 1

    _compare_partner(page, url, "CPAM du Hainaut")
    page.get_by_text(re.compile(r"Relu : corrigé par Alice")).first.wait_for()
    page.get_by_text("un partenaire").click()
    page.get_by_test_id("stSelectbox").filter(has_text="Partenaire").click()
    assert page.get_by_role("option", name="France Travail", exact=True).count() == 0  # out of every view
    page.keyboard.press("Escape")

    # The SPARQL page: the revision chain, back to the machine's fact in the audit graph.
    page.goto(url + "/sparql")
    page.get_by_text("Console SPARQL").first.wait_for()
    page.get_by_label("Requête", exact=True).fill(
        "PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX ckg: <https://w3id.org/contrats-kg/ontology#> "
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
        "SELECT ?reviewer ?now ?before WHERE { ?new prov:wasRevisionOf ?old ; "
        "prov:wasAttributedTo/rdfs:label ?reviewer ; ckg:partner/rdfs:label ?now . "
        "GRAPH <https://w3id.org/contrats-kg/graph/rejected> { ?old ckg:partner/rdfs:label ?before } }")
    page.get_by_role("button", name="Exécuter").click()
    page.get_by_text("1 ligne(s)").wait_for()
    page.screenshot(path=str(tmp_path / "sparql.png"))
    grid = page.get_by_test_id("stDataFrame")
    grid.locator("[data-testid=glide-cell-0-0]").wait_for(state="attached")
    cells = grid.locator("[data-testid^=glide-cell]").all_text_contents()
    assert "Alice" in cells and "CPAM du Hainaut" in cells and "CAF du Pas-de-Calais" in cells, cells
    assert page.get_by_text("Traceback").count() == 0
