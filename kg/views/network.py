"""Who works with whom, and where: partner networks read from the graph (networkx).

Two bipartite graphs, read through SPARQL so they work on any store:

- partner–territory: a partner is linked to a territory when it signs one of its contracts or
  makes a commitment in it (edge attributes: `commitments`, `signed`);
- partner–theme: a partner is linked to a theme by its commitments on it (`commitments`).

Node ids are prefixed (`partner:`, `territory:`, `theme:` + the graph URI or theme id) because an
intercommunality is both a territory and a partner. On top: the weighted projections (territories
linked by the partners they share, partners by the territories or themes they share), the
partners shared between each pair of territories, and centralities.

    from kg.views.network import load_networks
    nets = load_networks(store)
    nets.shared_partners()          # [{"a": ..., "b": ..., "partners": [...]}]
    nets.centrality("partner_territory")
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import networkx as nx
from networkx.algorithms import bipartite

from kg.graph.uris import theme_uri

PREFIXES = """PREFIX ckg: <https://w3id.org/contrats-kg/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
"""
PARTNER_TERRITORY = PREFIXES + """
SELECT ?partner ?territory (COUNT(DISTINCT ?commitment) AS ?commitments) (MAX(?signs) AS ?signed)
WHERE {
  ?contract a ckg:Contract ; ckg:territory ?territory .
  { ?commitment a ckg:Commitment ; ckg:contract ?contract ; ckg:partner ?partner . BIND(0 AS ?signs) }
  UNION { ?contract ckg:signedBy ?partner . BIND(1 AS ?signs) }
}
GROUP BY ?partner ?territory"""
PARTNER_THEME = PREFIXES + """
SELECT ?partner ?theme (COUNT(DISTINCT ?commitment) AS ?commitments)
WHERE { ?commitment a ckg:Commitment ; ckg:partner ?partner ; dcterms:subject/skos:notation ?theme }
GROUP BY ?partner ?theme"""
LABELS = PREFIXES + """
SELECT ?node (MIN(STR(?label)) AS ?name) (MIN(STR(?typeId)) AS ?type)
WHERE {
  { ?node a ckg:Organisation } UNION { ?node a ckg:Territory }
  ?node skos:prefLabel ?label .
  OPTIONAL { ?node ckg:partnerType/skos:notation ?typeId }
}
GROUP BY ?node"""
THEME_LABELS = PREFIXES + """
SELECT ?theme (MIN(STR(?label)) AS ?name)
WHERE { ?node a ckg:Theme ; skos:notation ?theme ; skos:prefLabel ?label FILTER(LANGMATCHES(LANG(?label), "fr")) }
GROUP BY ?theme"""


def _node(kind: str, key: str) -> str:
    return f"{kind}:{key}"


@dataclass(frozen=True)
class PartnerSummary:
    """One partner across the corpus: where it commits or signs, how much, on which themes."""

    id: str  # node id in the networks ("partner:<uri>")
    name: str
    type: str  # partner type notation ("caf", "state", ...)
    places: tuple[tuple[str, int, bool], ...]  # (territory, commitments, signed), most commitments first
    themes: tuple[str, ...]  # theme labels, most commitments first

    @property
    def commitments(self) -> int:
        return sum(n for _, n, _ in self.places)

    def to_json(self) -> dict:
        return {"id": self.id, "name": self.name, "type": self.type, "commitments": self.commitments,
                "territories": [{"territory": t, "commitments": n, "signed": s} for t, n, s in self.places],
                "themes": list(self.themes)}


@dataclass
class Networks:
    partner_territory: nx.Graph
    partner_theme: nx.Graph

    # --- projections -------------------------------------------------------------------------

    def territory_projection(self) -> nx.Graph:
        """Territories linked by shared partners (`weight`: how many, `partners`: their names)."""
        g = self.partner_territory
        territories = [n for n, d in g.nodes(data=True) if d["kind"] == "territory"]
        projection = bipartite.weighted_projected_graph(g, territories)
        for a, b, data in projection.edges(data=True):
            shared = sorted(set(g[a]) & set(g[b]), key=lambda n: g.nodes[n]["label"])
            data["partners"] = [g.nodes[n]["label"] for n in shared]
        return projection

    def partner_projection(self, by: str = "territory") -> nx.Graph:
        """Partners linked by the territories (or themes) they share; `weight`: how many."""
        g = self.partner_territory if by == "territory" else self.partner_theme
        partners = [n for n, d in g.nodes(data=True) if d["kind"] == "partner"]
        return bipartite.weighted_projected_graph(g, partners)

    def shared_partners(self) -> list[dict]:
        """Every pair of territories with the partners present in both (most shared first)."""
        projection = self.territory_projection()
        g = self.partner_territory
        pairs = [{"a": g.nodes[a]["label"], "b": g.nodes[b]["label"], "count": d["weight"],
                  "partners": d["partners"]} for a, b, d in projection.edges(data=True)]
        for pair in pairs:
            if pair["a"] > pair["b"]:
                pair["a"], pair["b"] = pair["b"], pair["a"]
        return sorted(pairs, key=lambda p: (-p["count"], p["a"], p["b"]))

    def partners(self) -> list[PartnerSummary]:
        """Every partner, present in the most territories first, then by commitments and name.
        A partner is present in a territory when it commits or signs a contract there."""
        pt, pth = self.partner_territory, self.partner_theme
        ids = {n for g in (pt, pth) for n, d in g.nodes(data=True) if d["kind"] == "partner"}
        out = []
        for p in ids:
            data = pt.nodes[p] if p in pt else pth.nodes[p]
            places = sorted(pt[p].items(), key=lambda kv: (-kv[1]["commitments"], pt.nodes[kv[0]]["label"])) \
                if p in pt else []
            themes = sorted(pth[p].items(), key=lambda kv: (-kv[1]["commitments"], kv[0])) if p in pth else []
            out.append(PartnerSummary(
                p, data["label"], data.get("type") or "",
                tuple((pt.nodes[t]["label"], int(e["commitments"]), bool(e.get("signed"))) for t, e in places),
                tuple(pth.nodes[t]["label"] for t, _ in themes)))
        return sorted(out, key=lambda s: (-len(s.places), -s.commitments, s.name))

    # --- centrality --------------------------------------------------------------------------

    def centrality(self, which: str = "partner_territory") -> dict[str, dict[str, float]]:
        """Per node: bipartite degree centrality, betweenness, and weighted degree (commitments)."""
        g: nx.Graph = getattr(self, which)
        if g.number_of_nodes() == 0:
            return {}
        partners = {n for n, d in g.nodes(data=True) if d["kind"] == "partner"}
        degree = bipartite.degree_centrality(g, partners)
        betweenness = nx.betweenness_centrality(g)
        strength = dict(g.degree(weight="commitments"))
        return {n: {"degree": round(degree[n], 4), "betweenness": round(betweenness[n], 4),
                    "commitments": int(strength[n])} for n in g.nodes}

    def top_partners(self, which: str = "partner_territory", k: int = 10) -> list[dict]:
        g: nx.Graph = getattr(self, which)
        scores = self.centrality(which)
        rows = [{"id": n, "label": g.nodes[n]["label"], "type": g.nodes[n].get("type", ""), **scores[n]}
                for n in g.nodes if g.nodes[n]["kind"] == "partner"]
        return sorted(rows, key=lambda r: (-r["degree"], -r["commitments"], r["label"]))[:k]

    # --- output ------------------------------------------------------------------------------

    def combined(self) -> nx.Graph:
        """Partners, territories and themes in one graph, with centralities as node attributes
        (for GraphML readers such as Gephi; every attribute is a string or a number)."""
        g = nx.Graph()
        for which in ("partner_territory", "partner_theme"):
            part: nx.Graph = getattr(self, which)
            for n, data in part.nodes(data=True):
                g.add_node(n, **{k: v for k, v in data.items() if v is not None})
            for a, b, data in part.edges(data=True):
                relation = "present_in" if which == "partner_territory" else "commits_on"
                g.add_edge(a, b, relation=relation, **{k: int(v) for k, v in data.items()})
            for n, scores in self.centrality(which).items():
                suffix = "territory" if which == "partner_territory" else "theme"
                g.nodes[n][f"degree_{suffix}"] = scores["degree"]
                g.nodes[n][f"betweenness_{suffix}"] = scores["betweenness"]
        return g

    def to_json(self) -> dict:
        def graph_json(g: nx.Graph) -> dict:
            return {"nodes": [{"id": n, **d} for n, d in g.nodes(data=True)],
                    "edges": [{"source": a, "target": b, **d} for a, b, d in g.edges(data=True)]}

        territory = self.territory_projection()
        return {
            "partner_territory": graph_json(self.partner_territory),
            "partner_theme": graph_json(self.partner_theme),
            "territory_projection": {"edges": [{"source": a, "target": b, "weight": d["weight"], "partners": d["partners"]}
                                               for a, b, d in territory.edges(data=True)]},
            "partner_projection": {"edges": [{"source": a, "target": b, "weight": d["weight"]}
                                             for a, b, d in self.partner_projection().edges(data=True)]},
            "shared_partners": self.shared_partners(),
            "partners": [summary.to_json() for summary in self.partners()],
            "centrality": {"partner_territory": self.centrality("partner_territory"),
                           "partner_theme": self.centrality("partner_theme")},
        }

    def write_graphml(self, path: Path) -> None:
        nx.write_graphml(self.combined(), str(path))


def load_networks(store) -> Networks:
    """Both bipartite graphs from a store (kg.sparql.store) holding a built graph."""
    labels = {row["node"]: row for row in store.query(LABELS).dicts()}
    themes = {row["theme"]: row["name"] for row in store.query(THEME_LABELS).dicts()}

    def partner(g: nx.Graph, uri: str) -> str:
        node = _node("partner", uri)
        info = labels.get(uri, {})
        g.add_node(node, kind="partner", uri=uri, label=info.get("name") or uri.rsplit("/", 1)[-1],
                   type=info.get("type") or "")
        return node

    pt = nx.Graph()
    for row in store.query(PARTNER_TERRITORY).dicts():
        territory = _node("territory", row["territory"])
        pt.add_node(territory, kind="territory", uri=row["territory"],
                    label=labels.get(row["territory"], {}).get("name") or row["territory"], type="epci")
        pt.add_edge(partner(pt, row["partner"]), territory, commitments=int(row["commitments"]),
                    signed=bool(int(row["signed"])))
    pth = nx.Graph()
    for row in store.query(PARTNER_THEME).dicts():
        theme = _node("theme", row["theme"])
        pth.add_node(theme, kind="theme", uri=str(theme_uri(row["theme"])),
                     label=themes.get(row["theme"], row["theme"]), type="theme")
        pth.add_edge(partner(pth, row["partner"]), theme, commitments=int(row["commitments"]))
    return Networks(pt, pth)
