"""The store seam: one small interface over Oxigraph on disk, rdflib in memory, or any SPARQL 1.1 server.

    store = open_store("oxigraph", "data/current/store")       # embedded, on disk (the default)
    store = open_store("memory", None)                         # rdflib Dataset (tests, small data)
    store = open_store("sparql", "http://host/sparql", update_url="http://host/sparql")

Every store has `load_file(path, graph=None)` (N-Triples, into the default graph or a named one),
`clear()`, `close()`, `triples_count()` (of the default graph) and `query(sparql, bindings)`,
which returns a `QueryResult` of rdflib terms whatever the backend. Queries read the default
graph; named graphs (the audit graph of rejected facts, kg.review.reviewed_graph) only through GRAPH.

Oxigraph is used through pyoxigraph directly rather than through oxrdflib: oxrdflib opens the
store read-write, which takes RocksDB's lock, while the app, `contrats sparql` and the endpoint's
query workers must open the same built store at the same time (`pyoxigraph.Store.read_only`);
pyoxigraph's `bulk_load` is also the fast path for loading the built graph. An existing store is
therefore opened read-only, and only reopened read-write on the first `load_file` or `clear`.

Bindings are values, never query text: see kg.sparql.text.
"""

from __future__ import annotations

import errno
import functools
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, overload, runtime_checkable

from rdflib import BNode, Dataset, Literal, URIRef
from rdflib.namespace import XSD

if TYPE_CHECKING:
    import pyoxigraph as ox
from rdflib.term import Node

from kg.sparql.guard import check_query
from kg.sparql.text import IRI, Binding, bind_values, query_form, skip_token

DEFAULT_GRAPH = "https://w3id.org/contrats-kg/graph"
# Triples per INSERT DATA request to a server: Virtuoso 7 compiles each request to SQL and
# refuses more than 10,000 lines of it (about 2,000 triples); a refused request is halved.
INSERT_CHUNK = 500
WKT_DATATYPE = "^^<http://www.opengis.net/ont/geosparql#wktLiteral>"


# ---------------------------------------------------------------- results

# RocksDB's messages for a full, over-quota or read-only disk: Oxigraph raises a bare OSError
# (no errno), which the build must tell apart from any other failure to say it in one line.
_DISK_MESSAGES = ((errno.ENOSPC, "No space left on device"), (errno.EDQUOT, "Disk quota exceeded"),
                  (errno.EROFS, "Read-only file system"))


def _with_errno(e: OSError) -> OSError:
    if e.errno is not None:
        return e
    for code, message in _DISK_MESSAGES:
        if message in str(e):
            return OSError(code, message, str(e))
    return e


class StoreError(RuntimeError):
    """The store (or the SPARQL server behind it) refused a query or an update."""


class StoreMissing(FileNotFoundError):
    """A reader asked for a store that is not there (never created in its place)."""


@dataclass(frozen=True)
class QueryResult:
    """A SELECT table (`variables`, `rows` of rdflib terms or None), an ASK `boolean`,
    or the `triples` of a CONSTRUCT/DESCRIBE."""

    variables: tuple[str, ...] = ()
    rows: tuple[tuple[Node | None, ...], ...] = ()
    boolean: bool | None = None
    triples: tuple[tuple[Node, Node, Node], ...] | None = None

    def values(self) -> list[tuple]:
        """Rows of plain Python values (str, int, date...; IRIs as str)."""
        return [tuple(python_value(t) for t in row) for row in self.rows]

    def dicts(self) -> list[dict]:
        return [dict(zip(self.variables, row, strict=True)) for row in self.values()]

    def column(self, name: str) -> list:
        i = self.variables.index(name)
        return [python_value(row[i]) for row in self.rows]

    def __len__(self) -> int:
        return len(self.rows) if self.triples is None else len(self.triples)


def python_value(term: Node | None):
    if term is None:
        return None
    if isinstance(term, Literal):
        value = term.toPython()
        return str(term) if isinstance(value, Literal) else value  # unknown datatypes stay text
    return str(term)


@overload
def _plain(term: Node) -> Node: ...


@overload
def _plain(term: Node | None) -> Node | None: ...


def _plain(term: Node | None) -> Node | None:
    """xsd:string literals as plain literals (the same in RDF 1.1), so backends compare equal."""
    if isinstance(term, Literal) and term.datatype == XSD.string:
        return Literal(str(term))
    return term


# ---------------------------------------------------------------- stores

class MemoryStore:
    """An rdflib Dataset: for tests and small data (slow past a few hundred thousand triples)."""

    kind = "memory"

    def __init__(self) -> None:
        self.graph = Dataset()  # queries read its default graph, named graphs through GRAPH

    def load_file(self, path: Path | str, graph: str | None = None) -> None:
        target = self.graph.graph(URIRef(graph)) if graph else self.graph.default_graph
        target.parse(str(path), format="nt")

    def clear(self) -> None:
        self.graph = Dataset()

    def close(self) -> None:
        pass

    def triples_count(self) -> int:
        return len(self.graph.default_graph)

    def query(self, sparql: str, bindings: Mapping[str, Binding] | None = None,
              allowed_services: Iterable[str] | None = None) -> QueryResult:
        check_query(sparql, allowed_services)  # rdflib runs SERVICE over HTTP too
        return _from_rdflib(self.graph.query(bind_values(sparql, bindings)))


def _from_rdflib(result) -> QueryResult:
    if result.type == "ASK":
        return QueryResult(boolean=bool(result.askAnswer))
    if result.type in ("CONSTRUCT", "DESCRIBE"):
        return QueryResult(triples=tuple((_plain(s), _plain(p), _plain(o)) for s, p, o in result.graph))
    variables = tuple(str(v) for v in result.vars)
    return QueryResult(variables, tuple(tuple(_plain(row[v]) for v in variables) for row in result))


class OxigraphStore:
    """Oxigraph (RocksDB) in a folder. Opened read-only when the folder already holds a store."""

    kind = "oxigraph"

    def __init__(self, path: Path | str, read_only: bool | None = None) -> None:
        import pyoxigraph as ox

        self.path = Path(path)
        if read_only is None:
            read_only = (self.path / "CURRENT").exists()
        elif read_only and not (self.path / "CURRENT").exists():
            # A reader never creates a store: an empty one in place of a missing one answered
            # every query with nothing (COUNT 0) instead of an error.
            raise StoreMissing(f"no Oxigraph store in {self.path}: the build is incomplete; "
                               "run `contrats build` again")
        self.read_only = read_only
        self._store: ox.Store | None = ox.Store.read_only(str(self.path)) if read_only else ox.Store(str(self.path))

    def _open(self) -> ox.Store:
        if self._store is None:
            raise StoreError("the store is closed")
        return self._store

    def _writable(self) -> ox.Store:
        import pyoxigraph as ox

        if self.read_only:
            self._store = None  # drop the read-only handle before taking the write lock
            self._store = ox.Store(str(self.path))
            self.read_only = False
        return self._open()

    def load_file(self, path: Path | str, graph: str | None = None) -> None:
        import pyoxigraph as ox

        store = self._writable()
        try:
            store.bulk_load(path=str(path), format=ox.RdfFormat.N_TRIPLES,
                            to_graph=ox.NamedNode(graph) if graph else None)
            store.flush()
        except OSError as e:
            raise _with_errno(e) from e

    def clear(self) -> None:
        self._writable().clear()

    def optimize(self) -> None:
        """Compact the store's files (RocksDB), which bulk loads leave in many levels."""
        self._writable().optimize()

    def close(self) -> None:
        if self._store is not None and not self.read_only:
            self._store.flush()
        self._store = None

    def triples_count(self) -> int:
        import pyoxigraph as ox

        result = self._open().query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        if not isinstance(result, ox.QuerySolutions):
            raise StoreError("a COUNT query answered no table")
        return int(next(iter(result))["n"].value)

    def query(self, sparql: str, bindings: Mapping[str, Binding] | None = None,
              allowed_services: Iterable[str] | None = None) -> QueryResult:
        import pyoxigraph as ox

        check_query(sparql, allowed_services)  # no SERVICE requests, no nesting that crashes the parser
        result = self._open().query(bind_values(sparql, bindings))
        if isinstance(result, ox.QueryBoolean):
            return QueryResult(boolean=bool(result))
        if isinstance(result, ox.QuerySolutions):
            variables = tuple(v.value for v in result.variables)
            # Each distinct term converted once per result: a listing repeats its territories,
            # generations and partners on every row, and an rdflib typed literal costs 20-30 µs to
            # make (at 359 contracts the conversion took longer than the query; BENCHMARKS.md).
            term = functools.cache(from_oxigraph)
            return QueryResult(variables, tuple(tuple(map(term, solution)) for solution in result))
        return QueryResult(triples=tuple(_triple_from_oxigraph(t) for t in result))


def _triple_from_oxigraph(t) -> tuple[Node, Node, Node]:
    s, p, o = from_oxigraph(t.subject), from_oxigraph(t.predicate), from_oxigraph(t.object)
    if s is None or p is None or o is None:
        raise StoreError("a triple without one of its terms")
    return s, p, o


def to_oxigraph(term: Node | None):
    """An rdflib term as pyoxigraph's (the query workers serialise pyoxigraph terms, whatever
    store answered: kg.sparql.query_worker)."""
    import pyoxigraph as ox

    if term is None:
        return None
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if not isinstance(term, Literal):
        raise TypeError(f"not an RDF term of a result: {term!r}")
    if term.language:
        return ox.Literal(str(term), language=term.language)
    if term.datatype is not None and term.datatype != XSD.string:
        return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
    return ox.Literal(str(term))


def from_oxigraph(term) -> Node | None:
    import pyoxigraph as ox

    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    datatype = term.datatype.value if term.datatype else None
    if datatype in (None, str(XSD.string)):
        return Literal(term.value)
    return Literal(term.value, datatype=URIRef(datatype))


class SparqlServerStore:
    """Any SPARQL 1.1 server (Virtuoso, Fuseki, GraphDB...) through rdflib's SPARQLUpdateStore.

    Our triples live in one named graph (`graph`), which queries read as their default graph
    (`default-graph-uri`) and `clear()` empties: the server's other graphs are never touched.
    Blank nodes are skolemised on load (RDF 1.1 §3.5), because chunked INSERT DATA requests
    would otherwise split one blank node into several.
    """

    kind = "sparql"

    def __init__(self, query_url: str, update_url: str | None = None, graph: str = DEFAULT_GRAPH) -> None:
        from rdflib.plugins.stores.sparqlstore import SPARQLUpdateStore

        if not query_url:
            raise ValueError("store=sparql needs a query endpoint URL (CONTRATS_SPARQL_QUERY)")
        if not IRI.match(graph):
            raise ValueError(f"not a valid graph IRI: {graph!r}")
        self.graph = graph
        self._wkt_as_text = False
        self._wkt_demoted = 0
        # One connection per answer shape: the Accept header must name a single kind of result,
        # or a server may answer a SELECT in RDF/XML.
        self._server, self._graphs = (
            SPARQLUpdateStore(query_endpoint=query_url, update_endpoint=update_url or query_url,
                              method="POST_FORM", returnFormat=fmt, autocommit=True)
            for fmt in ("json", "turtle"))

    def _update(self, text: str) -> None:
        from urllib.error import HTTPError

        try:
            self._server.update(text)
        except HTTPError as e:
            # rdflib keeps a refused update in its pending edits and sends it again, in front of
            # every later one, so one refusal would poison the whole load: drop it.
            self._server.rollback()
            detail = e.read().decode("utf-8", errors="replace")[:800]
            raise StoreError(f"SPARQL server refused an update ({e.code}): {detail}") from e

    def load_file(self, path: Path | str, graph: str | None = None) -> None:
        """Load N-Triples into `graph` (default: ours). A server that refuses GeoSPARQL geometry
        literals (Debian's Virtuoso 7 takes points only) gets those WKT texts as plain strings:
        said in `self.notes`, never dropped."""
        target = graph or self.graph
        genid = f"{self.graph}/.well-known/genid/{uuid.uuid4().hex}-"
        bnode = re.compile(r"_:([A-Za-z0-9_\-.]+)")
        chunk: list[str] = []
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                if "_:" in line:
                    line = _skolemise(line, bnode, genid)
                if self._wkt_as_text and WKT_DATATYPE in line:
                    line = line.replace(WKT_DATATYPE, "")
                    self._wkt_demoted += 1
                chunk.append(line)
                if len(chunk) >= INSERT_CHUNK:
                    self._insert(chunk, target)
                    chunk = []
        if chunk:
            self._insert(chunk, target)

    def _insert(self, lines: list[str], graph: str) -> None:
        """One INSERT DATA request; halved and retried when the server finds it too big."""
        try:
            self._update("INSERT DATA { GRAPH <" + graph + "> {\n" + "\n".join(lines) + "\n} }")
        except StoreError:
            if len(lines) == 1:
                if WKT_DATATYPE not in lines[0] or self._wkt_as_text:
                    raise
                self._wkt_as_text = True  # from now on, before sending
                self._wkt_demoted += 1
                self._insert([lines[0].replace(WKT_DATATYPE, "")], graph)
                return
            if self._wkt_as_text:
                self._wkt_demoted += sum(WKT_DATATYPE in ln for ln in lines)
                lines = [ln.replace(WKT_DATATYPE, "") for ln in lines]
            half = len(lines) // 2
            self._insert(lines[:half], graph)
            self._insert(lines[half:], graph)

    @property
    def notes(self) -> list[str]:
        if not self._wkt_demoted:
            return []
        return [f"the SPARQL server refused GeoSPARQL geometry literals: {self._wkt_demoted} WKT geometries "
                "were stored as plain strings (GeoSPARQL functions will not apply to them on this server)"]

    def clear(self) -> None:
        from kg.graph.uris import REJECTED_GRAPH

        self._update(f"CLEAR SILENT GRAPH <{self.graph}>")
        self._update(f"CLEAR SILENT GRAPH <{REJECTED_GRAPH}>")

    def close(self) -> None:
        self._server.close()
        self._graphs.close()

    def triples_count(self) -> int:
        result = self.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        return int(result.values()[0][0])

    def query(self, sparql: str, bindings: Mapping[str, Binding] | None = None,
              allowed_services: Iterable[str] | None = None) -> QueryResult:
        check_query(sparql, allowed_services)  # the server would make the SERVICE request
        server = self._graphs if query_form(sparql) in ("CONSTRUCT", "DESCRIBE") else self._server
        result = server.query(bind_values(sparql, bindings), queryGraph=self.graph)
        if isinstance(result, tuple):  # rdflib's connector returns (status, message, None) on HTTP errors
            raise StoreError(f"SPARQL server answered {result[0]}: {result[1]}")
        return _from_rdflib(result)


def _skolemise(line: str, bnode: re.Pattern, genid: str) -> str:
    """Blank node labels outside string literals become IRIs under `genid`."""
    out, i = [], 0
    while i < len(line):
        if line[i] == '"':
            j = skip_token(line, i)
            out.append(line[i:j])
            i = j
            continue
        m = bnode.match(line, i) if line.startswith("_:", i) else None
        if m:
            out.append(f"<{genid}{m.group(1).rstrip('.')}>")
            i = m.end() - (1 if m.group(1).endswith(".") else 0)
            continue
        out.append(line[i])
        i += 1
    return "".join(out)


@runtime_checkable
class Store(Protocol):
    """What every backend offers (tests/test_store.py holds each to it). Opened for readers by
    kg.facade.Build.store(), for the build by kg.build.graph_stage."""

    kind: str

    def load_file(self, path: Path | str, graph: str | None = None) -> None: ...

    def clear(self) -> None: ...

    def close(self) -> None: ...

    def triples_count(self) -> int: ...

    def query(self, sparql: str, bindings: Mapping[str, Binding] | None = None,
              allowed_services: Iterable[str] | None = None) -> QueryResult: ...


def open_store(kind: str, location: str | Path | None, update_url: str | None = None, *,
               read_only: bool | None = None, graph: str = DEFAULT_GRAPH) -> Store:
    """Open a store: "oxigraph" (location: a folder), "memory", or "sparql" (location: query URL)."""
    if kind == "oxigraph":
        if location is None:
            raise ValueError("store=oxigraph needs a folder")
        return OxigraphStore(location, read_only=read_only)
    if kind == "memory":
        return MemoryStore()
    if kind == "sparql":
        return SparqlServerStore(str(location or ""), update_url, graph=graph)
    raise ValueError(f"unknown store kind {kind!r}: oxigraph, memory or sparql")
