"""contrats-kg: the researchers' app. Start it with `contrats app` (or `streamlit run search_app.py`).

Reads the built data from $CONTRATS_DATA (default data/). Pages live in pages/.
"""

from __future__ import annotations

import streamlit as st

st.set_page_config(page_title="contrats-kg", page_icon="🏘️", layout="wide")

PAGES = [
    st.Page("pages/recherche.py", title="Recherche", icon="🔎", url_path="recherche", default=True),
    st.Page("pages/comparer.py", title="Comparer", icon="⚖️", url_path="comparer"),
    st.Page("pages/partenaires.py", title="Partenaires et graphe", icon="🕸️", url_path="partenaires"),
    st.Page("pages/sparql.py", title="SPARQL", icon="🧮", url_path="sparql"),
    st.Page("pages/contrats.py", title="Contrats", icon="📄", url_path="contrats"),
    st.Page("pages/document.py", title="Document", icon="📖", url_path="document"),
]

st.navigation(PAGES).run()
