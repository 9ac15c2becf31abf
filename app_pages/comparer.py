"""Comparer: territories side by side on a question, a theme or a partner; the theme heatmap.

Every territory chosen gets its column, and an empty column says "rien trouvé" rather than
disappearing (kg.views.compare).
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from app_pages.common import (
    RECORD_TYPES,
    documents,
    escape_markdown,
    extractions,
    facets,
    result_card,
    searcher,
    store,
    theme_label,
    themes,
    without_repeats,
)
from app_pages.map_view import neighbourhood_map
from app_pages.review import fact_status, shown
from app_pages.review import facts as review_facts
from kg.views import compare as cmp

st.title("Comparer les territoires")
s = searcher()
records = s.index.records
all_territories = facets()["territory"]
chosen = st.multiselect("Territoires (autant que vous voulez)", all_territories, default=all_territories,
                        key="c_territories", placeholder="Choisir…")
mode = st.radio("Comparer sur", ["une question", "un thème", "un partenaire"], horizontal=True, key="c_mode")

columns: list[cmp.Column] = []
query = ""
if not chosen:
    st.info("Choisissez au moins un territoire.")
elif mode == "une question":
    c1, c2 = st.columns([3, 1])
    query = c1.text_input("Question", key="c_query", placeholder="ex. : soutien à la parentalité")
    kinds = c2.multiselect("Éléments", list(RECORD_TYPES), format_func=lambda t: RECORD_TYPES[t] + "s",
                           key="c_kinds", placeholder="Choisir…", help="vide : tous")
    if query.strip():
        columns = [cmp.Column(c.territory, tuple(without_repeats(list(c.results))[:3]), c.note)
                   for c in cmp.compare_query(s, query, chosen, k=5, record_types=kinds)]
elif mode == "un thème":
    theme = st.selectbox("Thème", [t["id"] for t in themes()], format_func=theme_label, key="c_theme")
    matrix = cmp.theme_matrix(records, [theme], among=chosen)
    columns = [cmp.Column(t, tuple(cmp.SearchResult(r, 0.0) for r in matrix.top.get((t, theme), [])),
                          "" if matrix.counts.get((t, theme)) else "rien trouvé")
               for t in matrix.territories]
    st.caption("Trois engagements au plus par territoire ; le nombre total est dans la carte ci-dessous.")
else:
    partner = st.selectbox("Partenaire", facets()["partner"], key="c_partner")
    if partner:
        columns = cmp.partner_commitments(records, partner, chosen)

# The map of the chosen territories' neighbourhoods on the theme, beside the columns (issue 16).
columns_area, map_area = st.container(), None
if chosen and mode == "un thème":
    columns_area, map_area = st.columns([3, 2])
    with map_area:
        st.subheader("Carte des quartiers")
        neighbourhood_map(chosen, theme, key="c")


def _similar_button(result, key: str) -> None:
    if result.record.record_type == "commitment" and st.button(
            "Engagements similaires ailleurs", key=key, icon=":material/compare_arrows:"):
        st.session_state["similar_to"] = result.record.id


if columns:
    # Past four territories the columns wrap onto further rows, so each stays readable.
    per_row = 4
    for start in range(0, len(columns), per_row):
        row = columns[start:start + per_row]
        for col, column in zip(columns_area.columns(per_row if len(columns) > per_row else len(row)), row,
                               strict=False):
            with col:
                st.subheader(escape_markdown(column.territory))
                if not column.found:
                    st.warning("Rien trouvé pour ce territoire.")
                for n, result in enumerate(shown(list(column.results))):
                    result_card(result, query, key=f"{column.territory}-{n}")
                    _similar_button(result, f"sim-{column.territory}-{n}")

if st.session_state.get("similar_to"):
    try:
        source, sim_columns = cmp.similar_commitments(s, st.session_state["similar_to"], k=2, among=chosen)
    except KeyError:
        st.session_state.pop("similar_to")
        st.rerun()
    st.divider()
    st.subheader("Engagements similaires dans les autres territoires")
    st.caption(f"Engagement de départ ({escape_markdown(source.territory or '?')}, "
               f"{escape_markdown(source.partner or '?')}) : {escape_markdown(source.text[:300])}")
    if st.button("Fermer", key="sim-close"):
        st.session_state.pop("similar_to")
        st.rerun()
    if not sim_columns:
        st.info("Aucun autre territoire choisi.")
    for col, column in zip(st.columns(max(1, len(sim_columns))), sim_columns, strict=False):
        with col:
            st.markdown(f"**{escape_markdown(column.territory)}**")
            if not column.found:
                st.warning("Rien trouvé pour ce territoire.")
            for n, result in enumerate(column.results):
                result_card(result, key=f"simr-{column.territory}-{n}")

st.divider()
st.subheader("Engagements par territoire et par thème")
theme_ids = [t["id"] for t in themes()]
# Read from the comparison counts the build made (kg.graph.cube): a few hundred observations, not every record.
short_names = {d.get("territory"): d.get("territory_short") or d.get("territory") for d in documents().values()}
counts = cmp.theme_counts(store(), short_names)
cells = pd.DataFrame([{"territoire": t, "thème": theme_label(th), "engagements": counts.get((t, th), 0)}
                      for t in chosen for th in theme_ids],
                     columns=["territoire", "thème", "engagements"])
if cells.empty:
    st.info("Choisissez des territoires pour voir la carte.")
else:
    heat = alt.Chart(cells).mark_rect().encode(
        x=alt.X("thème:N", sort=None, title=None, axis=alt.Axis(labelAngle=-35, labelLimit=240, labelOverlap=False)),
        y=alt.Y("territoire:N", title=None),
        color=alt.Color("engagements:Q", scale=alt.Scale(scheme="oranges"), title="engagements"),
        tooltip=["territoire", "thème", "engagements"])
    labels = alt.Chart(cells).mark_text().encode(x=alt.X("thème:N", sort=None), y="territoire:N",
                                                 text="engagements:Q")
    st.altair_chart(heat + labels, width="stretch")
    st.dataframe(cells.pivot(index="territoire", columns="thème", values="engagements")[
        [theme_label(t) for t in theme_ids]], width="stretch")

st.subheader("Relecture des faits par territoire")
STATUSES = {"unreviewed": "non relus", "confirmed": "confirmés", "corrected": "corrigés", "added": "ajoutés",
            "rejected": "rejetés"}
FACTS_FR = {"commitment": "engagements", "indicator": "indicateurs", "signatory": "signataires",
            "neighbourhood": "quartiers"}
territory_of = {doc: x.territory.short_name or x.territory.name for doc, x in extractions().items()}
review_counts = pd.DataFrame(
    [{"territoire": territory_of.get(f.document), "fait": FACTS_FR[f.record],
      "statut": STATUSES.get(status, status)}
     for f in review_facts().facts.values() if territory_of.get(f.document) in chosen
     for status in (fact_status(f.id),)],
    columns=["territoire", "fait", "statut"])
if not review_counts.empty:
    st.caption("Engagements, indicateurs, signataires et quartiers de chaque territoire, par statut de relecture "
               "(les relectures faites depuis la dernière construction comprises ; « rejetés » : encore dans "
               "cette construction, hors du graphe à la prochaine).")
    table = review_counts.value_counts().unstack(fill_value=0)
    st.dataframe(table.reindex(columns=[v for v in STATUSES.values() if v in set(review_counts["statut"])],
                               fill_value=0), width="stretch")
