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
    from kg.build.pipeline import build

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


def _document(page, url: str, document: str) -> None:
    page.goto(f"{url}/document?doc={document}")
    page.get_by_text("Faits extraits").first.wait_for()
    name = page.get_by_label("Votre nom (pour relire)", exact=True).and_(page.get_by_role("textbox"))
    if not name.input_value():
        name.fill("Alice")
        name.press("Enter")


def _card(page, sort: str, text: str):
    """The fact card holding `text` among the document view's facts of one `sort` (the innermost container)."""
    page.get_by_test_id("stRadio").filter(has_text="Faits").get_by_text(re.compile(f"^{sort} \\(")).click()
    # In the facts' column only: the source beside it holds the same words.
    facts = page.get_by_test_id("stColumn").filter(has=page.get_by_text("Faits extraits", exact=True)).first
    card = facts.get_by_test_id("stVerticalBlock").filter(has_text=text).last
    card.wait_for()
    return card


def _correct(page, card, field: str, value: str) -> None:
    card.get_by_test_id("stPopoverButton").click()
    body = page.get_by_test_id("stPopoverBody")
    box = body.get_by_label(field, exact=True)
    box.fill(value)
    box.press("Enter")
    body.get_by_role("button", name=f"Corriger : {field.lower()}").click()


def test_signatories_and_neighbourhoods_are_reviewed_in_the_document_view(review_app, page, tmp_path: Path) -> None:
    from kg.build.pipeline import build

    url, settings, corpus = review_app
    _document(page, url, "maubeuge-review")
    # Every fact of the document is listed with its confidence, its status and "Relire".
    commitments = _card(page, "Engagements", "CPAM du Hainaut")
    assert "Confiance" in commitments.inner_text() and commitments.get_by_test_id("stPopoverButton").count() == 1

    prefect = _card(page, "Signataires", "Préfecture du Nord")
    assert "Non relu" in prefect.inner_text() and "Préfet du Nord, Georges" in prefect.inner_text()
    _correct(page, prefect, "Qualité", "Préfet du Nord")
    page.get_by_text(re.compile(r"Relecture : corrigé par Alice · qualité → Préfet du Nord")).wait_for()
    page.keyboard.press("Escape")

    epinette = _card(page, "Quartiers", "QN05917M")
    _correct(page, epinette, "Nom", "L'Épinette – Maubeuge")
    page.get_by_text(re.compile(r"Relecture : corrigé par Alice · nom → L'Épinette – Maubeuge")).wait_for()
    page.keyboard.press("Escape")
    page.screenshot(path=str(tmp_path / "document-review.png"))

    summary = build([corpus], settings, log=lambda m: None)
    assert summary.review["records"]["signatory"]["corrected"] == 1
    assert summary.review["records"]["neighbourhood"]["corrected"] == 1

    _document(page, url, "maubeuge-review")
    prefect = _card(page, "Signataires", "Préfecture du Nord")
    assert "Relu : corrigé par Alice" in prefect.inner_text()
    assert "Préfet du Nord, Georges" not in prefect.inner_text()
    epinette = _card(page, "Quartiers", "QN05917M")
    assert "L'Épinette – Maubeuge" in epinette.inner_text() and "Relu : corrigé par Alice" in epinette.inner_text()

    # The map, coloured by review: the corrected neighbourhood's one fact is reviewed, the other's is not.
    page.goto(url + "/carte")
    page.get_by_text("Carte des quartiers").first.wait_for()
    page.get_by_text("part des faits relus", exact=True).click()
    page.get_by_text(re.compile(r"Couleur : part des faits du quartier relus")).wait_for()
    table = page.get_by_test_id("stTable")
    table.get_by_text("QN05917M").wait_for()  # the table comes after the caption
    rows = {row.inner_text().split("\t")[0].strip(): row.inner_text() for row in table.locator("tr").all()}
    assert "1/1" in rows["QN05917M"] and "0/1" in rows["QN05915M"], rows
    page.screenshot(path=str(tmp_path / "map-review.png"))
    assert page.get_by_text("Traceback").count() == 0
