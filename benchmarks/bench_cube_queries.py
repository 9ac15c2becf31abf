"""Every saved query before and after the comparison cube (issue 14), on Oxigraph and Virtuoso, in one run.

    .venv/bin/python benchmarks/bench_cube_queries.py --data /tmp/natdata359 --before 495b1d8 --virtuoso

For the current build in `--data`: each saved query (kg/queries/*.rq, default bindings) as it is
now and as it was at git revision `--before` (the queries before they read the build's comparison
counts, kg/graph/cube.py), on the build's own Oxigraph store opened read-only and, with `--virtuoso`, on
Debian's Virtuoso started on loopback (tests/virtuoso.py) and bulk-loaded with the build's
graph.nt. Median of `--repeat` runs after one warm-up, each query in a forked child with a time
budget (bench_scale's helpers), so a slow one is reported as "> budget", not waited for.
Virtuoso 7 as packaged by Debian caps a result at 10,000 rows (ResultSetMaxRows; raised here
to `--virtuoso-max-rows`, 1,000,000 by default, so that a national listing is compared whole;
the rows column says when the two stores' counts differ) and takes no polygon literals:
geometries are loaded as plain strings, as the SPARQL-server store does. `--virtuoso-buffers N`
sets its page buffers (NumberOfBuffers, 8 KB each; MaxDirtyBuffers three quarters of it) instead
of the packaged ini's.
Prints a Markdown table for BENCHMARKS.md, each cell "CPU ms / wall ms" (medians): on Oxigraph the
query process's CPU time, on Virtuoso the server process's (virtuoso-t, read from /proc around each
run) plus the client's (parsing the results), since on a machine shared with other jobs the wall
time measures the wait for a core too.

`--optimize` compacts a copy of the store first (pyoxigraph's Store.optimize): a store just
bulk-loaded, as a build leaves it, answers 1.5-3 times slower than the same store compacted.

`--add-contract-counts` measures a build made before the counts per contract existed (the
359-contract build of a frozen checkout): the counts (kg/graph/contract_counts.py, today's code) are
made on a copy of its store and added to the copy and to the graph Virtuoso loads, as a build
adds them; the build itself is not changed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_scale import _timed  # noqa: E402

from kg.build.pipeline import current_build  # noqa: E402
from kg.queries import saved_queries  # noqa: E402
from kg.sparql.store import DEFAULT_GRAPH, WKT_DATATYPE, open_store  # noqa: E402


def _before(revision: str, path: Path) -> str | None:
    relative = path.relative_to(ROOT)
    done = subprocess.run(["git", "show", f"{revision}:{relative}"], cwd=ROOT, capture_output=True, text=True)
    return done.stdout if done.returncode == 0 else None


def _process_cpu(pid: int | None) -> float:
    """CPU seconds (user + system) of this process, plus the server process `pid`'s if given (a
    query to Virtuoso costs its server's time and this client's, which parses the results)."""
    if pid is None:
        return time.process_time()
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK") + time.process_time()


def _cpu_wall_ms(run, repeat: int, pid: int | None = None) -> tuple[float, float, int]:
    """Median CPU time (of this process, or of the server `pid`) and wall time over `repeat` runs
    after a warm-up; (CPU ms, wall ms, rows)."""
    rows = len(run())
    cpu, wall = [], []
    for _ in range(repeat):
        c, w = _process_cpu(pid), time.perf_counter()
        run()
        wall.append((time.perf_counter() - w) * 1000)
        cpu.append((_process_cpu(pid) - c) * 1000)
    return statistics.median(cpu), statistics.median(wall), rows


def _oxigraph_cpu_child(store_path: str, text: str, repeat: int, conn) -> None:
    store = open_store("oxigraph", store_path, read_only=True)
    conn.send(_cpu_wall_ms(lambda: store.query(text), repeat))
    conn.close()


def _virtuoso_child(where: tuple[str, int], text: str, repeat: int, conn) -> None:
    url, pid = where
    store = open_store("sparql", url)
    try:
        conn.send(_cpu_wall_ms(lambda: store.query(text), repeat, pid))
    except Exception as e:  # a refusal of the server is a result of the benchmark
        conn.send(str(e).splitlines()[0][:80])
    conn.close()


def _server_pid(folder: Path) -> int:
    """The virtuoso-t started on `folder` (its private ini is there)."""
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if cmdline and cmdline[0].endswith(b"virtuoso-t") and str(folder).encode() in b" ".join(cmdline):
                return int(proc.name)
    raise RuntimeError(f"no virtuoso-t running on {folder}")


def _load_virtuoso(folder: Path, graph_nt: Path, isql_port: int) -> float:
    """Bulk-load graph.nt (WKT as plain strings) into our graph; seconds taken."""
    plain = folder / "graph.nt"
    with graph_nt.open(encoding="utf-8") as src, plain.open("w", encoding="utf-8") as out:
        for line in src:
            out.write(line.replace(WKT_DATATYPE, ""))
    isql = shutil.which("isql-vt") or shutil.which("isql")
    t = time.time()
    subprocess.run([isql, str(isql_port), "dba", "dba",
                    f"exec=ld_dir('{folder}', 'graph.nt', '{DEFAULT_GRAPH}'); rdf_loader_run(); checkpoint;"],
                   check=True, capture_output=True, timeout=3600)
    return time.time() - t


def _with_contract_counts(folder: Path, scratch: Path) -> tuple[Path, Path]:
    """A copy of the build's store and graph.nt with the counts per contract added; their paths."""
    from kg.graph.contract_counts import contract_parts

    shutil.copytree(folder / "store", scratch / "store")
    store = open_store("oxigraph", str(scratch / "store"), read_only=False)
    counts = scratch / "contract-counts.nt"
    with counts.open("w", encoding="utf-8") as f:
        for part in contract_parts(store):
            f.write(part.serialize(format="nt"))
    store.load_file(counts)
    store.close()
    graph = scratch / "graph.nt"
    with graph.open("wb") as out:
        for source in (folder / "graph.nt", counts):
            with source.open("rb") as f:
                shutil.copyfileobj(f, out)
    return scratch / "store", graph


def _ms(ms: float) -> str:
    return f"{ms:,.0f}" if ms >= 10 else f"{ms:.1f}"


def _cell(result: tuple[float, float, int] | str | None, budget: float) -> tuple[str, str]:
    if result is None:
        return f"> {budget * 1000:,.0f} (wall)", ""
    if isinstance(result, str):
        return f"error: {result}", ""
    cpu, wall, rows = result
    return f"{_ms(cpu)} / {_ms(wall)}", f"{rows:,}"


def _compacted(store_path: Path, scratch: Path) -> Path:
    """A compacted copy of the store (Oxigraph's optimize: one sorted run instead of the files a
    bulk load leaves); its path."""
    import pyoxigraph as ox

    copy = scratch / "compacted"
    shutil.copytree(store_path, copy)
    store = ox.Store(str(copy))
    store.optimize()
    store.flush()
    del store
    return copy


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--build", type=Path, default=None,
                        help="a build folder instead of --data's current one (a running build's, once its index stage began)")
    parser.add_argument("--before", default="495b1d8", help="git revision of the queries before the cube")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--budget", type=float, default=120.0, help="seconds per query (all its runs)")
    parser.add_argument("--virtuoso", action="store_true")
    parser.add_argument("--queries", nargs="*", default=None)
    parser.add_argument("--cpu", action="store_true", help="no effect: CPU and wall time are both printed now")
    parser.add_argument("--optimize", action="store_true", help="measure a compacted copy of the Oxigraph store")
    parser.add_argument("--virtuoso-max-rows", type=int, default=1_000_000,
                        help="Virtuoso's ResultSetMaxRows (packaged: 10,000)")
    parser.add_argument("--virtuoso-buffers", type=int, default=None,
                        help="Virtuoso's NumberOfBuffers (8 KB pages; default: the packaged ini's)")
    parser.add_argument("--add-contract-counts", action="store_true",
                        help="add the counts per contract to a copy of a build made without them")
    args = parser.parse_args()

    if (args.data is None) == (args.build is None):
        parser.error("give --data or --build")
    folder = args.build or current_build(args.data)
    print(f"build {folder}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load {os.getloadavg()}",
          flush=True)
    store_path, graph_nt = folder / "store", folder / "graph.nt"
    if args.add_contract_counts:
        t = time.time()
        store_path, graph_nt = _with_contract_counts(folder, Path(tempfile.mkdtemp(prefix="bench-counts-")))
        print(f"counts per contract added to a copy in {time.time() - t:.0f} s", flush=True)
    if args.optimize:
        t = time.time()
        store_path = _compacted(store_path, Path(tempfile.mkdtemp(prefix="bench-compacted-")))
        print(f"store compacted (a copy) in {time.time() - t:.0f} s", flush=True)
    queries = [q for q in saved_queries() if args.queries is None or q.name in args.queries]
    stores: dict[str, tuple] = {"Oxigraph": (_oxigraph_cpu_child, str(store_path))}
    virtuoso_ctx = None
    if args.virtuoso:
        from tests import virtuoso

        tmp = Path(tempfile.mkdtemp(prefix="bench-virtuoso-"))
        isql_port = virtuoso._free_port()
        original = virtuoso._free_port
        ports = iter([isql_port])
        virtuoso._free_port = lambda: next(ports, None) or original()  # learn the isql port it uses
        settings = {("SPARQL", "ResultSetMaxRows"): str(args.virtuoso_max_rows)}
        if args.virtuoso_buffers:
            settings[("Parameters", "NumberOfBuffers")] = str(args.virtuoso_buffers)
            settings[("Parameters", "MaxDirtyBuffers")] = str(args.virtuoso_buffers * 3 // 4)
        virtuoso_ctx = virtuoso.running_virtuoso(tmp, settings)
        url = virtuoso_ctx.__enter__()
        seconds = _load_virtuoso(tmp, graph_nt, isql_port)
        print(f"Virtuoso loaded graph.nt in {seconds:.0f} s", flush=True)
        stores["Virtuoso"] = (_virtuoso_child, (url, _server_pid(tmp)))
    try:
        header = ["saved query", "rows"] + [f"{s} {w}, CPU / wall ms" for s in stores for w in ("before", "after")]
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for q in queries:
            before = _before(args.before, q.path)
            cells, rows = [], ""
            for name, (target, where) in stores.items():
                after = _timed(target, (where, q.text, args.repeat), args.budget)
                after_ms, after_rows = _cell(after, args.budget)
                if rows and after_rows and after_rows != rows:
                    after_rows, rows = "", f"{rows} ({name}: {after_rows})"  # the stores disagree: say so
                if before is not None and before != q.text:
                    before_ms, _ = _cell(_timed(target, (where, before, args.repeat), args.budget), args.budget)
                else:
                    before_ms = "same query"
                cells += [before_ms, f"**{after_ms}**" if before_ms != "same query" else after_ms]
                rows = rows or after_rows
            print(f"| {q.name} | {rows} | " + " | ".join(cells) + " |", flush=True)
    finally:
        if virtuoso_ctx is not None:
            virtuoso_ctx.__exit__(None, None, None)
    print(f"done {time.strftime('%H:%M UTC', time.gmtime())}, load {os.getloadavg()}")


if __name__ == "__main__":
    main()
