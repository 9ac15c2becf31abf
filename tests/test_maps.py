"""Maps (issue 16): GeoSPARQL geometries from the reference perimeters, their SHACL shapes, the
saved query, and the GIS exports read back with GDAL (pyogrio) and shapely.

A small hand-made graph with real QPV codes of the shipped territories: a 2024 neighbourhood
(QN05918M, Maubeuge) with its own contour, a 2015 one (QP059020, Valenciennes) drawn through its
2024 successor (QN05920M), and a neighbourhood without a code (no geometry).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import shapely
from rdflib import RDF, Graph, Literal, URIRef

from kg.graph.geometry import (
    CRS84,
    GEO,
    TOLERANCE,
    coded_neighbourhoods,
    geometry_graph,
    load_perimeters,
    parse_wkt,
)
from kg.graph.uris import CKG
from kg.graph.validate import failing_shapes
from kg.graph.writer import vocabulary_graph
from kg.sparql.store import open_store
from kg.views import gis

ROOT = Path(__file__).resolve().parent.parent
R = "https://w3id.org/contrats-kg/"

SMALL = """
@prefix ckg: <https://w3id.org/contrats-kg/ontology#> .
@prefix r: <https://w3id.org/contrats-kg/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix oa: <http://www.w3.org/ns/oa#> .

r:epci\\/200043396 a ckg:Territory ; rdfs:label "CA Maubeuge"@fr ; skos:prefLabel "CA Maubeuge"@fr ;
    skos:altLabel "CAMVS"@fr ; ckg:siren "200043396" .
r:epci\\/245901160 a ckg:Territory ; rdfs:label "Valenciennes Métropole"@fr ;
    skos:prefLabel "Valenciennes Métropole"@fr ; skos:altLabel "CAVM"@fr ; ckg:siren "245901160" .
r:k24 a ckg:Contract ; ckg:territory r:epci\\/200043396 ; ckg:generation "2024" ;
    ckg:neighbourhood r:qpv\\/QN05918M, r:neighbourhood\\/200043396\\/sans-code .
r:k15 a ckg:Contract ; ckg:territory r:epci\\/245901160 ; ckg:generation "2015" ; ckg:neighbourhood r:qpv\\/QP059020 .
r:qpv\\/QN05918M a ckg:Neighbourhood ; rdfs:label "Sous-le-Bois"@fr ; skos:prefLabel "Sous-le-Bois"@fr ;
    ckg:qpvCode "QN05918M" ; ckg:territory r:epci\\/200043396 .
r:qpv\\/QP059020 a ckg:Neighbourhood ; rdfs:label "Verrerie"@fr ; skos:prefLabel "Verrerie"@fr ;
    ckg:qpvCode "QP059020" ; ckg:territory r:epci\\/245901160 .
r:neighbourhood\\/200043396\\/sans-code a ckg:Neighbourhood ; rdfs:label "Sans code"@fr ;
    skos:prefLabel "Sans code"@fr ; ckg:territory r:epci\\/200043396 .
r:caf a ckg:Organisation ; skos:prefLabel "CAF du Nord"@fr ; ckg:partnerType r:partner-type\\/caf .
r:etat a ckg:Organisation ; skos:prefLabel "Préfecture"@fr ; ckg:partnerType r:partner-type\\/state .
# Maubeuge: one commitment for every neighbourhood (health), one scoped to Sous-le-Bois (education).
r:c1 a ckg:Commitment ; ckg:contract r:k24 ; ckg:partner r:caf ; ckg:text "Santé partout"@fr ;
    dcterms:subject r:theme\\/health ; prov:wasDerivedFrom r:p1 .
r:c2 a ckg:Commitment ; ckg:contract r:k24 ; ckg:partner r:etat ; ckg:text "École de Sous-le-Bois"@fr ;
    dcterms:subject r:theme\\/education ; ckg:scope r:qpv\\/QN05918M .
# Valenciennes 2015: two commitments on health, one on employment.
r:c3 a ckg:Commitment ; ckg:contract r:k15 ; ckg:partner r:etat ; ckg:text "Centre de santé"@fr ;
    dcterms:subject r:theme\\/health .
r:c4 a ckg:Commitment ; ckg:contract r:k15 ; ckg:partner r:caf ; ckg:text "Maison médicale"@fr ;
    dcterms:subject r:theme\\/health, r:theme\\/employment .
r:p1 oa:hasSource r:document\\/doc ; ckg:lineStart 12 ; oa:hasSelector r:p1-quote .
r:document\\/doc dcterms:identifier "doc" .
r:p1-quote a oa:TextQuoteSelector ; oa:exact "La CAF s'engage pour la santé." .
"""


@pytest.fixture(scope="module")
def perimeters():
    p = load_perimeters(ROOT / "reference")
    assert p is not None, "reference/qpv_2024_perimeters.geojson is shipped with the project"
    return p


def small_graph() -> Graph:
    return Graph().parse(data=SMALL, format="turtle")


def with_geometries(g: Graph, perimeters) -> tuple[Graph, list[str]]:
    triples = ((str(s), str(p), str(o)) for s, p, o in g)
    geo, missing = geometry_graph(coded_neighbourhoods(triples), perimeters)
    return g + geo, missing


def test_reference_perimeters_cover_every_2024_qpv(perimeters) -> None:
    assert len(perimeters.contours) == 1584
    assert perimeters.successors["QP059020"] == ("QN05920M",)
    assert all(g.is_valid for g in perimeters.contours.values())


def test_neighbourhoods_get_simplified_wgs84_geometries(perimeters) -> None:
    g, missing = with_geometries(small_graph(), perimeters)
    assert missing == []
    own = URIRef(R + "qpv/QN05918M/geometry")
    assert (URIRef(R + "qpv/QN05918M"), GEO.hasGeometry, own) in g
    wkt = g.value(own, GEO.asWKT)
    assert wkt.datatype == GEO.wktLiteral and str(wkt).startswith(f"<{CRS84}> MULTIPOLYGON (((")
    shape = parse_wkt(wkt)
    original = perimeters.contours["QN05918M"]
    # Simplified, not moved: fewer points, the same place within the tolerance (lon 3.9, lat 50.3).
    assert shapely.get_num_coordinates(shape) < shapely.get_num_coordinates(original)
    assert shape.hausdorff_distance(original) <= 2 * TOLERANCE
    assert 3.8 < shape.centroid.x < 4.1 and 50.2 < shape.centroid.y < 50.4
    assert float(g.value(own, CKG.simplificationTolerance)) == TOLERANCE
    assert (own, RDF.type, CKG.SuccessorGeometry) not in g
    # No code, no geometry.
    assert g.value(URIRef(R + "neighbourhood/200043396/sans-code"), GEO.hasGeometry) is None


def test_2015_neighbourhoods_are_drawn_through_their_2024_successors(perimeters) -> None:
    g, _ = with_geometries(small_graph(), perimeters)
    geometry = URIRef(R + "qpv/QP059020/geometry")
    assert (geometry, RDF.type, CKG.SuccessorGeometry) in g
    assert list(g.objects(geometry, CKG.drawnThrough)) == [URIRef(R + "qpv/QN05920M")]
    assert parse_wkt(g.value(geometry, GEO.asWKT)).intersects(perimeters.contours["QN05920M"])


def test_territories_get_the_convex_hull_of_their_neighbourhoods(perimeters) -> None:
    g, _ = with_geometries(small_graph(), perimeters)
    outline = URIRef(R + "epci/200043396/outline")
    assert (URIRef(R + "epci/200043396"), GEO.hasGeometry, outline) in g
    assert (outline, RDF.type, CKG.ConvexHull) in g
    hull = parse_wkt(g.value(outline, GEO.asWKT))
    assert hull.geom_type == "Polygon" and hull.contains(perimeters.contours["QN05918M"].buffer(-1e-6))


def test_geometry_shapes_accept_the_writer_and_refuse_a_2015_contour_passed_off_as_its_own(perimeters) -> None:
    from kg.graph.validate import shapes_graph

    g, _ = with_geometries(small_graph(), perimeters)
    geometries = Graph()
    for s in g.subjects(RDF.type, GEO.Geometry):
        for triple in g.triples((s, None, None)):
            geometries.add(triple)
    for triple in g.triples((None, GEO.hasGeometry, None)):
        geometries.add(triple)
    for triple in g.triples((None, CKG.qpvCode, None)):
        geometries.add(triple)
    # Only the geometry shapes (and what they hold): the hand-made graph is not a whole contract.
    source = shapes_graph()
    shapes = Graph()
    pending = [s for s in set(source.subjects()) if "Geometry" in str(s) or "Outline" in str(s)]
    while pending:
        node = pending.pop()
        for triple in source.triples((node, None, None)):
            if triple not in shapes:
                shapes.add(triple)
                pending.append(triple[2])
    ok, report = _validate(geometries, shapes)
    assert ok, failing_shapes(report)
    broken = Graph() + geometries
    broken.remove((URIRef(R + "qpv/QP059020/geometry"), RDF.type, CKG.SuccessorGeometry))
    ok, report = _validate(broken, shapes)
    assert not ok and "QP059020" in report
    broken = Graph() + geometries
    broken.set((URIRef(R + "qpv/QN05918M/geometry"), GEO.asWKT, Literal(shapely.Point(3, 50).wkt)))  # no CRS, no type
    ok, report = _validate(broken, shapes)
    assert not ok and "QN05918M" in report


def _validate(data: Graph, shapes: Graph) -> tuple[bool, str]:
    from pyshacl import validate

    conforms, _g, text = validate(data, shacl_graph=shapes, ont_graph=vocabulary_graph(), advanced=False)
    return bool(conforms), str(text)


@pytest.fixture(scope="module")
def stores(tmp_path_factory, perimeters):
    folder = tmp_path_factory.mktemp("maps")
    g, _ = with_geometries(small_graph(), perimeters)
    g += vocabulary_graph()
    nt = folder / "graph.nt"
    g.serialize(nt, format="nt", encoding="utf-8")
    # The counts per contract, as a build adds them (the neighbourhood map reads them).
    from kg.graph.contract_counts import contract_parts

    scratch = open_store("oxigraph", str(folder / "counted"))
    scratch.load_file(nt)
    for part in contract_parts(scratch):
        g += part
    scratch.close()
    g.serialize(nt, format="nt", encoding="utf-8")
    made = {"memory": open_store("memory", None), "oxigraph": open_store("oxigraph", str(folder / "store"))}
    for store in made.values():
        store.load_file(nt)
    yield made
    for store in made.values():
        store.close()


def test_saved_query_returns_neighbourhoods_with_geometry_and_counts(stores) -> None:
    from kg.queries import find_saved_query

    query = find_saved_query("neighbourhood-map")
    results = {}
    for kind, store in stores.items():
        rows = store.query(query.text).dicts()
        results[kind] = {r["code"]: (r["commitments"], r["specific"], r["drawnThrough"] or "") for r in rows}
        assert all(str(r["wkt"]).startswith(f"<{CRS84}>") for r in rows)
    assert results["memory"] == results["oxigraph"] == {
        "QN05918M": (2, 1, ""), "QP059020": (2, 0, "QN05920M")}
    only = stores["oxigraph"].query(query.text, {"territory": "cavm"}).dicts()
    assert [r["code"] for r in only] == ["QP059020"]


def test_features_count_commitments_on_a_theme_and_per_partner_type_and_generation(stores) -> None:
    store = stores["oxigraph"]
    features = {f.code: f for f in gis.neighbourhood_features(store)}
    assert set(features) == {"QN05918M", "QP059020"}
    maubeuge, valenciennes = features["QN05918M"], features["QP059020"]
    assert maubeuge.themes == {"health": 1, "education": 1} and maubeuge.partner_types == {"caf": 1, "state": 1}
    assert valenciennes.generations == {"2015": 2} and valenciennes.themes == {"health": 2, "employment": 1}
    assert valenciennes.drawn_through == ("QN05920M",) and valenciennes.geometry_source == "2024 successors"
    on_health = {f.code: (f.commitments, f.specific) for f in gis.neighbourhood_features(store, theme="health")}
    assert on_health == {"QN05918M": (1, 0), "QP059020": (2, 0)}
    on_education = {f.code: (f.commitments, f.specific) for f in gis.neighbourhood_features(store, theme="education")}
    assert on_education == {"QN05918M": (1, 1), "QP059020": (0, 0)}
    assert [f.code for f in gis.neighbourhood_features(store, ["CAMVS"])] == ["QN05918M"]
    commitments = gis.neighbourhood_commitments(store, R + "qpv/QN05918M")
    assert [c["text"] for c in commitments] == ["École de Sous-le-Bois", "Santé partout"]  # scoped first
    health = gis.neighbourhood_commitments(store, R + "qpv/QN05918M", theme="health")
    assert len(health) == 1 and health[0]["passage"] == "La CAF s'engage pour la santé." and health[0]["line"] == 12


def test_geojson_export_reads_back_in_a_gis(stores, tmp_path: Path) -> None:
    import pyogrio

    out = tmp_path / "quartiers.geojson"
    assert gis.export_gis(stores["oxigraph"], "geojson", out) == 2
    info = pyogrio.read_info(out)
    assert info["features"] == 2 and info["geometry_type"] == "MultiPolygon" and info["crs"] == "EPSG:4326"
    meta, _fids, geometries, fields = pyogrio.raw.read(out)
    columns = dict(zip(meta["fields"], fields, strict=True))
    by_code = {code: i for i, code in enumerate(columns["code"])}
    i = by_code["QN05918M"]
    assert (columns["commitments"][i], columns["specific_commitments"][i]) == (2, 1)
    assert (columns["theme_health"][i], columns["theme_education"][i], columns["partner_caf"][i]) == (1, 1, 1)
    assert columns["generation_2024"][i] == 2 and columns["theme_housing"][i] == 0
    j = by_code["QP059020"]
    assert columns["geometry_source"][j] == "2024 successors" and columns["drawn_through"][j] == "QN05920M"
    shape = shapely.from_wkb(geometries[i])
    assert shape.is_valid and 3.8 < shape.centroid.x < 4.1 and 50.2 < shape.centroid.y < 50.4
    # Plain RFC 7946 too: no crs member, lon/lat order.
    data = json.loads(out.read_text(encoding="utf-8"))
    assert "crs" not in data and data["features"][0]["geometry"]["type"] == "MultiPolygon"


def test_geopackage_export_has_neighbourhoods_and_territory_outlines(stores, tmp_path: Path) -> None:
    import pyogrio

    out = tmp_path / "quartiers.gpkg"
    assert gis.export_gis(stores["oxigraph"], "gpkg", out) == 2
    layers = {name: kind for name, kind in pyogrio.list_layers(out)}
    assert layers == {"neighbourhoods": "MultiPolygon", "territories": "Polygon"}
    meta, _fids, _geometries, fields = pyogrio.raw.read(out, layer="neighbourhoods")
    assert meta["crs"] == "EPSG:4326" and sorted(fields[list(meta["fields"]).index("code")]) == ["QN05918M", "QP059020"]
    meta, _fids, geometries, fields = pyogrio.raw.read(out, layer="territories")
    assert len(geometries) == 2 and "Valenciennes Métropole" in list(fields[1])
