"""Bounded load test of `contrats serve` on loopback: N concurrent clients for T seconds.

Starts `contrats serve` (the real command, in its own process) on a free loopback port over the
current build of `--data`, waits for /health, then runs N client threads for T seconds: each
client posts the saved queries (kg/queries/*.rq, default bindings) in turn, one request at a time
(closed loop), and the server is stopped. Stops by itself; loopback only. Errors are counted by
HTTP status or exception; the load average before and after is printed.

    .venv/bin/python benchmarks/bench_endpoint.py --data data --clients 50 --seconds 60

The clients post each saved query's text unchanged, so the server runs them as saved queries
(kg.serve: their own row limit and timeout, their answers kept for the build); `--cache-mb 0`
measures the store itself, every request run. Every client is 127.0.0.1, one client address for
the server's per-client limit (`--max-per-client`, default workers - 1): pass `--max-per-client`
to let the 50 threads stand for 50 machines.
"""

from __future__ import annotations

import argparse
import collections
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _timing import p50_p95, run_threads, stop_server  # noqa: E402

from kg.build.pipeline import current_build  # noqa: E402
from kg.serve import _examples  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=ROOT / "data")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=None, help="`contrats serve --workers` (default: its own)")
    parser.add_argument("--timeout", type=float, default=None, help="`contrats serve --timeout` (default: its own)")
    parser.add_argument("--cache-mb", type=int, default=None, help="`contrats serve --cache-mb` (0: no answer kept)")
    parser.add_argument("--max-per-client", type=int, default=None, help="`contrats serve --max-per-client`")
    args = parser.parse_args()

    build = current_build(args.data)  # fails early, with the command to run, when there is no build
    port = _free_port()
    # This checkout's code (`python -m kg.cli` from ROOT), not whatever package the virtualenv's
    # `contrats` script imports (in a git worktree sharing another checkout's .venv, that one's).
    command = [sys.executable, "-m", "kg.cli", "serve", "--data", str(args.data),
               "--host", "127.0.0.1", "--port", str(port)]
    if args.workers:
        command += ["--workers", str(args.workers)]
    if args.timeout:
        command += ["--timeout", str(args.timeout)]
    if args.cache_mb is not None:
        command += ["--cache-mb", str(args.cache_mb)]
    if args.max_per_client:
        command += ["--max-per-client", str(args.max_per_client)]
    server = subprocess.Popen(command, cwd=ROOT, start_new_session=True)
    try:
        _run(args, build, f"http://127.0.0.1:{port}", server)
    finally:
        stop_server(server)


def command_options(args: argparse.Namespace) -> list[str]:
    """The server's options this run set (the others are its defaults)."""
    return [f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items()
            if k in ("workers", "timeout", "cache_mb", "max_per_client") and v is not None] or ["defaults"]


def _run(args: argparse.Namespace, build: Path, base: str, server: subprocess.Popen) -> None:
    for _ in range(1200):
        if server.poll() is not None:
            sys.exit(f"`contrats serve` exited with {server.returncode}")
        try:
            urllib.request.urlopen(base + "/health", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    load_before = os.getloadavg()[0]

    queries = [text for _, text in _examples()]
    latencies: list[float] = []
    errors: collections.Counter[str] = collections.Counter()
    per_query: dict[int, list[float]] = collections.defaultdict(list)
    lock = threading.Lock()
    stop_at = time.monotonic() + args.seconds

    def client(n: int) -> None:
        i = n
        while time.monotonic() < stop_at:
            which = i % len(queries)
            q = queries[which]
            i += 1
            t = time.perf_counter()
            try:
                req = urllib.request.Request(base + "/sparql", data=urllib.parse.urlencode({"query": q}).encode(),
                                             headers={"Accept": "application/sparql-results+json"})
                with urllib.request.urlopen(req, timeout=60) as r:
                    r.read()
                with lock:
                    latencies.append((time.perf_counter() - t) * 1000)
                    per_query[which].append(latencies[-1])
            except urllib.error.HTTPError as e:
                with lock:
                    errors[f"HTTP {e.code}: {e.read()[:200].decode(errors='replace')}"] += 1
            except Exception as e:
                with lock:
                    errors[f"{type(e).__name__}: {e}"] += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
    elapsed = run_threads(threads)
    p50, p95 = p50_p95(latencies)
    print(f"build {build.name}; load average (1 min) {load_before:.1f} before, {os.getloadavg()[0]:.1f} after; "
          f"server {' '.join(command_options(args))}\n")
    print("| clients | seconds | saved queries | requests | throughput req/s | p50 ms | p95 ms | errors |")
    print("|---|---|---|---|---|---|---|---|")
    print(f"| {args.clients} | {elapsed:.0f} | {len(queries)} | {len(latencies)} | {len(latencies) / elapsed:.1f} | "
          f"{p50:.0f} | {p95:.0f} | {sum(errors.values())} |")
    titles = [title.removeprefix("title:").strip() for title, _ in _examples()]
    print("\n| saved query | answered | p50 ms | p95 ms |")
    print("|---|---|---|---|")
    for which, title in enumerate(titles):
        values = per_query.get(which, [])
        if len(values) > 1:
            p50, p95 = p50_p95(values)
            print(f"| {title} | {len(values)} | {p50:.0f} | {p95:.0f} |")
        else:
            print(f"| {title} | {len(values)} | | |")
    if errors:
        print("\nerrors:", *(f"{n} × {e}" for e, n in errors.most_common(5)), sep="\n- ")


if __name__ == "__main__":
    main()
