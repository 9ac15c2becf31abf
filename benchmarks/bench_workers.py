"""A cold build of the shipped corpus with 1 and 2 worker processes (issue 14: per-document work in
parallel): wall time of the per-document stage (ingest, extract, graph) and of the whole build,
and peak memory of the build process and its workers.

    .venv/bin/python benchmarks/bench_workers.py corpus --workers 1 2

Each run starts from an empty data directory (nothing reused) with the fast word-vector encoder,
so that the search index stage stays small beside the per-document work. The machine is shared:
the load average is printed before and after each run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(corpus: Path, workers: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, CONTRATS_MODEL="builtin:fr-word-vectors", CONTRATS_STORE="oxigraph")
        load = os.getloadavg()[0]
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "kg.cli", "build", str(corpus), "--data", tmp, "--workers",
                        str(workers)], check=True, capture_output=True, env=env, cwd=ROOT)
        wall = time.perf_counter() - t
        summary = json.loads((Path(tmp) / "current" / "summary.json").read_text(encoding="utf-8"))
        # RUSAGE_CHILDREN: the largest resident set of any finished descendant (build or worker).
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        return {"workers": workers, "documents": len(summary["documents"]), "wall_s": round(wall, 1),
                "per_document_stage_s": summary["stage_seconds"].get("ingest+extract+graph"),
                "peak_rss_mb_so_far": round(peak_mb), "load_before": round(load, 2),
                "load_after": round(os.getloadavg()[0], 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    for n in args.workers:
        print(json.dumps(run(args.corpus.resolve(), n)), flush=True)


if __name__ == "__main__":
    main()
