"""GeoSPARQL geometries for the neighbourhoods and territories of a built graph.

Added by `kg.build.pipeline` to the whole graph (not to each document's, which is cached per document):
which neighbourhoods get a contour depends on the reference perimeters, not on the contract.

- A neighbourhood with a 2024 QPV code (`QN…`) gets the official ANCT contour of its QPV
  (`reference/qpv_2024_perimeters.geojson`, Licence Ouverte 2.0; see reference/README.md).
- A 2015 neighbourhood (`QP…`, 2015 contracts and 2019 protocols) has no contour of its own in
  the reference: it is drawn through its 2024 successor(s) in the ANCT correspondence table, the
  union of their contours. Its geometry is a `ckg:SuccessorGeometry` that says so, with
  `ckg:drawnThrough` each successor QPV: the 2015 perimeter was often smaller or larger.
- A territory gets an outline: the convex hull of its neighbourhoods' contours (not the EPCI's
  administrative boundary, which the reference does not hold), a `ckg:ConvexHull`.

Every contour is simplified with shapely (Douglas-Peucker, topology preserved) at TOLERANCE
degrees, then repaired (make_valid) and written with 4 decimals: the source coordinates are
already rounded to 4 decimals (about 10 m), so nothing finer than the source is dropped while the
graph's WKT is halved. Literals are `geo:wktLiteral`s with the CRS84 IRI in front (WGS84
longitude/latitude, GeoSPARQL's default made explicit).
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rdflib import RDF, RDFS, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, PROV

from kg.graph.uris import CKG, RES

GEO = Namespace("http://www.opengis.net/ont/geosparql#")
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
PERIMETERS_FILE = "qpv_2024_perimeters.geojson"
CORRESPONDENCE_FILE = "qpv_correspondance_2024_2015_long.csv"
# Degrees of longitude/latitude: about 11 m north-south, 7 m east-west in metropolitan France;
# the source's own precision (coordinates rounded to 1e-4).
TOLERANCE = 0.0001
WKT_DECIMALS = 4
PERIMETERS_SOURCE = RES["reference/qpv-2024-perimeters"]
LICENCE = URIRef("https://www.etalab.gouv.fr/licence-ouverte-open-licence/")
_NEIGHBOURHOOD_PATH = RES["qpv/"]


def geometry_uri(feature: URIRef | str) -> URIRef:
    """The geometry node of a feature: `<feature>/geometry`."""
    return URIRef(f"{feature}/geometry")


def outline_uri(territory: URIRef | str) -> URIRef:
    return URIRef(f"{territory}/outline")


def wkt_literal(geometry) -> Literal:
    """A shapely geometry as a GeoSPARQL WKT literal in CRS84 (lon/lat), `WKT_DECIMALS` decimals."""
    import shapely

    text = shapely.to_wkt(geometry, rounding_precision=WKT_DECIMALS, trim=True)
    return Literal(f"<{CRS84}> {text}", datatype=GEO.wktLiteral)


def parse_wkt(literal: str):
    """The shapely geometry of a WKT literal, with or without its CRS IRI in front."""
    import shapely

    text = str(literal).strip()
    if text.startswith("<"):
        text = text.split(">", 1)[1].strip()
    return shapely.from_wkt(text)


def simplified(geometry, tolerance: float = TOLERANCE):
    """`geometry` simplified at `tolerance` degrees, valid, always a (Multi)Polygon."""
    import shapely
    from shapely.geometry import MultiPolygon, Polygon

    g = shapely.make_valid(shapely.simplify(geometry, tolerance, preserve_topology=True))
    if isinstance(g, Polygon | MultiPolygon):
        return g if isinstance(g, MultiPolygon) else MultiPolygon([g])
    # make_valid may return a collection with stray lines: keep the areas.
    polygons = [p for part in getattr(g, "geoms", [g]) for p in getattr(part, "geoms", [part])
                if isinstance(p, Polygon) and not p.is_empty]
    return MultiPolygon(polygons)


@dataclass(frozen=True)
class Perimeters:
    """The 2024 QPV contours, and the 2015 -> 2024 successors of the correspondence table."""

    contours: dict[str, object]  # QN code -> shapely geometry (as published, not simplified)
    successors: dict[str, tuple[str, ...]]  # QP code -> QN codes

    def contour(self, code: str) -> tuple[object | None, tuple[str, ...]]:
        """(geometry, successors drawn through): a QN code's own contour, a QP code's successors'
        union; (None, ()) when the reference has neither."""
        import shapely

        if code in self.contours:
            return self.contours[code], ()
        drawn = tuple(c for c in self.successors.get(code, ()) if c in self.contours)
        if not drawn:
            return None, ()
        return shapely.union_all([self.contours[c] for c in drawn]), drawn


@lru_cache(maxsize=4)
def _load(perimeters: str, mtime: float, correspondence: str) -> Perimeters:
    import shapely
    from shapely.geometry import shape

    with open(perimeters, encoding="utf-8") as f:
        collection = json.load(f)
    # Rounding the published coordinates to 4 decimals left a third of the contours slightly
    # invalid (self-touching rings), which unions refuse: repaired once here.
    contours = {feature["properties"]["code_qp"]: shapely.make_valid(shape(feature["geometry"]))
                for feature in collection["features"] if feature.get("geometry")}
    successors: dict[str, list[str]] = defaultdict(list)
    if Path(correspondence).exists():
        with open(correspondence, encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                if row.get("qp2015") and row.get("qp2024"):
                    successors[row["qp2015"].strip()].append(row["qp2024"].strip())
    return Perimeters(contours, {k: tuple(v) for k, v in successors.items()})


def load_perimeters(reference_dir: Path) -> Perimeters | None:
    """The reference perimeters of `reference_dir`, or None when it has no perimeters file."""
    path = Path(reference_dir) / PERIMETERS_FILE
    if not path.exists():
        return None
    return _load(str(path), path.stat().st_mtime, str(Path(reference_dir) / CORRESPONDENCE_FILE))


def coded_neighbourhoods(triples: Iterable) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Neighbourhood URI -> (QPV code, territory URIs) from (s, p, o) string triples."""
    codes: dict[str, str] = {}
    territory: dict[str, set[str]] = defaultdict(set)
    neighbourhoods: set[str] = set()
    qpv_code, in_territory = str(CKG.qpvCode), str(CKG.territory)
    rdf_type, neighbourhood_class = str(RDF.type), str(CKG.Neighbourhood)
    for s, p, o in triples:
        if p == qpv_code:
            codes[s] = o
        elif p == in_territory and s.startswith(str(_NEIGHBOURHOOD_PATH)):
            territory[s].add(o)
        elif p == rdf_type and o == neighbourhood_class:
            neighbourhoods.add(s)
    return {s: (codes[s], tuple(sorted(territory.get(s, ())))) for s in sorted(neighbourhoods) if s in codes}


def _nt_triples(nt: str) -> Iterable[tuple[str, str, str]]:
    import pyoxigraph as ox

    for t in ox.parse(nt.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES):
        obj = t.object.value if isinstance(t.object, ox.Literal | ox.NamedNode) else str(t.object)
        yield t.subject.value if isinstance(t.subject, ox.NamedNode) else str(t.subject), t.predicate.value, obj


def geometry_graph(neighbourhoods: dict[str, tuple[str, tuple[str, ...]]], perimeters: Perimeters,
                   tolerance: float = TOLERANCE) -> tuple[Graph, list[str]]:
    """(the geometries' triples, the codes that found no contour) for `coded_neighbourhoods`."""
    import shapely

    g = Graph()
    g.bind("geo", GEO)
    g.bind("ckg", CKG)
    g.add((PERIMETERS_SOURCE, RDF.type, PROV.Entity))
    g.add((PERIMETERS_SOURCE, RDFS.label, Literal("Contours des QPV 2024 (ANCT), reference/" + PERIMETERS_FILE, lang="fr")))
    g.add((PERIMETERS_SOURCE, DCTERMS.license, LICENCE))
    missing: list[str] = []
    by_territory: dict[str, list] = defaultdict(list)
    tol = Literal(f"{tolerance:.6f}".rstrip("0"), datatype=XSD.decimal)
    for uri, (code, territories) in neighbourhoods.items():
        contour, drawn = perimeters.contour(code)
        if contour is None:
            missing.append(code)
            continue
        node, geometry = URIRef(uri), geometry_uri(uri)
        g.add((node, GEO.hasGeometry, geometry))
        g.add((node, GEO.hasDefaultGeometry, geometry))
        g.add((geometry, RDF.type, GEO.Geometry))
        g.add((geometry, GEO.asWKT, wkt_literal(simplified(contour, tolerance))))
        g.add((geometry, CKG.simplificationTolerance, tol))
        g.add((geometry, PROV.wasDerivedFrom, PERIMETERS_SOURCE))
        if drawn:
            g.add((geometry, RDF.type, CKG.SuccessorGeometry))
            for successor in drawn:
                g.add((geometry, CKG.drawnThrough, RES[f"qpv/{successor}"]))
        for territory in territories:
            by_territory[territory].append(contour)
    for territory, contours in by_territory.items():
        node, outline = URIRef(territory), outline_uri(territory)
        hull = shapely.convex_hull(shapely.GeometryCollection(contours))
        g.add((node, GEO.hasGeometry, outline))
        g.add((outline, RDF.type, GEO.Geometry))
        g.add((outline, RDF.type, CKG.ConvexHull))
        g.add((outline, GEO.asWKT, wkt_literal(hull)))
        g.add((outline, PROV.wasDerivedFrom, PERIMETERS_SOURCE))
    return g, sorted(set(missing))


def geometry_nt(nt: str, reference_dir: Path, log: Callable[[str], None] = print) -> str:
    """The N-Triples of the geometries of the coded neighbourhoods (and territories) of the
    N-Triples graph `nt`; "" (with a warning) when the reference has no perimeters."""
    perimeters = load_perimeters(reference_dir)
    if perimeters is None:
        log(f"warning: no {PERIMETERS_FILE} in {reference_dir} (CONTRATS_REFERENCE): neighbourhoods are "
            "left without geometries and maps are empty")
        return ""
    graph, missing = geometry_graph(coded_neighbourhoods(_nt_triples(nt)), perimeters)
    if missing:
        log(f"warning: no contour in {PERIMETERS_FILE} for {len(missing)} coded neighbourhood(s): "
            + ", ".join(missing[:10]) + ("…" if len(missing) > 10 else ""))
    return graph.serialize(format="nt")
