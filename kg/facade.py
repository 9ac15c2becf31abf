"""One built data directory, opened: the only place a front end gets a store, a searcher, the
extractions or SPARQL query workers.

    build = Build.current(settings)          # the data directory's `current` build (NoBuild if none)
    build.store()                            # the graph store settings.store names (caller closes it)
    build.searcher()                         # hybrid search over the build's index (one per process)
    build.extractions()                      # document id -> Extraction, typed, as the build saved it
    build.query_pool(workers=2, timeout=10)  # killable SPARQL workers on that same store
    build.summary                            # summary.json
    build.facts()                            # the reviewable facts (kg.review.reviewing)

The CLI (kg.cli), the endpoint (kg.serve, kg.endpoint.served_build), the app (search_app.py, app_pages/)
go through it; an import contract (pyproject.toml, [tool.importlinter]) keeps them from opening
kg.sparql.store, kg.search.index, kg.search.searcher or the query workers themselves. The store is chosen here and only
here, so with CONTRATS_STORE=sparql every front end reads the same server: the endpoint and the
app's SPARQL console once queried the build's graph.nt while the partners page queried the
server (tests/test_facade.py).
"""

from __future__ import annotations

import json
from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kg.build.pointer import NoBuild, current_build
from kg.config import Settings
from kg.jsonl import read_extraction_files
from kg.search.filters import Filters

if TYPE_CHECKING:
    from ingest.model import Extraction
    from kg.review.reviewing import BuildFacts
    from kg.search.searcher import Searcher
    from kg.sparql.query_worker import QueryPool, StoreSource
    from kg.sparql.store import Store

# Also Extraction, IndexMismatch, StoreError, QueryFailed and QueryTimeout, through __getattr__ below.
__all__ = ["Build", "BuildUnavailable", "Filters", "NoBuild", "open_searcher_of", "read_extraction_files"]


def __getattr__(name: str):
    """The errors a front end catches, from the modules that raise them, imported only when
    asked for: the CLI's light commands do not load rdflib or numpy to open the facade."""
    if name == "IndexMismatch":
        from kg.search.index import IndexMismatch

        return IndexMismatch
    if name == "StoreError":
        from kg.sparql.store import StoreError

        return StoreError
    if name == "Extraction":  # the typed record extractions() gives (ingest.model)
        from ingest.model import Extraction

        return Extraction
    if name in ("QueryFailed", "QueryTimeout"):
        from kg.sparql import query_worker

        return getattr(query_worker, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class BuildUnavailable(RuntimeError):
    """The build is incomplete (no store, no graph): it cannot answer, and says what to run."""


class Build:
    """A finished build folder and the settings it is read with. Opening is lazy: a `Build` costs
    a readlink; the index, the store or the extractions load on first use."""

    def __init__(self, folder: Path, settings: Settings) -> None:
        self.folder = Path(folder)
        self.settings = settings

    @classmethod
    def current(cls, settings: Settings) -> Build:
        """The data directory's current build; NoBuild (saying which command makes one) if none."""
        return cls(current_build(settings.data_dir), settings)

    @property
    def name(self) -> str:
        return self.folder.name

    def __repr__(self) -> str:
        return f"Build({str(self.folder)!r}, store={self.settings.store!r})"

    # ---------------------------------------------------------------- what the build wrote

    @cached_property
    def summary(self) -> dict[str, Any]:
        """summary.json: counts, SHACL, index, review and warnings of the build."""
        return json.loads((self.folder / "summary.json").read_text(encoding="utf-8"))

    def documents(self) -> dict[str, dict[str, Any]]:
        """Document id -> its documents.jsonl record (the shape `contrats ingest` writes)."""
        from kg.jsonl import read_jsonl

        return {d["id"]: d for d in read_jsonl(self.folder / "documents.jsonl")}

    def extractions(self) -> dict[str, Extraction]:
        """Document id -> its extraction, typed (ingest.model.Extraction), review fields included."""
        from ingest.extract.from_json import extraction_from_json

        return {doc: extraction_from_json(x) for doc, x in self.extraction_json().items()}

    def extraction_json(self) -> dict[str, dict[str, Any]]:
        """Document id -> its extraction in the `contrats extract --json` shape, as saved: for
        the exports and the review log, which write that shape."""
        return read_extraction_files(self.folder)

    def facts(self) -> BuildFacts:
        """The reviewable facts of the build and its passages (kg.review.reviewing)."""
        from kg.review.reviewing import BuildFacts

        return BuildFacts.read(self.folder, self.extraction_json())

    @property
    def graph_file(self) -> Path:
        return self.folder / "graph.nt"

    # ---------------------------------------------------------------- the graph store

    def store_source(self) -> StoreSource:
        """Where readers of this build find its graph, by settings.store: the build's Oxigraph
        folder, its graph.nt (memory), or the SPARQL server. An on-disk store that is missing is
        an error (an incomplete build), never replaced by an empty one."""
        from kg.sparql.query_worker import StoreSource

        kind = self.settings.store
        if kind == "sparql":
            if not self.settings.sparql_query_url:
                raise BuildUnavailable("CONTRATS_STORE=sparql needs CONTRATS_SPARQL_QUERY (the server's query URL)")
            return StoreSource("sparql", self.settings.sparql_query_url)
        if kind == "oxigraph":
            if not (self.folder / "store" / "CURRENT").exists():
                raise BuildUnavailable(f"build {self.name} has no Oxigraph store: run `contrats build` again")
            return StoreSource("oxigraph", str(self.folder / "store"))
        if kind == "memory":
            if not self.graph_file.is_file():
                raise BuildUnavailable(f"build {self.name} has no graph.nt: run `contrats build` again")
            return StoreSource("graph", str(self.graph_file))
        raise ValueError(f"unknown store kind {kind!r}: oxigraph, memory or sparql")

    def store(self) -> Store:
        """The build's graph as a kg.sparql.store Store, for reading (the caller closes it)."""
        from kg.sparql.store import open_store

        source = self.store_source()
        if source.kind == "sparql":
            return open_store("sparql", source.location, update_url=self.settings.sparql_update_url)
        if source.kind == "oxigraph":
            return open_store("oxigraph", source.location, read_only=True)
        from kg.graph.uris import AUDIT_FILE, REJECTED_GRAPH

        store = open_store("memory", None)
        store.load_file(self.graph_file)
        if (self.folder / AUDIT_FILE).exists():
            store.load_file(self.folder / AUDIT_FILE, graph=REJECTED_GRAPH)
        return store

    def query_pool(self, workers: int = 2, timeout: float = 10.0, max_rows: int = 10_000, **limits) -> QueryPool:
        """Killable SPARQL workers on the same store as `store()` (kg.sparql.query_worker); `limits`:
        queue_wait, allowed_services, memory_mb, surge. The caller holds the build (`lease()`)
        for as long as the pool runs."""
        from kg.sparql.query_worker import QueryPool

        return QueryPool(self.store_source(), workers=workers, timeout=timeout, max_rows=max_rows, **limits)

    def lease(self):
        """A hold on the build folder: a rebuild does not delete it while held (kg.build.lease)."""
        from kg.build.lease import BuildLease

        return BuildLease(self.folder)

    # ---------------------------------------------------------------- search

    def searcher(self) -> Searcher:
        """The build's searcher: its index, the encoder that built it and the understanding of
        its names (kg.search.understand); opened once per process and build."""
        s = self.settings
        return _open_searcher(self.folder, s.model, s.data_dir, s.reference_dir)


def open_searcher_of(settings: Settings) -> Searcher:
    """The current build's searcher (the endpoint's /search asks on every request, and so
    follows a rebuild)."""
    return Build.current(settings).searcher()


@cache
def _open_searcher(folder: Path, model: str, data_dir: Path, reference_dir: Path | None = None) -> Searcher:
    from kg.search.encoder import load_encoder
    from kg.search.index import SearchIndex
    from kg.search.searcher import Searcher
    from kg.search.understand import Understander

    index = SearchIndex.load(folder / "index", expected_model=model)
    return Searcher(index, load_encoder(model, data_dir / "models"),
                    understander=Understander.from_build(folder, reference_dir))
