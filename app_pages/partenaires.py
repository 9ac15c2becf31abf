"""Partenaires et graphe: who commits where, and the partner – territory – theme network.

The networks come from kg.views.network (read from the graph store through SPARQL); the drawing is an
Altair chart laid out with networkx, so nothing is fetched at run time. Clicking a node lists its
connections under the chart.
"""

from __future__ import annotations

import altair as alt
import networkx as nx
import pandas as pd
import streamlit as st

from app_pages.common import escape_markdown, partner_type_label, require_build, store

KIND_LABELS = {"partner": "partenaire", "territory": "territoire", "theme": "thème"}
KIND_COLOURS = {"partenaire": "#4c78a8", "territoire": "#e45756", "thème": "#54a24b"}

st.title("Partenaires et graphe")
build = require_build()


@st.cache_resource(show_spinner="Lecture des réseaux dans le graphe…")
def _networks(build_dir: str):
    from kg.views.network import load_networks

    return load_networks(store())


nets = _networks(str(build))
pt: nx.Graph = nets.partner_territory
pth: nx.Graph = nets.partner_theme


def partner_rows() -> list[dict]:
    """The table's rows: kg.views.network's partner summaries, labelled in French."""
    return [{
        "partenaire": p.name, "type": partner_type_label(p.type), "territoires": len(p.places),
        "où (engagements)": "; ".join(f"{t} ({n}" + (", signataire" if signed else "") + ")"
                                      for t, n, signed in p.places),
        "engagements": p.commitments, "thèmes principaux": ", ".join(p.themes[:4]),
        "_id": p.id, "_territories": {t for t, _, _ in p.places},
    } for p in nets.partners()]


rows = partner_rows()
territory_names = sorted({pt.nodes[n]["label"] for n, d in pt.nodes(data=True) if d["kind"] == "territory"})
c1, c2, c3 = st.columns(3)
types = c1.multiselect("Type de partenaire", sorted({r["type"] for r in rows}), key="p_types", placeholder="Choisir…")
where = c2.multiselect("Territoire", territory_names, key="p_territories", placeholder="Choisir…")
name = c3.text_input("Nom contient", key="p_name")
shown = [r for r in rows
         if (not types or r["type"] in types)
         and (not where or r["_territories"] & set(where))
         and (not name.strip() or name.strip().lower() in r["partenaire"].lower())]
st.subheader(f"{len(shown)} partenaire(s)")
st.dataframe(pd.DataFrame(shown, columns=list(rows[0]) if rows else []).drop(columns=["_id", "_territories"], errors="ignore"),
             hide_index=True, width="stretch")
st.caption("Un partenaire est présent dans un territoire quand il y prend un engagement ou signe un contrat.")

st.divider()
st.subheader("Réseau partenaires – territoires – thèmes")
c1, c2, c3 = st.columns(3)
with_themes = c1.toggle("Afficher les thèmes", value=True, key="p_with_themes")
min_commitments = c2.slider("Engagements minimum par lien", 0, 10, 1, key="p_min",
                            help="0 garde aussi la simple signature d'un contrat.")
focus = c3.selectbox("Centrer sur un partenaire", ["(tous)"] + [r["partenaire"] for r in shown], key="p_focus")


def network(rows_shown: list[dict]) -> nx.Graph:
    """The drawn graph: chosen partners with their territory links and, optionally, theme links."""
    keep = {r["_id"] for r in rows_shown if focus == "(tous)" or r["partenaire"] == focus}
    g = nx.Graph()
    sources = [(pt, "présent dans")] + ([(pth, "s'engage sur")] if with_themes else [])
    for source, relation in sources:
        for a, b, e in source.edges(data=True):
            partner, other = (a, b) if source.nodes[a]["kind"] == "partner" else (b, a)
            if partner not in keep or e["commitments"] < min_commitments:
                continue
            if where and source.nodes[other]["kind"] == "territory" and source.nodes[other]["label"] not in where:
                continue
            for n in (partner, other):
                d = source.nodes[n]
                g.add_node(n, kind=KIND_LABELS[d["kind"]], label=d["label"],  # themes carry their French label from the graph
                           type=partner_type_label(d.get("type")) if d["kind"] == "partner" else "")
            g.add_edge(partner, other, relation=relation, commitments=e["commitments"],
                       signed=bool(e.get("signed")))
    return g


g = network(shown)
if g.number_of_nodes() == 0:
    st.info("Aucun lien avec ces filtres.")
    st.stop()


@st.cache_data(show_spinner=False)
def _layout(nodes: tuple[tuple[str, str], ...], edges: tuple[tuple[str, str], ...]) -> dict[str, tuple[float, float]]:
    """Territories on a column at the left, themes on a column at the right, partners laid out
    between them by a spring model, so a partner sits near what it is linked to."""
    h = nx.Graph()
    h.add_nodes_from(n for n, _ in nodes)
    h.add_edges_from(edges)
    anchors: dict[str, tuple[float, float]] = {}
    for kind, x in (("territoire", -1.0), ("thème", 1.0)):
        column = sorted(n for n, k in nodes if k == kind)
        for i, n in enumerate(column):
            anchors[n] = (x, 1.0 - 2.0 * (i + 0.5) / len(column))
    if len(anchors) == len(nodes):
        return anchors
    if not anchors:
        positions = nx.spring_layout(h, seed=7)
    else:
        positions = nx.spring_layout(h, pos=anchors, fixed=list(anchors), seed=7, k=0.45, iterations=150)
    return {n: (float(x), float(y)) for n, (x, y) in positions.items()}


pos = _layout(tuple(sorted((n, d["kind"]) for n, d in g.nodes(data=True))), tuple(sorted(g.edges)))
strength = dict(g.degree(weight="commitments"))
nodes = pd.DataFrame([{"id": n, "nom": d["label"], "genre": d["kind"], "type": d["type"],
                       "engagements": strength[n], "liens": g.degree(n), "x": pos[n][0], "y": pos[n][1]}
                      for n, d in g.nodes(data=True)])
edges = pd.DataFrame([{"de": g.nodes[a]["label"], "vers": g.nodes[b]["label"], "relation": d["relation"],
                       "engagements": d["commitments"], "signataire": "oui" if d["signed"] else "",
                       "x": pos[a][0], "y": pos[a][1], "x2": pos[b][0], "y2": pos[b][1]}
                      for a, b, d in g.edges(data=True)])
# Names are written for territories, themes and the busiest partners only, so the picture stays legible.
busiest = set(nodes[nodes["genre"] == "partenaire"].nlargest(12, "engagements")["id"])
nodes["étiquette"] = [row.nom if row.genre != "partenaire" or row.id in busiest or focus != "(tous)" else ""
                      for row in nodes.itertuples()]

clicked = alt.selection_point(fields=["id"], name="noeud", on="click", empty=False)
axis = alt.Axis(title=None, labels=False, ticks=False, domain=False, grid=False)
edge_layer = alt.Chart(edges).mark_rule(opacity=0.45).encode(
    x=alt.X("x:Q", axis=axis, scale=alt.Scale(domain=[-2.3, 2.1], nice=False)),
    y=alt.Y("y:Q", axis=axis, scale=alt.Scale(domain=[-1.1, 1.1], nice=False)), x2="x2:Q", y2="y2:Q",
    strokeWidth=alt.StrokeWidth("engagements:Q", scale=alt.Scale(range=[0.5, 5]), legend=None),
    color=alt.Color("relation:N", scale=alt.Scale(domain=["présent dans", "s'engage sur"], range=["#e4a3a2", "#a8cfa0"]),
                    title="lien"),
    tooltip=["de", "vers", "relation", "engagements", "signataire"])
node_layer = alt.Chart(nodes).mark_circle(stroke="white", strokeWidth=1).encode(
    x="x:Q", y="y:Q",
    size=alt.Size("engagements:Q", scale=alt.Scale(range=[40, 900]), legend=None),
    color=alt.Color("genre:N", scale=alt.Scale(domain=list(KIND_COLOURS), range=list(KIND_COLOURS.values())),
                    title="nœud"),
    opacity=alt.condition(clicked, alt.value(1.0), alt.value(0.85)),
    tooltip=["nom", "genre", "type", "engagements", "liens"]).add_params(clicked)


def _names(kind: str, **placement) -> alt.Chart:
    return (alt.Chart(nodes).transform_filter(alt.datum.genre == kind)
            .mark_text(fontSize=11, **placement).encode(x="x:Q", y="y:Q", text="étiquette:N"))


text_layers = [_names("partenaire", dy=-12), _names("territoire", align="right", dx=-14),
               _names("thème", align="left", dx=12)]
chart = (alt.layer(edge_layer, node_layer, *text_layers).properties(height=700)
         .resolve_scale(color="independent", size="independent").interactive())
event = st.altair_chart(chart, width="stretch", on_select="rerun", selection_mode="noeud", key="p_network")
st.caption(f"{g.number_of_nodes()} nœuds, {g.number_of_edges()} liens. Molette : zoom ; glisser : déplacer ; "
           "clic sur un nœud : ses liens ci-dessous.")

selection = (event.selection.get("noeud") if event and getattr(event, "selection", None) else None) or []
selected = next((s["id"] for s in selection if s.get("id") in g), None)
if selected:
    st.markdown(f"**{escape_markdown(g.nodes[selected]['label'])}** ({g.nodes[selected]['kind']})")
    links = [{"lié à": g.nodes[o]["label"], "genre": g.nodes[o]["kind"], "relation": d["relation"],
              "engagements": d["commitments"], "signataire": "oui" if d["signed"] else ""}
             for o, d in g[selected].items()]
    st.dataframe(pd.DataFrame(links).sort_values("engagements", ascending=False), hide_index=True, width="stretch")

with st.expander("Territoires reliés par leurs partenaires communs"):
    shared = nets.shared_partners()
    if shared:
        st.dataframe(pd.DataFrame([{"territoire A": p["a"], "territoire B": p["b"], "partenaires communs": p["count"],
                                    "lesquels": ", ".join(p["partners"])} for p in shared]),
                     hide_index=True, width="stretch")
    else:
        st.caption("Aucun partenaire commun entre territoires.")
