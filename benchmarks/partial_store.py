"""A development store from the documents a build has finished so far, to work on queries at scale
before the build ends.

    .venv/bin/python benchmarks/partial_store.py /tmp/natdata359/cache /tmp/dev-store

The finished documents' cached graphs (DATA/cache/*/graph.nt, those with a `done` marker) and the
vocabulary (ontology/) are written to OUT/graph.nt and loaded into an Oxigraph store at OUT/store;
the comparison counts and counts per contract are made on it as a build makes them
(kg.graph.contract_counts.count_parts) and added; the store is compacted. No geometries, no
build activity, no SHACL, no index: for timing and comparing queries only, never a build.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg.graph.contract_counts import count_parts  # noqa: E402
from kg.graph.writer import vocabulary_graph  # noqa: E402
from kg.sparql.store import OxigraphStore  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("cache", type=Path, help="a data directory's cache folder")
    parser.add_argument("out", type=Path, help="a new folder")
    args = parser.parse_args()
    args.out.mkdir(parents=True)
    documents = sorted(d for d in args.cache.iterdir() if (d / "done").exists() and (d / "graph.nt").exists())
    graph = args.out / "graph.nt"
    with graph.open("wb") as f:
        for document in documents:
            f.write((document / "graph.nt").read_bytes())
        f.write(vocabulary_graph().serialize(format="nt").encode("utf-8"))
    store = OxigraphStore(args.out / "store", read_only=False)
    t = time.time()
    store.load_file(graph)
    print(f"{len(documents)} documents loaded in {time.time() - t:.0f} s", flush=True)
    t = time.time()
    counts = args.out / "counts.nt"
    with counts.open("w", encoding="utf-8") as f:
        for part in count_parts(store):
            f.write(part.serialize(format="nt"))
    store.load_file(counts)
    store.optimize()
    print(f"counts in {time.time() - t:.0f} s; {store.triples_count():,} triples", flush=True)
    store.close()


if __name__ == "__main__":
    main()
