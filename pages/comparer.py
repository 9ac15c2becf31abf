"""Comparer: territories side by side on a question, a theme or a partner; the theme heatmap."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from kg import compare as cmp
from pages.common import result_card, searcher, theme_label, themes

st.title("Comparer les territoires")
s = searcher()
records = s.index.records
all_territories = cmp.territories(records)
chosen = st.multiselect("Territoires", all_territories, default=all_territories, key="c_territories")
mode = st.radio("Comparer sur", ["une question", "un thème", "un partenaire"], horizontal=True, key="c_mode")

columns = []
query = ""
if mode == "une question":
    query = st.text_input("Question", key="c_query", placeholder="ex. : soutien à la parentalité")
    if query.strip():
        columns = cmp.compare_query(s, query, chosen, k=3)
elif mode == "un thème":
    theme = st.selectbox("Thème", [t["id"] for t in themes()], format_func=theme_label, key="c_theme")
    matrix = cmp.theme_matrix(records, [theme], among=chosen)
    columns = [cmp.Column(t, tuple(cmp.SearchResult(r, 0.0) for r in matrix.top.get((t, theme), [])),
                          "" if matrix.counts.get((t, theme)) else "rien trouvé")
               for t in matrix.territories]
else:
    partner = st.selectbox("Partenaire", sorted({r.partner for r in records if r.partner}), key="c_partner")
    if partner:
        columns = cmp.partner_commitments(records, partner, chosen)

if columns:
    cols = st.columns(len(columns))
    for col, column in zip(cols, columns, strict=True):
        with col:
            st.subheader(column.territory)
            if not column.found:
                st.warning("Rien trouvé pour ce territoire.")
            for n, result in enumerate(column.results):
                result_card(result, query, key=f"{column.territory}-{n}")
                if result.record.record_type == "commitment" and st.button(
                        "Engagements similaires ailleurs", key=f"sim-{column.territory}-{n}"):
                    st.session_state["similar_to"] = result.record.id

if st.session_state.get("similar_to"):
    source, sim_columns = cmp.similar_commitments(s, st.session_state["similar_to"], k=2, among=chosen)
    st.divider()
    st.subheader("Engagements similaires dans les autres territoires")
    st.caption(f"Engagement de départ ({source.territory}) : {source.text[:300]}")
    for column in sim_columns:
        st.markdown(f"**{column.territory}**")
        if not column.found:
            st.caption("rien trouvé")
        for n, result in enumerate(column.results):
            result_card(result, key=f"sim-{column.territory}-{n}")

st.divider()
st.subheader("Engagements par territoire et par thème")
theme_ids = [t["id"] for t in themes()]
matrix = cmp.theme_matrix(records, theme_ids, among=chosen)
cells = pd.DataFrame([{"territoire": t, "thème": theme_label(th), "engagements": matrix.counts.get((t, th), 0)}
                      for t in matrix.territories for th in theme_ids])
heat = alt.Chart(cells).mark_rect().encode(
    x=alt.X("thème:N", sort=None, title=None), y=alt.Y("territoire:N", title=None),
    color=alt.Color("engagements:Q", scale=alt.Scale(scheme="oranges")),
    tooltip=["territoire", "thème", "engagements"])
labels = alt.Chart(cells).mark_text().encode(x=alt.X("thème:N", sort=None), y="territoire:N",
                                             text="engagements:Q")
st.altair_chart(heat + labels, use_container_width=True)
st.dataframe(cells.pivot(index="territoire", columns="thème", values="engagements"), use_container_width=True)
