"""A saved query before and after a rewrite, on one Oxigraph store: CPU, wall, rows, same rows and order.

    .venv/bin/python benchmarks/bench_query_rewrites.py --store /tmp/natdata359/current/store \\
        --before 645aa8b --queries signatories neighbourhoods-without-theme --bind territory=arras

For each saved query named: its text at git revision `--before` (the "before") and its text in the
working tree (the "after"), each run once to warm up then `--repeat` times on the store opened
read-only, in this process; the median CPU time of the process (the query and the conversion of
its result to rdflib terms, as every caller pays) and the median wall time. Then whether both
return the same rows (as multisets), and the same sequence of the query's sort keys (rows equal
on every key of ORDER BY may come in either order, in one run as in another), as
tests/test_query_rewrites.py checks on small graphs. `--bind name=value`
(repeatable) binds a parameter in both. On a shared machine read the CPU: the wall time includes
the wait for a core. Prints a Markdown table for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg.queries import find_saved_query  # noqa: E402
from kg.sparql.store import open_store  # noqa: E402

# The ORDER BY keys of the listings, as projected variables (tests/test_query_rewrites.py).
SORT_KEYS = {
    "territory-theme-matrix": ("territoryName", "theme"),
    "neighbourhoods-without-theme": ("territoryName", "generation", "neighbourhoodName"),
    "commitments-with-indicators": ("territoryName", "generation", "partnerName", "commitment", "indicator"),
    "signatories": ("territoryName", "generation", "signatory"),
}


def _text_at(revision: str, path: Path) -> str:
    done = subprocess.run(["git", "show", f"{revision}:{path.relative_to(ROOT)}"], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    return done.stdout


def _measure(store, text: str, bindings: dict, repeat: int) -> tuple[float, float, tuple, tuple]:
    """(median CPU ms, median wall ms, rows of the last run, its variables)."""
    result = store.query(text, bindings or None)
    cpu, wall = [], []
    for _ in range(repeat):
        c, w = time.process_time(), time.perf_counter()
        result = store.query(text, bindings or None)
        wall.append((time.perf_counter() - w) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    return statistics.median(cpu), statistics.median(wall), result.rows, result.variables


def _keys(rows: tuple, variables: tuple, name: str) -> list[tuple]:
    at = [variables.index(v) for v in SORT_KEYS.get(name, variables)]
    return [tuple(str(row[i]) for i in at) for row in rows]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", type=Path, required=True, help="an Oxigraph store folder (opened read-only)")
    parser.add_argument("--before", required=True, help="git revision of the queries before the rewrite")
    parser.add_argument("--queries", nargs="+", required=True, help="saved query names")
    parser.add_argument("--bind", action="append", default=[], help="name=value, in both texts")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    bindings = dict(b.split("=", 1) for b in args.bind)

    store = open_store("oxigraph", str(args.store), read_only=True)
    print(f"store {args.store}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
          f"load {tuple(round(x, 1) for x in os.getloadavg())}, bindings {bindings or 'none'}", flush=True)
    print("| saved query | rows | before: CPU / wall ms | after: CPU / wall ms | same rows | same order (sort keys) |")
    print("|---|---|---|---|---|---|")
    for name in args.queries:
        saved = find_saved_query(name)
        if saved is None:
            raise SystemExit(f"no saved query {name!r}")
        before = _measure(store, _text_at(args.before, saved.path), bindings, args.repeat)
        after = _measure(store, saved.text, bindings, args.repeat)
        same_rows = Counter(map(repr, before[2])) == Counter(map(repr, after[2]))
        same_order = _keys(before[2], before[3], name) == _keys(after[2], after[3], name)
        print(f"| {name} | {len(after[2]):,} | {before[0]:,.0f} / {before[1]:,.0f} | {after[0]:,.0f} / {after[1]:,.0f} "
              f"| {'yes' if same_rows else 'NO'} | {'yes' if same_order else 'NO'} |", flush=True)
    store.close()


if __name__ == "__main__":
    main()
