"""The Streamlit app on real built data, page by page, with real interactions (AppTest).

Every page runs on the `built` fixture (the shipped corpus built once per session); the pages
read it through CONTRATS_DATA, as they do when started by `contrats app`. Those tests are slow;
the few at the end check how document text is shown (kg.views.textview) and need no build.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "search_app.py")


@pytest.fixture
def app(built, monkeypatch) -> AppTest:
    monkeypatch.setenv("CONTRATS_DATA", str(built.data_dir))
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    assert not at.exception, at.exception
    return at


def _open(at: AppTest, page: str) -> AppTest:
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


def _cards(at: AppTest) -> list[str]:
    """The head line of each result card ("**CUA** · arras-2024 · l. 12 · engagement · score …")."""
    return [m.value for m in at.markdown if m.value.startswith("**") and " · " in m.value]


def _texts(at: AppTest) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption])


# ------------------------------------------------------------------------------------------ Recherche

@pytest.mark.slow
def test_search_highlights_terms_and_links_each_result_to_its_place(app: AppTest) -> None:
    app.text_input(key="query").input("accès aux soins médecins").run()
    assert not app.exception
    assert re.match(r"\d+ résultat\(s\)", app.subheader[0].value)
    cards = _cards(app)
    assert len(cards) == 10
    assert ":orange-background[soins]" in _texts(app) or ":orange-background[Soins]" in _texts(app)
    links = app.get("page_link")
    assert len(links) == len(cards)
    assert all("Ouvrir le document" in link.proto.label for link in links)
    assert all("doc=" in link.proto.page or link.proto.query_string for link in links)


@pytest.mark.slow
def test_every_filter_narrows_the_results(app: AppTest) -> None:
    app.text_input(key="query").input("emploi des jeunes").run()
    territories = app.multiselect(key="f_territory").options
    assert len(territories) >= 3
    app.multiselect(key="f_territory").select(territories[-1]).run()
    assert not app.exception
    assert _cards(app) and all(c.startswith(f"**{territories[-1]}**") for c in _cards(app))

    app.multiselect(key="f_territory").unselect(territories[-1])
    app.multiselect(key="f_type").select("commitment").run()
    assert _cards(app) and all("· engagement ·" in c for c in _cards(app))

    options = app.multiselect(key="f_partner_type").options
    assert "Caisse d'allocations familiales" in options  # French labels from the ontology
    app.multiselect(key="f_partner_type").select("Caisse d'allocations familiales").run()
    facts = [c.value for c in app.caption if c.value.startswith("Partenaire")]
    assert facts and all("Caisse d'allocations familiales" in f for f in facts)

    app.multiselect(key="f_partner_type").set_value([])  # the value is the id ("caf"), not the label
    app.multiselect(key="f_theme").select("Emploi et insertion").run()
    facts = [c.value for c in app.caption if "Thèmes" in c.value]
    assert facts and all("Emploi et insertion" in f for f in facts)

    app.multiselect(key="f_theme").set_value([])
    app.multiselect(key="f_generation").select("2015").run()
    assert _cards(app) and all("valenciennes\\-2015" in c for c in _cards(app))

    app.multiselect(key="f_generation").unselect("2015")
    neighbourhoods = app.multiselect(key="f_neighbourhood").options
    assert neighbourhoods
    app.text_input(key="query").input("quartier").run()
    app.multiselect(key="f_neighbourhood").select(neighbourhoods[0]).run()
    assert not app.exception
    from kg.views.textview import escape_markdown

    facts = [c.value for c in app.caption if c.value.startswith("Quartiers") or " · Quartiers" in c.value]
    assert _cards(app) and len(facts) == len(_cards(app))
    assert all(escape_markdown(neighbourhoods[0]) in f for f in facts)


@pytest.mark.slow
def test_what_the_question_names_is_shown_and_can_be_removed(app: AppTest) -> None:
    query = "soutien à la parentalité à Arras"
    app.text_input(key="query").input(query).run()
    assert not app.exception
    understood = app.multiselect(key=f"understood::{query}")
    assert "territory:CUA" in understood.value
    assert _cards(app) and all(c.startswith("**CUA**") for c in _cards(app))
    understood.set_value([]).run()  # removed: every territory again
    assert len({c.split("**")[1] for c in _cards(app)}) > 1


@pytest.mark.slow
def test_partner_filter_and_graph_facts(app: AppTest) -> None:
    partners = app.multiselect(key="f_partner").options
    caf = next(p for p in partners if p.lower().startswith("caf"))
    app.text_input(key="query").input("parentalité").run()
    app.multiselect(key="f_partner").select(caf).run()
    facts = [c.value for c in app.caption if c.value.startswith("Partenaire")]
    assert facts and all(caf.split()[0] in f for f in facts)


@pytest.mark.slow
def test_english_query_is_translated(app: AppTest) -> None:
    app.text_input(key="query").input("school dropout prevention").run()
    assert not app.exception
    assert any("cherchée comme" in c.value for c in app.caption)


@pytest.mark.slow
def test_document_text_is_never_raw_html(app: AppTest) -> None:
    app.text_input(key="query").input("<script>alert(1)</script> logement").run()
    assert not app.exception
    assert _cards(app)
    for element in list(app.markdown) + list(app.caption):
        assert not element.allow_html
        assert "<script>" not in element.value
    assert "html" not in {getattr(e, "type", "") for e in app.main}


# ------------------------------------------------------------------------------------------ Document

@pytest.mark.slow
def test_document_page_opens_at_the_linked_line(app: AppTest) -> None:
    app.query_params["doc"] = "arras-2024"
    app.query_params["line"] = "120"
    _open(app, "document")
    assert app.selectbox(key="d_doc").value == "arras-2024"
    shown = app.code[0].value
    assert re.search(r"^►\s+120 │", shown, flags=re.M), shown[:400]
    assert app.get("download_button")


# ------------------------------------------------------------------------------------------ Comparer

@pytest.mark.slow
def test_compare_a_question_has_one_column_per_territory(app: AppTest) -> None:
    _open(app, "comparer")
    chosen = app.multiselect(key="c_territories").value
    assert len(chosen) >= 3
    app.text_input(key="c_query").input("soutien à la parentalité").run()
    assert not app.exception
    headers = [s.value for s in app.subheader]
    assert all(t in headers for t in chosen)
    assert app.get("vega_lite_chart"), "no territory x theme heatmap"


@pytest.mark.slow
def test_compare_two_territories_only(app: AppTest) -> None:
    _open(app, "comparer")
    chosen = app.multiselect(key="c_territories").value[:2]
    app.multiselect(key="c_territories").set_value(chosen).run()
    app.text_input(key="c_query").input("tranquillité publique").run()
    headers = [s.value for s in app.subheader]
    assert [h for h in headers if h in app.multiselect(key="c_territories").options] == chosen


@pytest.mark.slow
def test_compare_says_nothing_found(app: AppTest) -> None:
    _open(app, "comparer")
    app.text_input(key="c_query").input("zxqwv kayak polaire").run()
    assert not app.exception
    chosen = app.multiselect(key="c_territories").value
    assert sum("Rien trouvé" in w.value for w in app.warning) == len(chosen)


@pytest.mark.slow
def test_compare_by_theme_and_by_partner(app: AppTest) -> None:
    _open(app, "comparer")
    app.radio(key="c_mode").set_value("un thème").run()
    app.selectbox(key="c_theme").set_value("health").run()
    assert not app.exception
    chosen = app.multiselect(key="c_territories").value
    assert all(t in [s.value for s in app.subheader] for t in chosen)
    assert _cards(app)

    app.radio(key="c_mode").set_value("un partenaire").run()
    partner = next(p for p in app.selectbox(key="c_partner").options if p.lower().startswith("caf"))
    app.selectbox(key="c_partner").set_value(partner).run()
    assert not app.exception
    facts = [c.value for c in app.caption if c.value.startswith("Partenaire")]
    assert facts and all(partner.split()[0] in f for f in facts)


@pytest.mark.slow
def test_similar_commitments_elsewhere(app: AppTest) -> None:
    _open(app, "comparer")
    app.radio(key="c_mode").set_value("un thème").run()
    app.selectbox(key="c_theme").set_value("early_childhood_parenting").run()
    buttons = [b for b in app.button if b.key and b.key.startswith("sim-") and b.key != "sim-close"]
    assert buttons
    buttons[0].click().run()
    assert not app.exception
    assert "Engagements similaires dans les autres territoires" in [s.value for s in app.subheader]
    assert any(c.value.startswith("Engagement de départ") for c in app.caption)
    app.button(key="sim-close").click().run()
    assert "Engagements similaires dans les autres territoires" not in [s.value for s in app.subheader]


# ------------------------------------------------------------------------------------------ Partenaires

@pytest.mark.slow
def test_partners_page_lists_partners_and_draws_the_network(app: AppTest) -> None:
    _open(app, "partenaires")
    table = app.dataframe[0].value
    assert {"partenaire", "type", "territoires", "où (engagements)"} <= set(table.columns)
    assert len(table) >= 20
    assert (table["territoires"] >= 2).any(), "no partner commits in two territories"
    spec = json.loads(app.get("vega_lite_chart")[0].proto.spec)
    assert len(spec["layer"]) >= 3  # links, nodes, names
    assert spec["layer"][1]["encoding"]["color"]["scale"]["domain"] == ["partenaire", "territoire", "thème"]
    with_themes = _node_count(app)

    kind = table["type"].iloc[0]
    app.multiselect(key="p_types").select(kind).run()
    assert set(app.dataframe[0].value["type"]) == {kind}
    of_one_type = _node_count(app)
    assert 0 < of_one_type < with_themes
    app.toggle(key="p_with_themes").set_value(False).run()
    assert _node_count(app) < of_one_type
    focus = app.selectbox(key="p_focus").options[1]
    app.selectbox(key="p_focus").set_value(focus).run()
    assert not app.exception
    assert 2 <= _node_count(app) < of_one_type


def _node_count(at: AppTest) -> int:
    caption = next(c.value for c in at.caption if "nœuds" in c.value)
    return int(re.match(r"(\d+) nœuds", caption).group(1))


# ------------------------------------------------------------------------------------------ SPARQL

@pytest.mark.slow
def test_sparql_page_runs_a_saved_query_with_a_parameter(app: AppTest) -> None:
    _open(app, "sparql")
    assert app.text_area(key="s_query").value.strip(), "editor not preloaded"
    titles = app.selectbox(key="s_example").options
    assert len(titles) >= 5
    app.button(key="s_run").click().run()
    assert not app.exception
    assert app.dataframe, "saved query gave no table"
    assert {b.proto.label for b in app.get("download_button")} >= {"Télécharger en CSV", "Télécharger en JSON"}

    partner_query = next(t for t in titles if "partner" in t.lower() and "commitment" in t.lower())
    app.selectbox(key="s_example").set_value(partner_query).run()
    param = next(t for t in app.text_input if t.key and t.key.startswith("s_param_"))
    param.input("caf").run()
    app.button(key="s_run").click().run()
    frame = app.dataframe[0].value
    assert len(frame) > 0
    assert all("caf" in name.lower() for name in frame["partnerName"])


@pytest.mark.slow
def test_sparql_page_shows_syntax_errors_plainly(app: AppTest) -> None:
    _open(app, "sparql")
    app.text_area(key="s_query").input("SELECT ?x WHERE { ?x").run()
    app.button(key="s_run").click().run()
    assert not app.exception
    assert app.error
    assert "Erreur dans la requête" in app.code[0].value


@pytest.mark.slow
def test_sparql_page_shows_a_timeout_plainly(app: AppTest) -> None:
    _open(app, "sparql")
    app.text_area(key="s_query").input("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }").run()
    app.button(key="s_run").click().run()
    assert not app.exception
    assert "Délai dépassé" in app.code[0].value
    # the app still answers afterwards
    app.text_area(key="s_query").input("ASK { ?s ?p ?o }").run()
    app.button(key="s_run").click().run()
    assert "vrai" in app.success[0].value


# ------------------------------------------------------------------------------------------ Contrats

@pytest.mark.slow
def test_contracts_page_outline_neighbourhoods_signatories_and_build(app: AppTest, built) -> None:
    _open(app, "contrats")
    assert {m.label for m in app.metric} >= {"Documents", "Triplets", "SHACL", "Construit le"}
    assert next(m.value for m in app.metric if m.label == "SHACL") == "conforme"
    ids = sorted(p.stem for p in (built.data_dir / "current" / "extractions").glob("*.json"))
    assert len(app.selectbox(key="k_doc").options) == len(ids) == 4
    for doc_id in ids:
        app.selectbox(key="k_doc").set_value(doc_id).run()
        assert not app.exception
        assert app.tabs and len(app.tabs) == 5
        extraction = json.loads((built.data_dir / "current" / "extractions" / f"{doc_id}.json").read_text("utf-8"))
        shown = any("Avertissements pour ce document" in w.value for w in app.warning)
        assert shown == bool(extraction["document"]["warnings"]), doc_id
    app.selectbox(key="k_doc").set_value(next(d for d in ids if d.startswith("maubeuge"))).run()
    frames = [d.value for d in app.dataframe]
    places = next(f for f in frames if "quartier" in f.columns)
    assert {"communes", "code QPV"} <= set(places.columns)
    assert places["code QPV"].str.match(r"QN\d{5}[A-Z]").any()
    assert (places["communes"] != "").all()
    signatories = next(f for f in frames if "signataire" in f.columns)
    assert len(signatories) >= 5
    outline = [e for e in app.expander if e.label != "Construction des données"]
    assert outline, "no orientation in the outline"
    assert any(m.value.startswith("- ") for m in app.markdown), "no objective under the orientations"


# ------------------------------------------------------------------------------------------ no build

def test_no_build_says_which_command_on_every_page(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CONTRATS_DATA", str(tmp_path / "empty"))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    for page in ("recherche", "comparer", "partenaires", "sparql", "contrats", "document"):
        at.switch_page(f"app_pages/{page}.py").run()
        assert not at.exception, (page, at.exception)
        assert any("contrats build" in w.value for w in at.warning), page


# ------------------------------------------------------------------------------------------ text shown safely (fast)

def test_document_text_is_escaped_before_markdown() -> None:
    from kg.views.textview import escape_markdown

    shown = escape_markdown("<img src=x onerror=alert(1)> [lien](javascript:alert(1)) **gras** $x$")
    # every character Markdown or HTML would act on is preceded by a backslash
    assert not re.search(r"(?<!\\)[<>\[\]()*$]", shown), shown


def test_highlight_marks_query_words_not_grammar_words() -> None:
    from kg.views.textview import highlight

    shown = highlight("La CAF soutient la parentalité pour les familles <b>", "soutien de la CAF pour la parentalité")
    assert ":orange-background[CAF]" in shown
    assert ":orange-background[soutient]" in shown  # same stem
    assert ":orange-background[parentalité]" in shown
    assert "pour" in shown and ":orange-background[pour]" not in shown
    assert "\\<b\\>" in shown


def test_source_context_marks_the_line_asked_for(tmp_path: Path) -> None:
    from kg.views.textview import source_context

    source = tmp_path / "contrat.txt"
    source.write_text("\n".join(f"ligne {n}" for n in range(1, 101)), encoding="utf-8")
    shown = source_context(source, 50).splitlines()
    marked = [line for line in shown if line.startswith("►")]
    assert marked == ["►    50 │ ligne 50"]
    assert shown[0].endswith("ligne 42")
