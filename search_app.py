"""contrats-kg: the researchers' app. Start it with `contrats app` (or `streamlit run search_app.py`).

Reads the built data from $CONTRATS_DATA (default data/). Pages live in app_pages/ (not pages/: that name would turn on Streamlit's older page discovery).
"""

from __future__ import annotations

import streamlit as st

st.set_page_config(page_title="contrats-kg", page_icon=":material/location_city:", layout="wide")

SEARCH = st.Page("app_pages/recherche.py", title="Recherche", icon=":material/search:", url_path="recherche")


def _home() -> None:
    # Streamlit serves its default page at "/" only, never at its url_path: so the default is
    # this hidden step and every real page, search included, has an address of its own.
    st.switch_page(SEARCH)


PAGES = [
    st.Page(_home, title="Accueil", url_path="accueil", default=True, visibility="hidden"),
    SEARCH,
    st.Page("app_pages/comparer.py", title="Comparer", icon=":material/compare:", url_path="comparer"),
    st.Page("app_pages/carte.py", title="Carte", icon=":material/map:", url_path="carte"),
    st.Page("app_pages/partenaires.py", title="Partenaires et graphe", icon=":material/hub:", url_path="partenaires"),
    st.Page("app_pages/sparql.py", title="SPARQL", icon=":material/terminal:", url_path="sparql"),
    st.Page("app_pages/contrats.py", title="Contrats", icon=":material/description:", url_path="contrats"),
    st.Page("app_pages/document.py", title="Document", icon=":material/menu_book:", url_path="document"),
]

page = st.navigation(PAGES)
if page.url_path in ("recherche", "comparer", "document"):
    from app_pages.review import confidence_box, reviewer_box

    reviewer_box()
    confidence_box()
page.run()
