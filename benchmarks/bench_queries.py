"""Saved-query latency, Oxigraph on disk against rdflib in memory; build time, triples, store size.

    .venv/bin/python benchmarks/bench_queries.py --data data                 # queries on the current build
    .venv/bin/python benchmarks/bench_queries.py --build corpus --data /tmp/bench-data   # + cold/incremental build

Each saved query (kg/queries/*.rq, default bindings) runs once to warm up, then `--repeat` times
on each store; the median is reported. rdflib runs are capped: a query slower than `--slow`
seconds is run once only. Prints Markdown tables for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg.build.pipeline import build, current_build  # noqa: E402
from kg.config import load_settings  # noqa: E402
from kg.queries import saved_queries  # noqa: E402
from kg.sparql.store import open_store  # noqa: E402


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def _time(store, text: str, repeat: int, slow: float) -> tuple[float, int]:
    """Median milliseconds over `repeat` runs after one warm-up (the warm-up alone when slow)."""
    t = time.perf_counter()
    rows = len(store.query(text))
    first = time.perf_counter() - t
    if first > slow:
        return first * 1000, rows
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        store.query(text)
        runs.append(time.perf_counter() - t)
    return statistics.median(runs) * 1000, rows


def bench_build(corpus: Path, data: Path) -> None:
    settings = load_settings(data)
    if data.exists() and any(data.iterdir()):
        sys.exit(f"--build measures a cold build: give a new or empty --data folder, not {data}")
    print("| build | seconds | documents reused | triples | graph.nt | Oxigraph store | stages (s) |")
    print("|---|---|---|---|---|---|---|")
    for label in ("cold", "incremental (nothing changed)"):
        t = time.perf_counter()
        summary = build([corpus], settings, log=lambda m: None)
        seconds = time.perf_counter() - t
        folder = current_build(data)
        stages = ", ".join(f"{k} {v:.1f}" for k, v in summary.stage_seconds.items())
        print(f"| {label} | {seconds:.1f} | {summary.reused}/{len(summary.documents)} | {summary.triples} | "
              f"{_mb(_size(folder / 'graph.nt'))} | {_mb(_size(folder / 'store'))} | {stages} |")
    print()


def bench_queries(data: Path, repeat: int, slow: float) -> None:
    folder = current_build(data)
    nt = folder / "graph.nt"
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        oxigraph = open_store("oxigraph", str(Path(tmp) / "store"))
        oxigraph.load_file(nt)
        ox_load = time.perf_counter() - t
        t = time.perf_counter()
        memory = open_store("memory", None)
        memory.load_file(nt)
        mem_load = time.perf_counter() - t
        print(f"{oxigraph.triples_count()} triples; load: Oxigraph {ox_load:.2f} s, rdflib {mem_load:.2f} s\n")
        print("| saved query | rows | Oxigraph ms | rdflib ms | rdflib / Oxigraph |")
        print("|---|---|---|---|---|")
        for q in saved_queries():
            ox_ms, rows = _time(oxigraph, q.text, repeat, slow)
            mem_ms, mem_rows = _time(memory, q.text, repeat, slow)
            assert rows == mem_rows, (q.name, rows, mem_rows)
            print(f"| {q.name} | {rows} | {ox_ms:.1f} | {mem_ms:.0f} | {mem_ms / max(ox_ms, 0.01):.0f}× |")
        oxigraph.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=ROOT / "data")
    parser.add_argument("--build", type=Path, default=None, help="Corpus to build (cold, then incremental) into --data first.")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--slow", type=float, default=5.0, help="Seconds above which a query is not repeated.")
    args = parser.parse_args()
    if args.build:
        bench_build(args.build, args.data)
    bench_queries(args.data, args.repeat, args.slow)


if __name__ == "__main__":
    main()
