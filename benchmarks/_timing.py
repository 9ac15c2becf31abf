"""Latency helpers shared by the benchmarks: timing the search methods, p50/p95."""

from __future__ import annotations

import statistics
import time

SEARCH_METHODS = ("hybrid", "bm25", "dense")


def search_latencies(searcher, queries: list[str], filters, rounds: int = 3) -> dict[str, list[float]]:
    """Milliseconds per search for each method, plus hybrid with `filters`, over `rounds` passes.

    Warms up once (plain and filtered) before timing."""
    searcher.search(queries[0], k=10)
    searcher.search(queries[0], k=10, filters=filters)
    lat: dict[str, list[float]] = {m: [] for m in (*SEARCH_METHODS, "hybrid+filter")}
    for _ in range(rounds):
        for q in queries:
            for method in SEARCH_METHODS:
                t = time.perf_counter()
                searcher.search(q, k=10, method=method)
                lat[method].append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            searcher.search(q, k=10, filters=filters)
            lat["hybrid+filter"].append((time.perf_counter() - t) * 1000)
    return lat


def p50_p95(values: list[float]) -> tuple[float, float]:
    """Median and 95th percentile of `values` (0, 0 when empty; the value itself when single)."""
    if not values:
        return 0.0, 0.0
    if len(values) == 1:
        return values[0], values[0]
    return statistics.median(values), statistics.quantiles(values, n=20)[18]


def stop_server(server) -> None:
    """End a server started with `start_new_session=True` and its workers: TERM, then KILL."""
    import os
    import signal
    import subprocess

    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)


def run_threads(threads) -> float:
    """Start every client thread, wait for all; the wall seconds they took together."""
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.monotonic() - started
