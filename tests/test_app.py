"""The Streamlit app on real built data, page by page, with real interactions (AppTest)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "search_app.py")
pytestmark = pytest.mark.slow


@pytest.fixture
def app(built, monkeypatch) -> AppTest:
    monkeypatch.setenv("CONTRATS_DATA", str(built.data_dir))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def _texts(at: AppTest) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption])


def test_search_page_finds_and_filters(app: AppTest) -> None:
    app.text_input(key="query").input("accès aux soins médecins").run()
    assert not app.exception
    assert "résultat" in " ".join(s.value for s in app.subheader)
    text = _texts(app)
    assert ":orange-background[" in text  # query terms highlighted
    territories = app.multiselect(key="f_territory").options
    assert len(territories) >= 3
    app.multiselect(key="f_territory").select(territories[0]).run()
    assert not app.exception
    cards = [m.value for m in app.markdown if m.value.startswith("**")]
    assert cards and all(c.startswith(f"**{territories[0]}") for c in cards)


def test_english_query_is_translated(app: AppTest) -> None:
    app.text_input(key="query").input("school dropout prevention").run()
    assert not app.exception
    assert any("cherchée comme" in c.value for c in app.caption)


def test_document_text_is_never_raw_html(app: AppTest) -> None:
    app.text_input(key="query").input("<script>alert(1)</script> logement").run()
    assert not app.exception
    for m in app.markdown:
        assert not m.allow_html if hasattr(m, "allow_html") else True


def test_compare_page_has_a_column_per_territory(app: AppTest) -> None:
    app.switch_page("pages/comparer.py").run()
    assert not app.exception
    app.text_input(key="c_query").input("soutien à la parentalité").run()
    assert not app.exception
    chosen = app.multiselect(key="c_territories").value
    headers = [s.value for s in app.subheader]
    assert all(t in headers for t in chosen)


def test_compare_by_theme_says_nothing_found(app: AppTest) -> None:
    app.switch_page("pages/comparer.py").run()
    app.radio(key="c_mode").set_value("un thème").run()
    assert not app.exception
    assert app.subheader  # one column per territory, warnings where empty


def test_sparql_page_runs_a_saved_query(app: AppTest) -> None:
    app.switch_page("pages/sparql.py").run()
    assert not app.exception
    app.button(key="s_run").click().run()
    assert not app.exception
    assert app.dataframe, "saved query gave no table"


def test_sparql_page_shows_syntax_errors_plainly(app: AppTest) -> None:
    app.switch_page("pages/sparql.py").run()
    app.text_area(key="s_query").input("SELECT ?x WHERE { ?x").run()
    app.button(key="s_run").click().run()
    assert not app.exception
    assert app.error


def test_partners_page(app: AppTest) -> None:
    app.switch_page("pages/partenaires.py").run()
    assert not app.exception
    assert app.dataframe


def test_contracts_page(app: AppTest) -> None:
    app.switch_page("pages/contrats.py").run()
    assert not app.exception
    assert any(m.label == "SHACL" for m in app.metric)


def test_document_page_opens_at_a_line(app: AppTest) -> None:
    app.switch_page("pages/document.py").run()
    assert not app.exception
    assert app.code


def test_no_build_says_which_command(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CONTRATS_DATA", str(tmp_path / "empty"))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    assert any("contrats build" in w.value for w in at.warning)
    os.environ.pop("CONTRATS_DATA", None)
