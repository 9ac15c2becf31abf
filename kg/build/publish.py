"""What a finished build promises, checked before it is published as `current`.

A build is linked as `current` only when every artefact its readers open exists and opens: the
JSON lines, one extraction per document, the graph, the summary, the search index (read through: what loading it checks) and,
for the on-disk store, the Oxigraph store (opened read-only and holding the graph's triples).
A build that fails this check is not published and the previous one stays current.
"""

from __future__ import annotations

import json
from pathlib import Path


class IncompleteBuild(RuntimeError):
    pass


def verify_build(folder: Path, store_kind: str, expected_model: str | None = None) -> None:
    """Raise IncompleteBuild naming the first missing or unreadable artefact of `folder`."""
    for name in ("documents.jsonl", "passages.jsonl", "graph.nt", "summary.json"):
        if not (folder / name).is_file():
            raise IncompleteBuild(f"{name} is missing")
    documents = [json.loads(line) for line in (folder / "documents.jsonl").read_text(encoding="utf-8").splitlines()
                 if line.strip()]
    if not documents:
        raise IncompleteBuild("documents.jsonl holds no document")
    for doc in documents:
        if not (folder / "extractions" / f"{doc['id']}.json").is_file():
            raise IncompleteBuild(f"extractions/{doc['id']}.json is missing")
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    try:
        from kg.search.index import SearchIndex

        records = SearchIndex.verify(folder / "index", expected_model=expected_model)
    except Exception as e:
        raise IncompleteBuild(f"the search index does not load ({type(e).__name__}: {e})") from e
    if records == 0:
        raise IncompleteBuild("the search index is empty")
    if store_kind == "oxigraph":
        from kg.sparql.store import open_store

        try:
            store = open_store("oxigraph", folder / "store", read_only=True)
            count = store.triples_count()
            store.close()
        except Exception as e:
            raise IncompleteBuild(f"the store does not open ({type(e).__name__}: {e})") from e
        if count == 0 or (summary.get("triples") and count < summary["triples"]):
            raise IncompleteBuild(f"the store holds {count} triples, the graph {summary.get('triples')}")
