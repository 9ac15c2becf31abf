"""Bounded load test of `contrats serve` on loopback: N concurrent clients for T seconds.

Each client runs the saved queries (kg/queries/*.rq, with their default bindings) in turn
against the SPARQL endpoint of the current build. Stops by itself; loopback only.

    .venv/bin/python benchmarks/bench_endpoint.py --data data --clients 50 --seconds 60
"""

from __future__ import annotations

import argparse
import socket
import statistics
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import uvicorn  # noqa: E402

from kg.build import current_build  # noqa: E402
from kg.serve import _examples, create_app  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=ROOT / "data")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    build = current_build(args.data)
    app = create_app(build, timeout=30, workers=args.workers)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    threading.Thread(target=server.run, daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(base + "/health", timeout=1)
            break
        except OSError:
            time.sleep(0.1)

    queries = [text for _, text in _examples()]
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + args.seconds

    def client(n: int) -> None:
        i = n
        while time.monotonic() < stop_at:
            q = queries[i % len(queries)]
            i += 1
            t = time.perf_counter()
            try:
                req = urllib.request.Request(base + "/sparql", data=urllib.parse.urlencode({"query": q}).encode(),
                                             headers={"Accept": "application/sparql-results+json"})
                with urllib.request.urlopen(req, timeout=60) as r:
                    r.read()
                with lock:
                    latencies.append((time.perf_counter() - t) * 1000)
            except Exception as e:
                with lock:
                    errors.append(f"{type(e).__name__}: {e}")

    threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    server.should_exit = True
    q = statistics.quantiles(latencies, n=20) if len(latencies) > 1 else [0] * 19
    print("| clients | seconds | saved queries | requests | throughput req/s | p50 ms | p95 ms | errors |")
    print("|---|---|---|---|---|---|---|---|")
    print(f"| {args.clients} | {elapsed:.0f} | {len(queries)} | {len(latencies)} | {len(latencies) / elapsed:.1f} | "
          f"{statistics.median(latencies):.0f} | {q[18]:.0f} | {len(errors)} |")
    if errors:
        print("\nfirst errors:", *sorted(set(errors))[:5], sep="\n- ")


if __name__ == "__main__":
    main()
