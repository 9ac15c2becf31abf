"""Partner networks (kg.views.network) on the small hand-made graph, and `contrats network` on the build."""

from __future__ import annotations

import json

import networkx as nx
import pytest

from kg.sparql.store import open_store
from kg.views.network import load_networks
from tests.test_queries import HOSTILE, R, write_small_graph

ALPHA, BETA = "territory:" + R + "epci/111111111", "territory:" + R + "epci/222222222"
CAF, REGION, ASSO, VILLE = ("partner:" + R + n for n in ("caf", "region", "asso", "ville"))


@pytest.fixture(scope="module", params=["memory", "oxigraph"])
def nets(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp("net")
    store = open_store(request.param, str(folder / "store"))
    store.load_file(write_small_graph(folder / "graph.nt"))
    yield load_networks(store)
    store.close()


def test_partner_territory_graph(nets) -> None:
    g = nets.partner_territory
    assert nx.is_bipartite(g)
    assert {n for n, d in g.nodes(data=True) if d["kind"] == "territory"} == {ALPHA, BETA}
    assert set(g[ALPHA]) == {CAF, REGION, ASSO} and set(g[BETA]) == {CAF, REGION, VILLE}
    assert g.edges[REGION, ALPHA] == {"commitments": 2, "signed": True}  # c2, c3; signs k1 and k2
    assert g.edges[ASSO, ALPHA] == {"commitments": 1, "signed": False}
    assert g.edges[REGION, BETA] == {"commitments": 0, "signed": True}
    assert g.nodes[ASSO]["label"] == HOSTILE and g.nodes[CAF]["type"] == "caf"
    assert g.nodes[ALPHA]["label"] == "Agglo Alpha"


def test_partner_summaries(nets) -> None:
    by_name = {p.name: p for p in nets.partners()}
    region = next(p for p in nets.partners() if p.id == REGION)
    assert region.type and dict((t, n) for t, n, _ in region.places) == {"Agglo Alpha": 2, nets.partner_territory.nodes[BETA]["label"]: 0}
    assert all(signed for _, _, signed in region.places) and region.commitments == 2
    labels = nets.partner_theme.nodes
    assert region.themes == (labels["theme:mobility"]["label"], labels["theme:health"]["label"])  # 2 before 1
    assert by_name[HOSTILE].places == (("Agglo Alpha", 1, False),)
    # most territories first, then commitments
    counts = [(len(p.places), p.commitments) for p in nets.partners()]
    assert counts == sorted(counts, key=lambda c: (-c[0], -c[1]))
    assert json.loads(json.dumps(region.to_json()))["territories"][0]["territory"] == "Agglo Alpha"


def test_partner_theme_graph(nets) -> None:
    g = nets.partner_theme
    assert set(g[REGION]) == {"theme:mobility", "theme:health"}
    assert g.edges[REGION, "theme:mobility"]["commitments"] == 2
    assert g.nodes["theme:health"]["label"] == "Santé"


def test_projections_and_shared_partners(nets) -> None:
    territories = nets.territory_projection()
    assert territories.edges[ALPHA, BETA]["weight"] == 2
    assert territories.edges[ALPHA, BETA]["partners"] == ["CAF du Nord", "Région Test"]
    assert nets.shared_partners() == [{"a": "Agglo Alpha", "b": "Communauté Beta", "count": 2,
                                       "partners": ["CAF du Nord", "Région Test"]}]
    partners = nets.partner_projection()
    assert partners.edges[CAF, REGION]["weight"] == 2 and partners.edges[ASSO, REGION]["weight"] == 1
    assert not partners.has_edge(ASSO, VILLE)
    by_theme = nets.partner_projection(by="theme")
    assert by_theme.edges[CAF, REGION]["weight"] == 1  # health
    assert not by_theme.has_edge(ASSO, CAF)


def test_centrality(nets) -> None:
    scores = nets.centrality()
    assert scores[CAF]["degree"] == scores[REGION]["degree"] == 1.0  # in both territories
    assert scores[ASSO]["degree"] == 0.5
    assert scores[REGION]["commitments"] == 2 and scores[ALPHA]["commitments"] == 4
    assert scores[ALPHA]["betweenness"] > scores[ASSO]["betweenness"]
    top = nets.top_partners(k=2)
    assert [t["label"] for t in top] == ["CAF du Nord", "Région Test"]  # tie on commitments: by name


def test_json_and_graphml(nets, tmp_path) -> None:
    data = json.loads(json.dumps(nets.to_json()))
    assert {n["id"] for n in data["partner_territory"]["nodes"]} >= {ALPHA, CAF}
    assert data["shared_partners"][0]["count"] == 2
    assert data["centrality"]["partner_territory"][CAF]["degree"] == 1.0
    path = tmp_path / "net.graphml"
    nets.write_graphml(path)
    back = nx.read_graphml(path)
    assert back.number_of_nodes() == 2 + 4 + nets.partner_theme.number_of_nodes() - 4
    assert back.nodes[ASSO]["label"] == HOSTILE
    assert back.edges[REGION, ALPHA]["relation"] == "present_in"
    assert back.nodes[CAF]["degree_territory"] == 1.0


@pytest.mark.slow
def test_contrats_network_on_the_build(built, tmp_path) -> None:
    from click.testing import CliRunner

    from kg.cli import main

    out = tmp_path / "net.json"
    result = CliRunner().invoke(main, ["network", "--data", str(built.data_dir), "--out", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    territories = [n for n in data["partner_territory"]["nodes"] if n["kind"] == "territory"]
    assert len(territories) == 3
    assert data["shared_partners"] and all(p["count"] == len(p["partners"]) for p in data["shared_partners"])
    graphml = tmp_path / "net.graphml"
    result = CliRunner().invoke(main, ["network", "--data", str(built.data_dir), "--format", "graphml",
                                       "--out", str(graphml)])
    assert result.exit_code == 0 and nx.read_graphml(graphml).number_of_edges() > 0
