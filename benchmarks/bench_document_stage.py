"""The per-document stage of a build (ingest, extraction, graph, per-document SHACL), one process:
CPU seconds per document, where they go, and whether a change kept its output.

    .venv/bin/python benchmarks/bench_document_stage.py --dump /tmp/stage-before corpus/*.txt /tmp/national/synthetic-cn0*.txt
    .venv/bin/python benchmarks/bench_document_stage.py --check /tmp/stage-before corpus/*.txt ...
    .venv/bin/python benchmarks/bench_document_stage.py --profile /tmp/stage.prof corpus/arras*.txt
    .venv/bin/python benchmarks/bench_document_stage.py --stages /tmp/national/synthetic-cn01001m.txt ...

Each document goes through the build's own worker job (`kg.build.pipeline._document_job`) into a fresh
cache folder, so what is timed is what a build worker does. The first document is run once
before the timing (imports, spaCy and the extraction model loading: once per worker in a build).
`--stages` times each part of the job separately instead (reading, extraction, graph, N-Triples
out and back, SHACL). `--dump` keeps each document's extraction.json, graph.nt (sorted) and SHACL failures; `--check`
compares today's with a dump and exits 1 if any differs. The machine's load is printed:
CPU time is the figure to compare on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.limits import Limits  # noqa: E402
from kg.build.pipeline import _document_job  # noqa: E402
from kg.config import load_settings  # noqa: E402
from kg.graph.validate import SHAPES  # noqa: E402


def outputs(folder: Path, failures: tuple) -> dict[str, str]:
    """What must not change: the extraction, the graph (as a sorted set of lines) and its failures."""
    graph = sorted(set((folder / "graph.nt").read_text(encoding="utf-8").splitlines()))
    return {"extraction.json": json.dumps(json.loads((folder / "extraction.json").read_text(encoding="utf-8")),
                                          ensure_ascii=False, indent=0, sort_keys=True),
            "graph.nt": "\n".join(graph) + "\n",
            "passages.jsonl": (folder / "passages.jsonl").read_text(encoding="utf-8"),
            "shacl.json": json.dumps(sorted(json.dumps(f.to_json(), sort_keys=True) for f in failures))}


def stage_seconds(path: Path, settings) -> dict[str, float]:
    """CPU seconds of each part of the worker's job on one document, without a profiler (which
    inflates the Python-heavy parts): reading, extraction, graph, N-Triples out and back, SHACL."""
    import json as _json

    from ingest.corpus import ingest_file
    from ingest.extract.pipeline import extract
    from ingest.extract.to_json import extraction_to_json
    from kg.build.validate_document import graph_failures, parse_nt
    from kg.graph.writer import extraction_to_graph

    seconds: dict[str, float] = {}

    def timed(name, work):
        cpu = time.process_time()
        out = work()
        seconds[name] = round(time.process_time() - cpu, 2)
        return out

    ingested = timed("ingest", lambda: ingest_file(path, Limits()))
    x = timed("extract", lambda: extract(ingested.document, ingested.passages, reference_csv=settings.qpv_table))
    timed("to_json", lambda: _json.dumps(extraction_to_json(x), ensure_ascii=False))
    graph = timed("graph", lambda: extraction_to_graph(x, ingested.passages))
    nt = timed("serialize", lambda: graph.serialize(format="nt"))
    parsed = timed("parse_nt", lambda: parse_nt(nt))
    timed("shacl", lambda: graph_failures(parsed, SHAPES))
    seconds["total"] = round(sum(seconds.values()), 2)
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", type=Path, nargs="+")
    parser.add_argument("--dump", type=Path, help="keep each document's outputs in this folder")
    parser.add_argument("--check", type=Path, help="compare each document's outputs with this dump")
    parser.add_argument("--profile", type=Path, help="write a cProfile of the timed documents here")
    parser.add_argument("--stages", action="store_true", help="CPU seconds of each part, per document")
    args = parser.parse_args()
    settings = load_settings()
    if args.stages:
        stage_seconds(args.files[0], settings)  # imports and models, once per worker in a build
        for path in args.files:
            print(path.name, json.dumps(stage_seconds(path, settings)), flush=True)
        print(json.dumps({"load": round(os.getloadavg()[0], 2)}))
        return 0
    cache = Path(tempfile.mkdtemp(prefix="stage-"))
    differ = 0
    try:
        _document_job(args.files[0], cache / "warm", "warm", settings.qpv_table, Limits(), SHAPES)
        profile = None
        if args.profile:
            import cProfile
            profile = cProfile.Profile()
        load = os.getloadavg()[0]
        cpu_total = 0.0
        for path in args.files:
            cpu = time.process_time()
            if profile:
                profile.enable()
            outcome = _document_job(path, cache, "v", settings.qpv_table, Limits(), SHAPES)
            if profile:
                profile.disable()
            cpu = time.process_time() - cpu
            cpu_total += cpu
            if outcome.failure:
                print(f"{path.name}: failed: {outcome.failure}")
                differ += 1
                continue
            out = outputs(outcome.folder, outcome.shape_failures)
            print(f"{path.name}: {cpu:.2f} s CPU", flush=True)
            if args.dump:
                (args.dump / path.stem).mkdir(parents=True, exist_ok=True)
                for name, text in out.items():
                    (args.dump / path.stem / name).write_text(text, encoding="utf-8")
            if args.check:
                for name, text in out.items():
                    if (args.check / path.stem / name).read_text(encoding="utf-8") != text:
                        print(f"  DIFFERS: {name}")
                        differ += 1
        print(json.dumps({"documents": len(args.files), "cpu_s_per_document": round(cpu_total / len(args.files), 2),
                          "load_before": round(load, 2), "load_after": round(os.getloadavg()[0], 2),
                          "differ": differ if args.check else None}))
        if profile:
            profile.dump_stats(args.profile)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
