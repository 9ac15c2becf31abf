"""The neighbourhoods' map, drawn offline: no tile server, no base map, nothing fetched at runtime.

Vega-Lite (Altair, bundled with Streamlit's frontend) draws the QPV contours of the build's graph
(kg.views.gis) in a Mercator projection fitted to them, coloured by a count, with the count written on
each, or by the share of their facts a researcher has reviewed (kg.review.shares); a click on a neighbourhood (or the list under the map) opens its commitments and the
passages they were read from. Shared by the map page (app_pages/carte.py) and the comparison page.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from app_pages.common import escape_markdown, require_build, store, theme_label

SELECTION = "quartier"


@st.cache_data(show_spinner="Chargement de la carte…", max_entries=32)
def _features(build: str, territories: tuple[str, ...], theme: str | None) -> list[dict]:
    from shapely.geometry import mapping

    from kg.views.gis import neighbourhood_features

    features = []
    for f in neighbourhood_features(store(), territories, theme=theme, breakdown=False):
        point = f.geometry.representative_point()
        features.append({"type": "Feature", "geometry": mapping(f.geometry), "uri": f.uri, "code": f.code or "",
                         "name": f.name, "territory": f.territory_name, "commitments": f.commitments,
                         "specific": f.specific, "successors": " ".join(f.drawn_through),
                         "lon": point.x, "lat": point.y})
    return features


@st.cache_data(show_spinner=False, max_entries=64)
def _commitments(build: str, neighbourhood: str, theme: str | None) -> list[dict]:
    from kg.views.gis import neighbourhood_commitments

    return [{k: (None if v is None else v if isinstance(v, bool | int) else str(v)) for k, v in row.items()}
            for row in neighbourhood_commitments(store(), neighbourhood, theme)]


REVIEW_TITLE = "part des faits relus"


def _chart(features: list[dict], title: str, by_review: bool = False) -> alt.LayerChart:
    values = [{"type": "Feature", "geometry": f["geometry"],
               "properties": {k: v for k, v in f.items() if k not in ("geometry", "type")}} for f in features]
    pick = alt.selection_point(name=SELECTION, fields=["code"], on="click", clear="dblclick")
    base = alt.Chart(alt.Data(values=values)).transform_calculate(
        code="datum.properties.code", name="datum.properties.name", territory="datum.properties.territory",
        commitments="datum.properties.commitments", specific="datum.properties.specific",
        reviewed="datum.properties.reviewed", facts="datum.properties.facts", share="datum.properties.share")
    if by_review:
        # A fixed 0-100 % scale: the same colour means the same share on every map.
        color = alt.condition("datum.facts > 0", alt.Color(
            "share:Q", scale=alt.Scale(scheme="greens", domain=[0, 1]), title=REVIEW_TITLE,
            legend=alt.Legend(format="%")), alt.value("#d9d9d9"))
        extra = [alt.Tooltip("share:Q", title=REVIEW_TITLE, format=".0%"),
                 alt.Tooltip("reviewed:Q", title="faits relus"), alt.Tooltip("facts:Q", title="faits")]
    else:
        color = alt.Color("commitments:Q", scale=alt.Scale(scheme="oranges", zero=True), title=title)
        extra = [alt.Tooltip("commitments:Q", title=title), alt.Tooltip("specific:Q", title="dont propres au quartier")]
    shapes = base.mark_geoshape(stroke="#444", strokeWidth=0.6).encode(
        color=color, opacity=alt.condition(pick, alt.value(0.95), alt.value(0.45)),
        tooltip=[alt.Tooltip("name:N", title="quartier"), alt.Tooltip("code:N", title="code"),
                 alt.Tooltip("territory:N", title="territoire"), *extra],
    ).add_params(pick)
    labels = alt.Chart(pd.DataFrame([{"lon": f["lon"], "lat": f["lat"],
                                      "n": (f"{f['reviewed']}/{f['facts']}" if by_review else str(f["commitments"]))}
                                     for f in features])
                       ).mark_text(fontSize=11, fontWeight="bold", color="#111").encode(
        longitude="lon:Q", latitude="lat:Q", text="n:N")
    return (shapes + labels).project(type="mercator").properties(height=460)


def _with_review(features: list[dict]) -> list[dict]:
    """The features with their facts' review counts (the reviews since the build included)."""
    from app_pages.review import fact_status, facts
    from kg.review.shares import neighbourhood_review_shares

    shares = neighbourhood_review_shares(facts().facts.values(), fact_status)
    out = []
    for f in features:
        share = shares.get(f["code"])
        out.append({**f, "facts": share.facts if share else 0, "reviewed": share.reviewed if share else 0,
                    "share": share.share if share else None,
                    "statuses": dict(share.statuses) if share else {}})
    return out


def neighbourhood_map(territories: list[str], theme: str | None, key: str) -> None:
    """The map of `territories`' neighbourhoods coloured by their commitments (on `theme`), the
    counts as a table, and the chosen neighbourhood's commitments with their passages."""
    build = str(require_build())
    features = _features(build, tuple(territories), theme)
    title = f"engagements · {theme_label(theme)}" if theme else "engagements"
    if not features:
        st.info("Aucun quartier dessinable pour ces territoires (aucun code QPV relié, ou pas de contours "
                "dans reference/).")
        return
    colour = st.radio("Couleur", ["engagements", REVIEW_TITLE], horizontal=True, key=f"{key}-colour",
                      help="Part relue : parmi les faits du quartier (sa mention dans chaque contrat et les "
                           "engagements qui le nomment), ceux qu'un chercheur a confirmés, corrigés ou rejetés.")
    by_review = colour == REVIEW_TITLE
    features = _with_review(features)
    event = st.altair_chart(_chart(features, title, by_review), on_select="rerun", selection_mode=SELECTION,
                            key=f"{key}-map", width="stretch")
    if by_review:
        st.caption("Contours officiels des QPV 2024 (ANCT), simplifiés. Couleur : part des faits du quartier "
                   "relus (confirmés, corrigés, ajoutés ou rejetés), de 0 (vert pâle) à 100 % (vert foncé), "
                   "relectures en attente de construction comprises ; chiffre : faits relus / faits. Les "
                   "engagements pour tout le contrat ne sont pas comptés. Gris : aucun fait propre au quartier.")
    else:
        st.caption("Contours officiels des QPV 2024 (ANCT), simplifiés ; un quartier de 2015 est dessiné par "
                   "ses successeurs de 2024. Chiffre : engagements qui valent pour le quartier (les siens et "
                   "ceux du contrat qui ne nomment aucun quartier). Cliquez un quartier pour lire ses engagements.")
    table = pd.DataFrame([{"territoire": f["territory"], "quartier": f["name"], "code": f["code"],
                           title: f["commitments"], "propres au quartier": f["specific"],
                           "faits relus": f"{f['reviewed']}/{f['facts']}",
                           "contour": f"successeurs {f['successors']}" if f["successors"] else "QPV 2024"}
                          for f in features])
    st.table(table.set_index("code"))
    clicked = [p.get("code") for p in (event.selection.get(SELECTION) or [])] if event and event.selection else []
    options = [f["code"] for f in features]
    by_code = {f["code"]: f for f in features}
    if clicked and clicked[0] in by_code:
        st.session_state[f"{key}-pick"] = clicked[0]
    code = st.selectbox("Quartier", options, index=None, key=f"{key}-pick", placeholder="Choisir ou cliquer sur la carte…",
                        format_func=lambda c: f"{by_code[c]['name']} ({c}, {by_code[c]['territory']})")
    if code:
        _neighbourhood_details(build, by_code[code], theme)


def _neighbourhood_details(build: str, feature: dict, theme: str | None) -> None:
    rows = _commitments(build, feature["uri"], theme)
    st.markdown(f"#### {escape_markdown(feature['name'])} · {len(rows)} engagement(s)"
                + (f" sur {escape_markdown(theme_label(theme))}" if theme else ""))
    if feature["successors"]:
        st.caption(f"Quartier de 2015 dessiné par son ou ses successeurs de 2024 : {feature['successors']}.")
    for n, row in enumerate(rows[:25]):
        with st.container(border=True):
            where = f"p. {row['page']}" if row.get("page") else (f"l. {row['line']}" if row.get("line") else "")
            scope = "propre au quartier" if row.get("specific") else "tout le contrat"
            st.markdown(f"**{escape_markdown(row.get('partner') or '?')}** · {escape_markdown(row.get('document') or '')}"
                        f" {where} · {row.get('generation') or ''} · {scope}")
            st.markdown(escape_markdown(row["text"]))
            if row.get("passage") and row["passage"] != row["text"]:
                st.caption("Passage : " + escape_markdown(row["passage"][:600]))
            if row.get("document"):
                params = {"doc": row["document"]}
                if row.get("page"):
                    params["page"] = str(row["page"])
                if row.get("line"):
                    params["line"] = str(row["line"])
                st.page_link("app_pages/document.py", label=f"Ouvrir le passage ({where or 'document'})",
                             icon=":material/menu_book:", query_params=params)
        if n == 24 and len(rows) > 25:
            st.caption(f"… et {len(rows) - 25} autres.")
