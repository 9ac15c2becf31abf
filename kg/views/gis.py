"""Neighbourhoods as map features: their geometry and commitment counts, from the built store.

One place for the map of the app (app_pages/map_view.py) and the GIS exports (`contrats export
--format geojson|gpkg`). The neighbourhoods and their counts come from the saved query
`neighbourhood-map` (kg/queries/10-neighbourhood-map.rq); the breakdowns per theme, partner type
and generation from two more queries here. A neighbourhood's commitments are those scoped to it
and those of a contract listing it that name no neighbourhood (they hold for all of them; the
ontology's reading of ckg:scope), each counted once.

GeoJSON follows RFC 7946 (WGS84 longitude/latitude, no `crs` member); the GeoPackage is written by
pyogrio (GDAL) in EPSG:4326 with two layers, `neighbourhoods` and `territories` (outlines).
Property names are flat columns, the same in every file, so that QGIS can style on them:
`theme_<id>`, `partner_<type>`, `generation_<year>`.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kg.graph.geometry import parse_wkt

GENERATIONS = ("2015", "2019", "2024")
_LINKS = """
PREFIX ckg: <https://w3id.org/contrats-kg/ontology#>
PREFIX geo: <http://www.opengis.net/ont/geosparql#>
SELECT DISTINCT ?neighbourhood ?commitment ?specific WHERE {
  ?neighbourhood a ckg:Neighbourhood ; geo:hasGeometry ?g .
  { ?commitment a ckg:Commitment ; ckg:scope ?neighbourhood . BIND(true AS ?specific) }
  UNION
  { ?contract ckg:neighbourhood ?neighbourhood . ?commitment a ckg:Commitment ; ckg:contract ?contract .
    MINUS { ?commitment ckg:scope ?anywhere } BIND(false AS ?specific) }
}"""
_ATTRIBUTES = """
PREFIX ckg: <https://w3id.org/contrats-kg/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?commitment ?generation ?theme ?partnerType WHERE {
  ?commitment a ckg:Commitment .
  OPTIONAL { ?commitment ckg:contract/ckg:generation ?generation }
  OPTIONAL { ?commitment dcterms:subject ?theme }
  OPTIONAL { ?commitment ckg:partner/ckg:partnerType ?partnerType }
}"""
_TERRITORY_LABELS = """
PREFIX ckg: <https://w3id.org/contrats-kg/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?territory ?label WHERE {
  ?territory a ckg:Territory .
  { ?territory skos:prefLabel|skos:altLabel ?label } UNION { ?territory ckg:siren ?label }
}"""
_OUTLINES = """
PREFIX ckg: <https://w3id.org/contrats-kg/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX geo: <http://www.opengis.net/ont/geosparql#>
SELECT ?territory (SAMPLE(?name) AS ?label) (SAMPLE(?wkt) AS ?outline) WHERE {
  ?territory a ckg:Territory ; skos:prefLabel ?name ; geo:hasGeometry/geo:asWKT ?wkt .
} GROUP BY ?territory ORDER BY ?label"""
_COMMITMENTS = """
PREFIX ckg: <https://w3id.org/contrats-kg/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX oa: <http://www.w3.org/ns/oa#>
SELECT ?commitment ?specific ?text ?partner ?generation ?document ?page ?line ?passage WHERE {
  { ?commitment a ckg:Commitment ; ckg:scope ?neighbourhood . BIND(true AS ?specific) }
  UNION
  { ?contract ckg:neighbourhood ?neighbourhood . ?commitment a ckg:Commitment ; ckg:contract ?contract .
    MINUS { ?commitment ckg:scope ?anywhere } BIND(false AS ?specific) }
  FILTER(!BOUND(?theme) || EXISTS { ?commitment dcterms:subject ?t . ?t skos:notation ?n FILTER(STR(?n) = STR(?theme)) })
  ?commitment ckg:text ?text ; ckg:partner ?p .
  OPTIONAL { ?p skos:prefLabel ?partner }
  OPTIONAL { ?commitment ckg:contract/ckg:generation ?generation }
  OPTIONAL { ?commitment prov:wasDerivedFrom ?source .
             ?source oa:hasSource/dcterms:identifier ?document ; oa:hasSelector ?q .
             ?q a oa:TextQuoteSelector ; oa:exact ?passage .
             OPTIONAL { ?source ckg:page ?page } OPTIONAL { ?source ckg:lineStart ?line } }
} ORDER BY DESC(?specific) ?commitment"""


def _local(uri: object, marker: str) -> str:
    return str(uri).rsplit(marker, 1)[-1]


@dataclass
class NeighbourhoodFeature:
    uri: str
    code: str | None
    name: str
    territory: str  # URI
    territory_name: str
    geometry: object  # shapely (Multi)Polygon, WGS84 lon/lat
    drawn_through: tuple[str, ...] = ()  # 2024 QPV codes a 2015 neighbourhood is drawn through
    commitments: int = 0  # on the chosen theme when one was chosen
    specific: int = 0  # of which scoped to this neighbourhood
    themes: Counter = field(default_factory=Counter)
    partner_types: Counter = field(default_factory=Counter)
    generations: Counter = field(default_factory=Counter)

    @property
    def geometry_source(self) -> str:
        return "2024 successors" if self.drawn_through else "own contour"


def territory_labels(store) -> dict[str, set[str]]:
    """Territory URI -> its names, short names and SIREN (what the app and users call it)."""
    labels: dict[str, set[str]] = defaultdict(set)
    for row in store.query(_TERRITORY_LABELS).dicts():
        labels[str(row["territory"])].add(str(row["label"]))
    return dict(labels)


def neighbourhood_features(store, territories: Sequence[str] = (), theme: str | None = None,
                           breakdown: bool = True) -> list[NeighbourhoodFeature]:
    """The neighbourhoods with a geometry, of `territories` (names, short names, SIRENs or URIs;
    empty: all), with their commitment counts (on `theme` when given) and, with `breakdown`, the
    counts of all their commitments per theme, partner type and generation."""
    from kg.queries import find_saved_query

    rows = store.query(find_saved_query("neighbourhood-map").text).dicts()
    wanted = set(territories)
    if wanted:
        labels = territory_labels(store)
        keep = {uri for uri, names in labels.items() if uri in wanted or names & wanted}
        rows = [r for r in rows if str(r["territoryNode"]) in keep]
    features = [NeighbourhoodFeature(
        uri=str(r["neighbourhood"]), code=r["code"] and str(r["code"]), name=str(r["name"]),
        territory=str(r["territoryNode"]), territory_name=str(r["territoryName"]),
        geometry=parse_wkt(r["wkt"]), drawn_through=tuple(str(r["drawnThrough"] or "").split()),
        commitments=int(r["commitments"]), specific=int(r["specific"])) for r in rows]
    if (breakdown or theme) and features:
        _count(store, features, theme, breakdown)
    return features


def _count(store, features: list[NeighbourhoodFeature], theme: str | None, breakdown: bool) -> None:
    """Counts from two flat queries joined here: a theme filter per commitment inside the saved
    query made oxigraph take a minute on three territories, this takes a second."""
    by_uri = {f.uri: f for f in features}
    attributes: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for row in store.query(_ATTRIBUTES).dicts():
        a = attributes[str(row["commitment"])]
        if row["generation"]:
            a["generation"].add(str(row["generation"]))
        if row["theme"]:
            a["theme"].add(_local(row["theme"], "/theme/"))
        if row["partnerType"]:
            a["partner_type"].add(_local(row["partnerType"], "/partner-type/"))
    if theme:
        for f in features:
            f.commitments = f.specific = 0
    for row in store.query(_LINKS).dicts():
        f = by_uri.get(str(row["neighbourhood"]))
        if f is None:
            continue
        a = attributes.get(str(row["commitment"]), {})
        if theme and theme in a.get("theme", ()):
            f.commitments += 1
            f.specific += bool(row["specific"])
        if breakdown:
            f.themes.update(a.get("theme", ()))
            f.partner_types.update(a.get("partner_type", ()))
            f.generations.update(a.get("generation", ()))


def neighbourhood_commitments(store, neighbourhood: str, theme: str | None = None) -> list[dict]:
    """The commitments that hold for a neighbourhood (on `theme`), scoped ones first: text,
    partner, generation, and the passage each was read from (document, page, line, text)."""
    from rdflib import URIRef

    bindings: dict = {"neighbourhood": URIRef(neighbourhood)}
    if theme:
        bindings["theme"] = theme
    seen: dict[str, dict] = {}
    for row in store.query(_COMMITMENTS, bindings).dicts():
        seen.setdefault(str(row["commitment"]), row)
    return list(seen.values())


def territory_outlines(store) -> list[tuple[str, str, object]]:
    """(territory URI, name, convex outline) of each territory with an outline."""
    return [(str(r["territory"]), str(r["label"]), parse_wkt(r["outline"])) for r in store.query(_OUTLINES).dicts()]


# ---------------------------------------------------------------- files

def _columns(features: Iterable[NeighbourhoodFeature]) -> tuple[list[str], list[str], list[str]]:
    from ingest.model import PARTNER_TYPES
    from kg.graph.themes_scheme import load_themes

    features = list(features)
    generations = sorted(set(GENERATIONS).union(*(f.generations for f in features)))
    return [t["id"] for t in load_themes()], list(PARTNER_TYPES), generations


def feature_properties(f: NeighbourhoodFeature, themes: Sequence[str], partner_types: Sequence[str],
                       generations: Sequence[str]) -> dict:
    """The flat attribute row of a neighbourhood (the same columns for every feature)."""
    props = {"uri": f.uri, "code": f.code or "", "name": f.name, "territory": f.territory,
             "territory_name": f.territory_name, "geometry_source": f.geometry_source,
             "drawn_through": " ".join(f.drawn_through), "commitments": f.commitments,
             "specific_commitments": f.specific}
    props.update({f"theme_{t}": f.themes.get(t, 0) for t in themes})
    props.update({f"partner_{p}": f.partner_types.get(p, 0) for p in partner_types})
    props.update({f"generation_{g}": f.generations.get(g, 0) for g in generations})
    return props


def feature_collection(features: Sequence[NeighbourhoodFeature]) -> dict:
    """A GeoJSON FeatureCollection (RFC 7946), one Feature per neighbourhood."""
    from shapely.geometry import mapping

    columns = _columns(features)
    return {"type": "FeatureCollection", "name": "neighbourhoods",
            "features": [{"type": "Feature", "id": f.uri, "geometry": mapping(f.geometry),
                          "properties": feature_properties(f, *columns)} for f in features]}


def write_geojson(features: Sequence[NeighbourhoodFeature], out: Path) -> int:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(json.dumps(feature_collection(features), ensure_ascii=False), encoding="utf-8")
    tmp.replace(out)
    return len(features)


def write_geopackage(features: Sequence[NeighbourhoodFeature], outlines: Sequence[tuple[str, str, object]],
                     out: Path) -> int:
    """Layers `neighbourhoods` (MultiPolygon, the GeoJSON's columns) and `territories` (outlines)."""
    import numpy as np
    import pyogrio.raw
    import shapely
    from shapely.geometry import MultiPolygon

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp.gpkg")
    tmp.unlink(missing_ok=True)
    columns = _columns(features)
    rows = [feature_properties(f, *columns) for f in features]
    names = list(rows[0]) if rows else ["uri", "code", "name"]

    def array(values: list):
        return np.array(values, dtype=np.int64 if values and isinstance(values[0], int) else object)

    wkb = np.array([shapely.to_wkb(f.geometry if isinstance(f.geometry, MultiPolygon) else MultiPolygon([f.geometry]))
                    for f in features], dtype=object)
    pyogrio.raw.write(tmp, wkb, [array([r[n] for r in rows]) for n in names], fields=names, crs="EPSG:4326",
                      geometry_type="MultiPolygon", driver="GPKG", layer="neighbourhoods", encoding="UTF-8")
    pyogrio.raw.write(tmp, np.array([shapely.to_wkb(g) for _, _, g in outlines], dtype=object),
                      [np.array([u for u, _, _ in outlines], dtype=object),
                       np.array([n for _, n, _ in outlines], dtype=object)],
                      fields=["uri", "name"], crs="EPSG:4326", geometry_type="Polygon", driver="GPKG",
                      layer="territories", encoding="UTF-8")
    tmp.replace(out)
    return len(features)


def export_gis(store, fmt: str, out: Path) -> int:
    """`contrats export --format geojson|gpkg`: every neighbourhood with a geometry; the count."""
    features = neighbourhood_features(store)
    if fmt == "geojson":
        return write_geojson(features, out)
    if fmt == "gpkg":
        return write_geopackage(features, territory_outlines(store), out)
    raise ValueError(f"unknown GIS format {fmt!r}: geojson or gpkg")
