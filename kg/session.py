"""Opening the built data once per process: the searcher, the store, the build summary."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from kg.config import Settings


@cache
def _open_searcher(build_dir: Path, model: str, data_dir: Path, reference_dir: Path | None = None):
    from kg.encoder import load_encoder
    from kg.index import SearchIndex
    from kg.search import Searcher
    from kg.understand import Understander

    index = SearchIndex.load(build_dir / "index", expected_model=model)
    return Searcher(index, load_encoder(model, data_dir / "models"),
                    understander=Understander.from_build(build_dir, reference_dir))


def searcher_of_build(build_dir: Path, settings: Settings):
    """The searcher of one given build (a server keeps answering from the build it started on)."""
    return _open_searcher(build_dir, settings.model, settings.data_dir, settings.reference_dir)


def open_searcher(settings: Settings):
    from kg.build import current_build

    build_dir = current_build(settings.data_dir)
    return _open_searcher(build_dir, settings.model, settings.data_dir, settings.reference_dir)


def build_summary(settings: Settings) -> dict:
    from kg.build import current_build

    return json.loads((current_build(settings.data_dir) / "summary.json").read_text(encoding="utf-8"))


def load_extractions(build_dir: Path) -> dict[str, dict]:
    """Document id -> its extraction (the `contrats extract --json` shape), as the build saved it."""
    return {p.stem: json.loads(p.read_text(encoding="utf-8"))
            for p in sorted((build_dir / "extractions").glob("*.json"))}


def open_graph_store(settings: Settings):
    """The store of the current build, as configured (read-only use)."""
    from kg.build import current_build
    from kg.store import open_store

    build_dir = current_build(settings.data_dir)
    if settings.store == "oxigraph":
        return open_store("oxigraph", str(build_dir / "store"), read_only=True)
    if settings.store == "sparql":
        return open_store("sparql", settings.sparql_query_url, update_url=settings.sparql_update_url)
    from kg.uris import AUDIT_FILE, REJECTED_GRAPH

    store = open_store("memory", None)
    store.load_file(build_dir / "graph.nt")
    if (build_dir / AUDIT_FILE).exists():
        store.load_file(build_dir / AUDIT_FILE, graph=REJECTED_GRAPH)
    return store
