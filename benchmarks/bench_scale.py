"""Comparison queries and search on a large build: Oxigraph (the built store) against rdflib.

    .venv/bin/python benchmarks/bench_scale.py --data /tmp/natdata50

For the current build in `--data`: the build's summary (documents, triples, stage times), sizes
on disk; each saved query (kg/queries/*.rq, default bindings) on the build's own Oxigraph store
(opened read-only) and on rdflib's in-memory Graph loaded from graph.nt; then `contrats search`
latency on the build's index. Every query runs in a forked child with a time budget (`--budget`
for rdflib, `--oxigraph-budget` for Oxigraph, whose child opens the store read-only itself) so
one slow query cannot stall the benchmark: a query over budget is reported as "> budget", not
waited for. Bounded; prints Markdown tables for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _timing import p50_p95, search_latencies  # noqa: E402

from kg.build.pipeline import current_build  # noqa: E402
from kg.queries import saved_queries  # noqa: E402
from kg.sparql.store import open_store  # noqa: E402

SEARCH_QUERIES = [
    "comment attirer des médecins dans les quartiers", "accès aux soins", "décrochage scolaire",
    "clause d'insertion dans les marchés publics", "soutien à la parentalité", "mobilité des jeunes",
    "school dropout prevention", "violences faites aux femmes",
]


def _size_mb(path: Path) -> float:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6
    return path.stat().st_size / 1e6


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _median_ms(run, repeat: int) -> tuple[float, int]:
    """Median of `repeat` timed runs after one warm-up run; (ms, rows)."""
    rows = len(run())
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        run()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), rows


_MEMORY = None  # the rdflib store, loaded in the parent and inherited by forked children


def _rdflib_child(text: str, repeat: int, conn) -> None:
    conn.send(_median_ms(lambda: _MEMORY.query(text), repeat))
    conn.close()


def _oxigraph_child(store_path: str, text: str, repeat: int, conn) -> None:
    store = open_store("oxigraph", store_path, read_only=True)
    conn.send(_median_ms(lambda: store.query(text), repeat))
    conn.close()


def _timed(target, args: tuple, budget: float) -> tuple[float, int] | None:
    """(median ms, rows) from `target` run in a forked child, or None past `budget` seconds."""
    parent, child = mp.Pipe(duplex=False)
    proc = mp.get_context("fork").Process(target=target, args=(*args, child))
    proc.start()
    child.close()
    result = parent.recv() if parent.poll(budget) else None
    if proc.is_alive():
        proc.kill()
    proc.join()
    return result


def main() -> None:
    global _MEMORY
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--budget", type=float, default=120.0, help="seconds allowed per rdflib query (all runs)")
    parser.add_argument("--oxigraph-budget", type=float, default=300.0, help="seconds per Oxigraph query")
    parser.add_argument("--queries", nargs="*", default=None, help="saved query names (default: all)")
    parser.add_argument("--no-rdflib", action="store_true")
    parser.add_argument("--no-search", action="store_true")
    args = parser.parse_args()
    folder = current_build(args.data)
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    passages = sum(d.get("passages", 0) for d in summary["documents"])
    print(f"build {folder.name}; load average at start {os.getloadavg()[0]:.1f}\n")
    print("| documents | passages | triples | build s | stages s | graph.nt MB | store MB | index MB | index records |")
    print("|---|---|---|---|---|---|---|---|---|")
    stages = ", ".join(f"{k} {v:.0f}" for k, v in summary["stage_seconds"].items())
    print(f"| {len(summary['documents'])} | {passages} | {summary['triples']} | {summary['seconds']:.0f} | {stages} | "
          f"{_size_mb(folder / 'graph.nt'):.0f} | {_size_mb(folder / 'store'):.0f} | "
          f"{_size_mb(folder / 'index'):.0f} | {summary['index'].get('count')} |\n")

    mem_load = None
    if not args.no_rdflib:
        rss0 = _rss_mb()
        t = time.perf_counter()
        _MEMORY = open_store("memory", None)
        _MEMORY.load_file(folder / "graph.nt")
        mem_load = time.perf_counter() - t
        print(f"rdflib Graph: loaded graph.nt in {mem_load:.1f} s; peak RSS {rss0:.0f} MB before, "
              f"{_rss_mb():.0f} MB after\n")
    print("| saved query | rows | Oxigraph ms | rdflib ms | rdflib / Oxigraph | load 1m |")
    print("|---|---|---|---|---|---|")
    for q in saved_queries():
        if args.queries is not None and q.name not in args.queries:
            continue
        timed = _timed(_oxigraph_child, (str(folder / "store"), q.text, args.repeat), args.oxigraph_budget)
        if timed is None:
            print(f"| {q.name} | | > {args.oxigraph_budget * 1000:.0f} (over budget) | | | "
                  f"{os.getloadavg()[0]:.1f} |", flush=True)
            continue
        ox_ms, rows = timed
        if args.no_rdflib:
            mem = "not run"
            ratio = ""
        else:
            timed = _timed(_rdflib_child, (q.text, args.repeat), args.budget)
            if timed is None:
                mem, ratio = f"> {args.budget * 1000:.0f} (over budget)", ""
            else:
                mem_ms, mem_rows = timed
                mem = f"{mem_ms:.0f}" + ("" if mem_rows == rows else f" ({mem_rows} rows!)")
                ratio = f"{mem_ms / max(ox_ms, 0.01):.0f}×"
        print(f"| {q.name} | {rows} | {ox_ms:.1f} | {mem} | {ratio} | {os.getloadavg()[0]:.1f} |", flush=True)

    if not args.no_search:
        _MEMORY = None
        _search(args.data, folder)


def _search(data_dir: Path, folder: Path) -> None:
    from kg.search.encoder import load_encoder
    from kg.search.index import SearchIndex
    from kg.search.searcher import Filters, Searcher

    t = time.perf_counter()
    index = SearchIndex.load(folder / "index")
    encoder = load_encoder(index.config["model"], data_dir / "models")
    searcher = Searcher(index, encoder)
    load_s = time.perf_counter() - t
    territory = next(r.territory for r in index.records if r.territory)
    lat = search_latencies(searcher, SEARCH_QUERIES, Filters(territories=(territory,)))
    print(f"\nsearch: index of {index.config['count']} records ({index.config['faiss']}) loaded in {load_s:.1f} s; "
          f"peak RSS {_rss_mb():.0f} MB; load 1m {os.getloadavg()[0]:.1f}\n")
    print("| method | p50 ms | p95 ms |")
    print("|---|---|---|")
    for method, values in lat.items():
        p50, p95 = p50_p95(values)
        print(f"| {method} | {p50:.1f} | {p95:.1f} |")


if __name__ == "__main__":
    main()
