"""Query latency of one encoder spec, as a user meets it: warm p50/p95 over the gold questions,
with 0, 1 or 2 busy loops beside it, with the query-time thread limits (kg.threads) or the
libraries' defaults; the CPU time of the query's thread (p50/p95: what a query costs whatever else
runs; with one thread, the wall time on an otherwise idle core); encode cost (passages/s); and the
cold start of `contrats search`.

Each measurement runs in a fresh process (thread settings are read when native libraries load).
`--rounds N` asks the gold questions N times. The encoder remembers the last questions' vectors
(kg/search/encoder.py, QUERY_MEMORY): a second round would time that memory, not the encoder (it once
gave a false p50 of 10 ms), so the memory is dropped before every round (`forget_queries`) and
every sample encodes its question. The searcher's own per-record facts (figures, folded texts) are
not dropped: round 1 is what a fresh process's first questions cost, later rounds what a server
that has answered some questions costs; the rows say which (`n`, `rounds`).
Busy loops are `python -c 'while True: pass'` processes started here and killed by their pid.
The machine is shared: the 1-minute load average is printed beside each row.

    python benchmarks/bench_query_latency.py --data /tmp/data-search --cache /tmp/data-search/embeddings \
        "builtin:e5-small"

The data directory's build gives the records; the dense index is made for the spec from the
embedding cache (so the spec need not be the one the build was made with).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def timed_rounds(searcher, encoder, queries: list[str], rounds: int) -> tuple[list[float], list[float]]:
    """Wall and thread-CPU milliseconds of every search, `rounds` times over `queries`; the
    encoder's remembered questions are dropped before each round, so every search encodes."""
    lat, cpu = [], []
    for _ in range(rounds):
        encoder.forget_queries()
        for q in queries:
            t, c = time.perf_counter(), time.thread_time()
            searcher.search(q, k=10)
            lat.append((time.perf_counter() - t) * 1000)
            cpu.append((time.thread_time() - c) * 1000)
    return lat, cpu


def child(args) -> None:
    if args.threads == "limited":
        from kg.threads import limit_query_threads

        limit_query_threads()
    from _timing import p50_p95

    from kg.build.pipeline import current_build
    from kg.search import gold as sg
    from kg.search.encoder import load_encoder
    from kg.search.index import SearchIndex
    from kg.search.searcher import Searcher
    from kg.search.understand import Understander

    build_dir = current_build(args.data)
    base = SearchIndex.load(build_dir / "index")
    encoder = load_encoder(args.spec, args.data / "models", cache_dir=args.cache)
    index = SearchIndex.build(base.records, encoder)
    searcher = Searcher(index, encoder, understander=Understander.from_build(build_dir))
    queries = [q.query for q in sg.load_gold()]
    searcher.search(queries[0])
    lat, cpu = timed_rounds(searcher, encoder, queries, args.rounds)
    p50, p95 = p50_p95(lat)
    cpu50, cpu95 = p50_p95(cpu)
    # CPU time of the query's thread: what the query costs, whatever else runs on the machine
    out = {"p50": round(p50, 1), "p95": round(p95, 1), "cpu_p50": round(cpu50, 1), "cpu_p95": round(cpu95, 1),
           "n": len(lat), "rounds": args.rounds}
    if args.encode:
        texts = [r.text for r in base.records[:: max(1, len(base.records) // args.encode)]][: args.encode]
        encoder_fresh = load_encoder(args.spec, args.data / "models")  # no cache: really encode
        encoder_fresh.encode_passages(texts[:4])
        t = time.perf_counter()
        encoder_fresh.encode_passages(texts)
        out["passages_per_s"] = round(len(texts) / (time.perf_counter() - t), 1)
    print(json.dumps(out))


def run_child(args, threads: str, busy: int, encode: int = 0) -> dict:
    loops = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(busy)]
    try:
        time.sleep(0.5 if busy else 0)
        load = os.getloadavg()[0]
        cmd = [sys.executable, __file__, "--child", "--spec", args.spec, "--data", str(args.data),
               "--cache", str(args.cache), "--threads", threads, "--rounds", str(args.rounds),
               "--encode", str(encode)]
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True).stdout
        result = json.loads(out.strip().splitlines()[-1])
        result["load_before"] = round(load, 2)
        result["load_after"] = round(os.getloadavg()[0], 2)
        return result
    finally:
        for p in loops:
            p.kill()
            p.wait()


def cold_start(args, repeats: int = 3) -> list[float]:
    """Seconds for `contrats search` (one query, from a fresh process) with this build."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), CONTRATS_MODEL=args.spec)
    out = []
    for _ in range(repeats):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "kg.cli", "search", "soutien à la parentalité à Arras",
                        "--data", str(args.data), "--k", "5"], capture_output=True, env=env, check=True,
                       cwd=ROOT)  # `-m` puts the working folder first: the checkout measured must be it
        out.append(round(time.perf_counter() - t, 2))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("spec", nargs="?")
    parser.add_argument("--spec", dest="spec_opt")
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--threads", default="limited", choices=["limited", "default"])
    parser.add_argument("--encode", type=int, default=0, help="also measure encoding this many passages")
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--conditions", default="limited:0,limited:1,limited:2,default:0,default:1")
    parser.add_argument("--cold", action="store_true", help="also time cold `contrats search` (the build's model)")
    args = parser.parse_args()
    args.spec = args.spec or args.spec_opt
    if args.child:
        child(args)
        return
    rows = {}
    for n, condition in enumerate(args.conditions.split(",")):
        threads, busy = condition.split(":")
        rows[condition] = run_child(args, threads, int(busy), encode=200 if n == 0 else 0)
        print(f"{args.spec} threads={threads} busy={busy}: {rows[condition]}", flush=True)
    if args.cold:
        rows["cold"] = cold_start(args)
        print(f"{args.spec} cold contrats search: {rows['cold']} s", flush=True)
    print(json.dumps({args.spec: rows}))


if __name__ == "__main__":
    main()
