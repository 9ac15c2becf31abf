"""The store seam's contract: every implementation (memory, Oxigraph, a SPARQL server) passes it.

The SPARQL-server case runs against Debian's Virtuoso started on loopback (tests/virtuoso.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import BNode, Literal, URIRef

from kg.sparql.store import QueryResult, Store, bind_values, open_store
from tests import virtuoso

EX = "https://example.org/"
HOSTILE = 'CAF "du Nord" } UNION { ?s ?p ?o } # commentaire'
GRAPH = f"""\
<{EX}caf> <{EX}label> "Caf du Nord"@fr .
<{EX}caf> <{EX}label> "{HOSTILE.replace('"', chr(92) + '"')}" .
<{EX}caf> <{EX}commitments> "3"^^<http://www.w3.org/2001/XMLSchema#integer> .
<{EX}caf> <{EX}kind> <{EX}Funder> .
<{EX}region> <{EX}label> "Région Hauts-de-France"@fr .
<{EX}region> <{EX}commitments> "5"^^<http://www.w3.org/2001/XMLSchema#integer> .
<{EX}region> <{EX}kind> <{EX}Funder> .
<{EX}commune> <{EX}label> "Commune de Feignies" .
_:sel <{EX}exact> "s'engage à" .
_:sel <{EX}start> "12"^^<http://www.w3.org/2001/XMLSchema#integer> .
<{EX}caf> <{EX}selector> _:sel .
"""
TRIPLES = 11


def require_virtuoso() -> None:
    """Skip when Virtuoso is not installed, unless CI asked for it (CONTRATS_WITH_VIRTUOSO=1): then fail."""
    if virtuoso.available():
        return
    if os.environ.get("CONTRATS_WITH_VIRTUOSO") == "1":
        pytest.fail("CONTRATS_WITH_VIRTUOSO=1 but virtuoso-t is not installed (scripts/setup.sh installs it)")
    pytest.skip("virtuoso-t is not installed: `apt-get install virtuoso-opensource` "
                "(or CONTRATS_WITH_VIRTUOSO=1 scripts/setup.sh) to run the SPARQL-server store test")


@pytest.fixture(scope="module")
def virtuoso_url(tmp_path_factory):
    require_virtuoso()
    with virtuoso.running_virtuoso(tmp_path_factory.mktemp("virtuoso")) as url:
        yield url


@pytest.fixture(params=["memory", "oxigraph", pytest.param("sparql", marks=pytest.mark.server)])
def store(request, tmp_path):
    nt = tmp_path / "graph.nt"
    nt.write_text(GRAPH, encoding="utf-8")
    if request.param == "sparql":
        url = request.getfixturevalue("virtuoso_url")
        s = open_store("sparql", url, update_url=url)
        s.clear()
    else:
        s = open_store(request.param, str(tmp_path / "store"))
    s.load_file(nt)
    yield s
    s.close()


def test_load_and_count(store) -> None:
    assert isinstance(store, Store)  # the typing.Protocol of kg.sparql.store: every backend implements it
    assert store.kind in ("memory", "oxigraph", "sparql")
    assert store.triples_count() == TRIPLES


def test_select_gives_rdflib_terms_and_python_values(store) -> None:
    result = store.query(f"SELECT ?who ?n WHERE {{ ?who <{EX}commitments> ?n }} ORDER BY DESC(?n)")
    assert isinstance(result, QueryResult)
    assert result.variables == ("who", "n")
    assert result.rows[0] == (URIRef(f"{EX}region"), Literal(5))
    assert result.values() == [(f"{EX}region", 5), (f"{EX}caf", 3)]
    assert result.column("n") == [5, 3]
    labels = store.query(f"SELECT ?l WHERE {{ <{EX}region> <{EX}label> ?l }}").rows
    assert labels == ((Literal("Région Hauts-de-France", lang="fr"),),)
    plain = store.query(f"SELECT ?l WHERE {{ <{EX}commune> <{EX}label> ?l }}").rows[0][0]
    assert plain == Literal("Commune de Feignies") and plain.datatype is None


def test_aggregates_optional_and_unbound(store) -> None:
    result = store.query(f"SELECT ?k (COUNT(?x) AS ?n) (SUM(?c) AS ?total) WHERE {{ ?x <{EX}kind> ?k . "
                         f"OPTIONAL {{ ?x <{EX}commitments> ?c }} }} GROUP BY ?k")
    assert result.dicts() == [{"k": f"{EX}Funder", "n": 2, "total": 8}]
    unbound = store.query(f"SELECT ?x ?c WHERE {{ ?x <{EX}label> ?l . OPTIONAL {{ ?x <{EX}commitments> ?c }} "
                          f"FILTER(?x = <{EX}commune>) }}")
    assert unbound.values() == [(f"{EX}commune", None)]


def test_ask_and_construct(store) -> None:
    assert store.query(f"ASK {{ <{EX}caf> <{EX}kind> <{EX}Funder> }}").boolean is True
    assert store.query(f"ASK {{ <{EX}caf> <{EX}kind> <{EX}Nothing> }}").boolean is False
    built = store.query(f"CONSTRUCT {{ ?x <{EX}funds> ?n }} WHERE {{ ?x <{EX}commitments> ?n }}")
    assert sorted(built.triples) == [(URIRef(f"{EX}caf"), URIRef(f"{EX}funds"), Literal(3)),
                                     (URIRef(f"{EX}region"), URIRef(f"{EX}funds"), Literal(5))]


def test_blank_nodes_keep_their_identity(store) -> None:
    """A blank node used in several triples stays one node (skolemised on a server)."""
    rows = store.query(f"SELECT ?e ?s WHERE {{ <{EX}caf> <{EX}selector> ?sel . ?sel <{EX}exact> ?e ; "
                       f"<{EX}start> ?s }}").values()
    assert rows == [("s'engage à", 12)]


def test_bindings_are_values(store) -> None:
    q = f"SELECT ?x WHERE {{ ?x <{EX}label> ?name }}"
    assert store.query(q, {"name": Literal("Caf du Nord", lang="fr")}).values() == [(f"{EX}caf",)]
    assert store.query(q, {"name": "Commune de Feignies"}).values() == [(f"{EX}commune",)]
    by_iri = store.query(f"SELECT ?l WHERE {{ ?x <{EX}label> ?l }} ORDER BY ?l", {"x": URIRef(f"{EX}region")})
    assert by_iri.values() == [("Région Hauts-de-France",)]


def test_bindings_are_seen_by_filters(store) -> None:
    """Bound before the group's FILTERs: an optional parameter is `!BOUND(?p) || ...`."""
    q = (f"SELECT ?x WHERE {{ ?x <{EX}label> ?l "
         f"FILTER(!BOUND(?needle) || CONTAINS(LCASE(STR(?l)), LCASE(?needle))) }} ORDER BY ?x")
    assert len(store.query(q).rows) == 4
    assert store.query(q, {"needle": "feignies"}).values() == [(f"{EX}commune",)]
    counted = store.query(f"SELECT (COUNT(?x) AS ?n) WHERE {{ ?x <{EX}kind> ?k FILTER(?k = ?kind) }}",
                          {"kind": URIRef(f"{EX}Funder")})
    assert counted.values() == [(2,)]


def test_hostile_values_cannot_inject(store) -> None:
    """Quotes, braces and `#` in a bound name are data: the exact label matches, nothing else does."""
    q = f"SELECT ?x WHERE {{ ?x <{EX}label> ?name }}"
    assert store.query(q, {"name": HOSTILE}).values() == [(f"{EX}caf",)]
    for attack in ['x" } UNION { ?x ?p ?o } #', "x' } ?x ?p ?o #", 'x"\n} UNION { ?x ?p ?o }', "\\",
                   'x""" ) } # ', "a\\\" } UNION { ?x ?p ?o } #"]:
        assert store.query(q, {"name": attack}).rows == ()
        assert store.query(f"SELECT ?x WHERE {{ ?x <{EX}label> ?l FILTER(CONTAINS(?l, ?name)) }}",
                           {"name": attack}).rows == ()
    assert store.triples_count() == TRIPLES
    with pytest.raises(ValueError):
        store.query(q, {"name": URIRef(EX + "x> } UNION { ?x ?p ?o } #")})
    with pytest.raises(ValueError):
        store.query(q, {"name} UNION {": "x"})
    with pytest.raises(ValueError):
        store.query(q, {"name": Literal("x", lang="fr} #")})


def test_clear_and_reload(store, tmp_path) -> None:
    store.clear()
    assert store.triples_count() == 0
    nt = tmp_path / "again.nt"
    nt.write_text(GRAPH, encoding="utf-8")
    store.load_file(nt)
    assert store.triples_count() == TRIPLES


def test_unknown_kind_and_missing_location() -> None:
    with pytest.raises(ValueError):
        open_store("neo4j", None)
    with pytest.raises(ValueError):
        open_store("oxigraph", None)
    with pytest.raises(ValueError):
        open_store("sparql", None)


def test_bind_values_places_the_block_in_the_where_group() -> None:
    q = ('PREFIX ex: <https://example.org/a#>\n# a comment with { braces\n'
         'SELECT ?x (COUNT(*) AS ?n) WHERE { ?x ex:p "}{" } GROUP BY ?x')
    out = bind_values(q, {"x": URIRef(EX + "a")})
    assert out.index("VALUES") > out.index("WHERE {") and out.index("VALUES") < out.index('"}{"')
    construct = bind_values("CONSTRUCT { ?x ?p ?o } WHERE { ?x ?p ?o }", {"x": URIRef(EX + "a")})
    assert construct.startswith("CONSTRUCT { ?x ?p ?o } WHERE { VALUES")
    with pytest.raises(ValueError):
        bind_values("CONSTRUCT WHERE { ?x ?p ?o }", {"x": URIRef(EX + "a")})
    assert bind_values(q, None) == q and bind_values(q, {}) == q


def test_bind_values_reaches_the_subqueries_that_read_a_parameter(tmp_path) -> None:
    """A subquery is evaluated on its own, so the value must be placed in it too: a saved query
    picks the territory asked for in a subquery before it joins the indicators (kg/queries/08)."""
    p, r = f"<{EX}p>", f"<{EX}q>"
    q = ("SELECT ?s ?o WHERE {\n  { SELECT ?s WHERE { ?s _P_ ?o FILTER(!BOUND(?want) || ?o = ?want) } }\n"
         "  # SELECT ?want { in a comment\n  { SELECT ?o WHERE { ?x _P_ ?o . ?x _R_ \"SELECT ?want {\" } }\n"
         "  ?s _P_ ?o }").replace("_P_", p).replace("_R_", r)
    out = bind_values(q, {"want": "b", "unread": 1})
    assert out.count("VALUES") == 2 and out.count('VALUES (?want) { ("b") }') == 1
    assert out.index('VALUES (?want) { ("b") }') < out.index(f"?s {p} ?o FILTER")
    nt = tmp_path / "graph.nt"
    nt.write_text(f'<{EX}one> <{EX}p> "a" .\n<{EX}two> <{EX}p> "b" .\n', encoding="utf-8")
    for kind in ("memory", "oxigraph"):
        store = open_store(kind, None if kind == "memory" else str(tmp_path / "store"))
        store.load_file(nt)
        text = "SELECT ?s WHERE { { SELECT ?s WHERE { ?s _P_ ?o FILTER(!BOUND(?want) || ?o = ?want) } } }".replace("_P_", p)
        assert [str(r[0]) for r in store.query(text, {"want": "b"}).rows] == [EX + "two"], kind
        assert len(store.query(text).rows) == 2, kind
        store.close()


def test_oxigraph_store_is_shared_read_only_between_processes(tmp_path) -> None:
    """The app, `contrats sparql` and the endpoint's workers open one built store at once."""
    nt = tmp_path / "graph.nt"
    nt.write_text(GRAPH, encoding="utf-8")
    writer = open_store("oxigraph", str(tmp_path / "store"))
    writer.load_file(nt)
    writer.close()
    del writer
    first = open_store("oxigraph", str(tmp_path / "store"))
    assert first.read_only
    code = ("import sys; sys.path.insert(0, sys.argv[2]); from kg.sparql.store import open_store; "
            "s = open_store('oxigraph', sys.argv[1]); print(s.read_only, s.triples_count())")
    others = [subprocess.run([sys.executable, "-c", code, str(tmp_path / "store"),
                              str(Path(__file__).resolve().parent.parent)],
                             capture_output=True, text=True, timeout=60) for _ in range(2)]
    for other in others:
        assert other.returncode == 0, other.stderr
        assert other.stdout.split() == ["True", str(TRIPLES)]
    assert first.triples_count() == TRIPLES
    assert isinstance(first.query(f"SELECT ?s WHERE {{ ?s <{EX}selector> ?b }}").rows[0][0], URIRef)
    assert not isinstance(first.query(f"SELECT ?b WHERE {{ ?s <{EX}selector> ?b }}").rows[0][0], URIRef | Literal)
    assert isinstance(first.query(f"SELECT ?b WHERE {{ ?s <{EX}selector> ?b }}").rows[0][0], BNode)


WKT = "<http://www.opengis.net/ont/geosparql#wktLiteral>"


@pytest.mark.server
def test_a_refused_update_does_not_poison_the_next_and_refused_geometries_are_kept(virtuoso_url, tmp_path) -> None:
    """Debian's Virtuoso 7 refuses polygon geo:wktLiterals. The refused request must not be sent
    again in front of every later one (rdflib keeps it pending), and the geometry is kept as text,
    said in the store's notes."""
    lines = [f"<{EX}s{i}> <{EX}p> \"v{i}\" ." for i in range(1200)]
    lines[10] = f'<{EX}a> <{EX}wkt> "<http://www.opengis.net/def/crs/OGC/1.3/CRS84> POLYGON((3.5 50.3, 3.6 50.3, 3.6 50.4, 3.5 50.3))"^^{WKT} .'
    lines[700] = f'<{EX}b> <{EX}wkt> "POLYGON((3.5 50.3, 3.6 50.3, 3.6 50.4, 3.5 50.3))"^^{WKT} .'
    nt = tmp_path / "g.nt"
    nt.write_text("\n".join(lines) + "\n", encoding="utf-8")
    store = open_store("sparql", virtuoso_url, update_url=virtuoso_url)
    store.clear()
    store.load_file(nt)
    assert store.triples_count() == 1200
    (wkt,), = store.query(f"SELECT ?w WHERE {{ <{EX}b> <{EX}wkt> ?w }}").values()
    assert wkt.startswith("POLYGON((3.5 50.3")
    assert len(store.notes) == 1 and "2 WKT geometries" in store.notes[0]
    store.clear()
    store.close()
