"""Robustness figures of issue 12, bounded in count and time, loopback only.

`load`: starts `contrats serve` (this checkout, `python -m kg.cli`) over `--data`, then runs
`--clients` closed-loop clients sending a simple query for `--seconds`, each from its own
loopback address (127.0.0.2, 127.0.0.3, …: one machine each, as the per-client limit sees
them), with `--runaway` more clients from one address sending a query that never ends (it runs
until the timeout; `--runaway-sources` spreads them over several addresses). Prints p50/p95 of the simple queries and the answers by status.

`encoder`: peak resident memory of encoding `--passages` ordinary passages, with and without
one passage of `--long-chars` characters (a million by default; each case in its own process,
ru_maxrss). With CONTRATS_ENCODE_MAX_TOKENS and CONTRATS_ENCODE_BATCH_TOKENS set very high the
bounds are off: keep `--long-chars` small then (the padding grows with it times the batch).

    python benchmarks/bench_robustness.py load --data DIR --clients 50 --runaway 2 --seconds 60
    python benchmarks/bench_robustness.py encoder --data DIR --passages 5000
"""

from __future__ import annotations

import argparse
import collections
import http.client
import json
import os
import resource
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _timing import p50_p95, run_threads, stop_server  # noqa: E402

SIMPLE = ("PREFIX ckg: <https://w3id.org/contrats-kg/ontology#> "
          "SELECT ?c ?t WHERE { ?c a ckg:Contract ; ckg:territory ?t } LIMIT 20")
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load(args: argparse.Namespace) -> None:
    port = _free_port()
    command = [sys.executable, "-m", "kg.cli", "serve", "--data", str(args.data), "--host", "127.0.0.1",
               "--port", str(port), *(["--workers", str(args.workers)] if args.workers else []),
               *(["--max-per-client", str(args.max_per_client)] if args.max_per_client else [])]
    server = subprocess.Popen(command, cwd=ROOT, start_new_session=True)
    try:
        for _ in range(1200):  # bounded: 120 s
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/health")
                break
            except OSError:
                time.sleep(0.1)
        time.sleep(1)
        _drive(args, port)
    finally:
        stop_server(server)


def _drive(args: argparse.Namespace, port: int) -> None:
    load_before = os.getloadavg()[0]
    latencies: list[float] = []
    statuses: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    lock = threading.Lock()
    stop_at = time.monotonic() + args.seconds

    def client(kind: str, query: str, source: str) -> None:
        path = "/sparql?query=" + urllib.parse.quote(query)
        while time.monotonic() < stop_at:
            t = time.perf_counter()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120, source_address=(source, 0))
                conn.request("GET", path, headers={"Accept": "application/sparql-results+json"})
                response = conn.getresponse()
                response.read()
                conn.close()
                status = str(response.status)
            except Exception as e:
                status = type(e).__name__
            with lock:
                statuses[kind][status] += 1
                if kind == "simple" and status == "200":
                    latencies.append((time.perf_counter() - t) * 1000)

    threads = [threading.Thread(target=client, args=("simple", SIMPLE, f"127.0.0.{2 + n}"))
               for n in range(args.clients)]
    threads += [threading.Thread(target=client, args=("runaway", RUNAWAY, f"127.0.1.{1 + n % args.runaway_sources}"))
                for n in range(args.runaway)]
    elapsed = run_threads(threads)
    p50, p95 = p50_p95(latencies) if latencies else (float("nan"), float("nan"))
    print(f"load average (1 min) {load_before:.2f} before, {os.getloadavg()[0]:.2f} after; {os.cpu_count()} cores\n")
    print("| simple clients | runaway clients (addresses) | max per client | seconds | simple answered | req/s | "
          "p50 ms | p95 ms | simple by status | runaway by status |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    print(f"| {args.clients} | {args.runaway} ({args.runaway_sources}) | {args.max_per_client or 'default'} | "
          f"{elapsed:.0f} | {len(latencies)} | {len(latencies) / elapsed:.1f} | "
          f"{p50:.0f} | {p95:.0f} | {dict(statuses['simple'])} | {dict(statuses['runaway'])} |")


def _encode_case(args: argparse.Namespace, with_long: bool) -> None:
    """In a child process: encode and print the peak resident memory."""
    from kg.build.pipeline import current_build
    from kg.config import load_settings
    from kg.jsonl import read_jsonl
    from kg.search.encoder import load_encoder

    settings = load_settings(args.data)
    texts = [p["text"] for p in read_jsonl(current_build(args.data) / "passages.jsonl")]
    texts = (texts * (args.passages // max(1, len(texts)) + 1))[:args.passages]
    if with_long:
        phrase = "la caf s'engage pour la parentalité "
        texts.append(phrase * (args.long_chars // len(phrase)))  # one passage of --long-chars characters
    encoder = load_encoder(settings.model, args.data / "models")
    t = time.perf_counter()
    encoder.encode_passages(texts)
    print(json.dumps({"seconds": round(time.perf_counter() - t, 1),
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}))


def encoder(args: argparse.Namespace) -> None:
    print(f"model {os.environ.get('CONTRATS_MODEL', '(default)')}; {args.passages} passages; "
          f"load average {os.getloadavg()[0]:.2f}; {os.cpu_count()} cores\n")
    print("| corpus | encode s | peak RSS MB |\n|---|---|---|")
    for with_long in (False, True):
        out = subprocess.run([sys.executable, __file__, "_encode", "--data", str(args.data),
                              "--passages", str(args.passages), "--long-chars", str(args.long_chars),
                              *(["--long"] if with_long else [])],
                             capture_output=True, text=True, cwd=ROOT, timeout=3600)
        if out.returncode != 0:
            print(f"| {'with' if with_long else 'without'} a 1M-character passage | failed | {out.stderr[-300:]} |")
            continue
        result = json.loads(out.stdout.strip().splitlines()[-1])
        label = f"plus one {args.long_chars:,}-character passage" if with_long else "ordinary passages"
        print(f"| {label} | {result['seconds']} | {result['peak_mb']} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["load", "encoder", "_encode"])
    parser.add_argument("--data", type=Path, default=ROOT / "data")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--runaway", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--max-per-client", type=int, default=None, help="`contrats serve --max-per-client`")
    parser.add_argument("--runaway-sources", type=int, default=1, help="addresses the runaway clients come from")
    parser.add_argument("--passages", type=int, default=5000)
    parser.add_argument("--long", action="store_true")
    parser.add_argument("--long-chars", type=int, default=1_000_000)
    args = parser.parse_args()
    if args.mode == "load":
        load(args)
    elif args.mode == "encoder":
        encoder(args)
    else:
        _encode_case(args, args.long)


if __name__ == "__main__":
    main()
