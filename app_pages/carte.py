"""Carte: the chosen territories' neighbourhoods (QPV) on a map, coloured by their commitments on a
theme; a click opens a neighbourhood's commitments and passages (app_pages/map_view.py)."""

from __future__ import annotations

import streamlit as st

from app_pages.common import facets, theme_label, themes
from app_pages.map_view import neighbourhood_map

st.title("Carte des quartiers")
all_territories = facets()["territory"]
chosen = st.multiselect("Territoires", all_territories, default=all_territories, key="m_territories",
                        placeholder="Choisir…")
theme = st.selectbox("Thème", [None] + [t["id"] for t in themes()], key="m_theme",
                     format_func=lambda t: "tous les thèmes" if t is None else theme_label(t))
if not chosen:
    st.info("Choisissez au moins un territoire.")
else:
    neighbourhood_map(chosen, theme, key="m")
