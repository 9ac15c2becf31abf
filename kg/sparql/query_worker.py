"""Running untrusted SPARQL in worker processes that can be killed.

A query that runs for ever cannot be interrupted inside a thread, so each query runs in a
worker process holding the store open read-only; when the per-query timeout passes, the worker
is killed and replaced, and the client gets a timeout while the server stays up.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import queue
import sys
import threading
import time
import types
from dataclasses import dataclass
from pathlib import Path

from ingest import environment
from kg.sparql.results import serialize_graph, serialize_solutions


class QueryTimeout(Exception):
    pass


class QueryFailed(Exception):
    """The query is wrong (status 400) or too big (status 413)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class QueryAnswer:
    body: bytes
    media_type: str


@dataclass(frozen=True)
class StoreSource:
    """What a query worker opens, chosen by the build it serves (kg.facade.Build.query_pool):
    `oxigraph` a store folder (read-only), `graph` an N-Triples file (and its audit graph) loaded
    into memory, `sparql` a SPARQL 1.1 server's query URL. Plain strings: it crosses to a
    spawned process."""

    kind: str
    location: str

    def __post_init__(self) -> None:
        if self.kind not in ("oxigraph", "graph", "sparql"):
            raise ValueError(f"unknown store source {self.kind!r}: oxigraph, graph or sparql")


def _open_store(source: StoreSource):
    """pyoxigraph for a folder or a file (its own terms, serialised as they come); for a server,
    kg.sparql.store's connector, whose rdflib terms are turned into pyoxigraph's (kg.sparql.store.to_oxigraph)."""
    import pyoxigraph as ox

    if source.kind == "sparql":
        from kg.sparql.store import SparqlServerStore

        return SparqlServerStore(source.location)
    if source.kind == "oxigraph":
        return ox.Store.read_only(source.location)
    # Here, not at the top: kg.graph.uris imports rdflib (0.2 s in every worker process spawned,
    # and one is spawned again after each runaway query), and only this store kind needs it.
    from kg.graph.uris import AUDIT_FILE, REJECTED_GRAPH

    store = ox.Store()
    with open(source.location, "rb") as f:
        store.bulk_load(f, format=ox.RdfFormat.N_TRIPLES)
    audit = Path(source.location).with_name(AUDIT_FILE)  # rejected facts: a named graph, as in the built store
    if audit.is_file():
        with open(audit, "rb") as f:
            store.bulk_load(f, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(REJECTED_GRAPH))
    return store


def _server_answer(store, query: str, fmt: str, max_rows: int) -> tuple[bytes, str]:
    """A SPARQL server's answer, limited and serialised as the embedded store's are."""
    from urllib.error import HTTPError, URLError

    import pyoxigraph as ox

    from kg.sparql.store import to_oxigraph

    try:
        result = store.query(query)
    except HTTPError as e:  # the server refused the query: its status, its words
        detail = e.read().decode("utf-8", errors="replace")[:800]
        raise QueryFailed(f"the SPARQL server refused the query ({e.code}): {detail}",
                          e.code if 400 <= e.code < 500 else 502) from e
    except (URLError, ConnectionError, TimeoutError) as e:  # not the query's fault: say so, as 503
        raise QueryFailed(f"the SPARQL server cannot be reached: {e}", 503) from e
    if result.boolean is not None:
        return serialize_solutions([], [], fmt, boolean=result.boolean)
    if result.triples is not None:
        if len(result.triples) > max_rows:
            raise QueryFailed(f"more than {max_rows} result triples: add a LIMIT", 413)
        return serialize_graph([ox.Triple(*(to_oxigraph(t) for t in triple)) for triple in result.triples], fmt)
    if len(result.rows) > max_rows:
        raise QueryFailed(f"more than {max_rows} result rows: add a LIMIT", 413)
    return serialize_solutions(list(result.variables), [[to_oxigraph(t) for t in row] for row in result.rows], fmt)


def _limit_memory(megabytes: int | None) -> None:
    """Cap this worker's address space: a runaway query then fails its allocation (and the
    worker dies, to be replaced) instead of taking the machine's memory (3.9 GB in 10 s)."""
    if not megabytes:
        return
    import resource

    limit = megabytes * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _worker(conn, source: StoreSource, max_rows: int, memory_mb: int | None = None) -> None:
    import pyoxigraph as ox

    try:
        store = _open_store(source)
        _limit_memory(memory_mb)
    except Exception as e:
        # Say why to every query rather than dying at once: a pool of workers that die on start
        # answered "Broken pipe" to every query while /health said ok.
        reason = f"the store cannot be opened: {type(e).__name__}: {e}"
        while (message := conn.recv()) is not None:
            conn.send(("error", reason, 503))
        return
    while True:
        message = conn.recv()
        if message is None:
            return
        # (query, format) or (query, format, row limit): a saved query asked as such may return
        # more rows than free SPARQL (kg.serve); the pool's own limit otherwise.
        query, fmt = message[0], message[1]
        limit = message[2] if len(message) > 2 and message[2] else max_rows
        try:
            if source.kind == "sparql":
                body, media = _server_answer(store, query, fmt, limit)
                conn.send(("ok", body, media))
                continue
            result = store.query(query)
            if isinstance(result, ox.QueryBoolean):
                body, media = serialize_solutions([], [], fmt, boolean=bool(result))
            elif isinstance(result, ox.QuerySolutions):
                variables = [v.value for v in result.variables]
                rows = []
                for solution in result:
                    rows.append([solution[v] for v in variables])
                    if len(rows) > limit:
                        raise QueryFailed(f"more than {limit} result rows: add a LIMIT", 413)
                body, media = serialize_solutions(variables, rows, fmt)
            else:
                triples = []
                for triple in result:
                    triples.append(triple)
                    if len(triples) > limit:
                        raise QueryFailed(f"more than {limit} result triples: add a LIMIT", 413)
                body, media = serialize_graph(triples, fmt)
            conn.send(("ok", body, media))
        except QueryFailed as e:
            conn.send(("error", str(e), e.status))
        except (SyntaxError, ValueError, OSError) as e:
            conn.send(("error", str(e), 400))
        except MemoryError:
            conn.send(("error", f"query needed more than the worker's memory limit ({memory_mb} MB)", 503))
        except Exception as e:
            conn.send(("error", f"{type(e).__name__}: {e}", 400))


@contextlib.contextmanager
def _bare_main():
    """A spawned process first runs its parent's `__main__` file again (as `__mp_main__`). In the
    app, while a page runs, Streamlit makes that page `__main__`: every query worker would run the
    SPARQL console's page at start (Streamlit, pandas, the page's own work) before answering, and a
    query's timeout would count it. The workers need nothing of `__main__`: they start from a bare one."""
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if main is not None:
            sys.modules["__main__"] = main


class _Worker:
    def __init__(self, source: StoreSource, max_rows: int, memory_mb: int | None = None) -> None:
        ctx = mp.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker, args=(child, source, max_rows, memory_mb),
                                   daemon=True)
        with _bare_main():
            self.process.start()
        child.close()  # so that a dead worker shows as EOF here, not as a silent wait

    def kill(self) -> None:
        self.process.kill()
        self.process.join(5)


class PoolClosed(RuntimeError):
    """The pool was retired (the server moved to a newer build): ask the current one."""


def default_memory_mb() -> int:
    return environment.whole("CONTRATS_SPARQL_MEMORY_MB", DEFAULT_MEMORY_MB)


DEFAULT_MEMORY_MB = 2048


class QueryPool:
    """A fixed number of query workers; a request waits for a free one (bounded by the queue
    wait), runs for at most `timeout` seconds and `memory_mb` of address space, and is checked
    first (kg.sparql.guard: no SERVICE outside `allowed_services`, bounded nesting)."""

    def __init__(self, source: StoreSource, workers: int = 2,
                 timeout: float = 10.0, max_rows: int = 10_000, queue_wait: float | None = None,
                 allowed_services: tuple[str, ...] | None = None, memory_mb: int | None = None,
                 surge: int | None = None, surge_after: float = 1.0) -> None:
        self.memory_mb = default_memory_mb() if memory_mb is None else memory_mb
        self.source = source
        self._args = (source, max_rows, self.memory_mb)
        self.allowed_services = allowed_services
        self.workers = workers
        self.closed = False
        self.timeout = timeout
        self.longest_timeout = timeout  # the longest a query given its own timeout may run (a retiring pool waits for it)
        # How long a request may wait for a free worker. Kept apart from the query timeout: under
        # load, counting the wait against the timeout killed workers running ordinary queries.
        self.queue_wait = queue_wait if queue_wait is not None else float(
            environment.number("CONTRATS_SPARQL_QUEUE_WAIT", max(60.0, timeout)))
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._lock = threading.Lock()
        for _ in range(workers):
            self._idle.put(_Worker(*self._args))
        # Surge: when every worker has been held longer than `surge_after` seconds (runaway queries,
        # one per client address), a request gets a worker of its own rather than waiting for a
        # timeout to free one; at most `surge` of them at once, retired when no longer needed.
        self.surge = workers if surge is None else surge
        self.surge_after = surge_after
        self._extra = 0
        self._busy: dict[int, float] = {}  # id(worker) -> when its query started

    def run(self, query: str, fmt: str, wait: float | None = None, *, timeout: float | None = None,
            max_rows: int | None = None) -> QueryAnswer:
        """`timeout` and `max_rows`, when given, replace the pool's for this query only (the
        endpoint gives a saved query its own: kg.serve)."""
        from kg.sparql.guard import QueryRefused, check_query

        try:
            check_query(query, self.allowed_services)
        except QueryRefused as e:
            raise QueryFailed(str(e), e.status) from e
        if self.closed:
            raise PoolClosed("this build is no longer served")
        wait = self.queue_wait if wait is None else wait
        worker = self._take(wait)
        taken = id(worker)  # the worker may be replaced below (timeout, death): its slot is this one
        with self._lock:
            self._busy[taken] = time.monotonic()
        try:
            if not worker.process.is_alive():  # died while idle (killed, or its host slept): the query never ran
                worker.kill()
                worker = _Worker(*self._args)
            worker.conn.send((query, fmt, max_rows) if max_rows else (query, fmt))
            # The timeout counts the query's own run, from the moment a worker takes it.
            limit = timeout or self.timeout
            self.longest_timeout = max(self.longest_timeout, limit)
            if not worker.conn.poll(limit):
                worker.kill()
                worker = _Worker(*self._args)
                raise QueryTimeout(f"query exceeded the {limit:.0f} s timeout")
            status, payload, extra = worker.conn.recv()
        except (EOFError, BrokenPipeError, ConnectionResetError) as e:
            worker.kill()
            code = worker.process.exitcode
            worker = _Worker(*self._args)
            if code in (-6, 134) and self.memory_mb:
                # An allocation refused under the memory limit aborts the engine (SIGABRT).
                raise QueryTimeout(f"query stopped: it needed more than the worker's "
                                   f"{self.memory_mb} MB memory limit") from e
            raise QueryFailed(f"query worker died ({type(e).__name__}, exit {code}); it was replaced", 500) from e
        finally:
            self._give_back(worker, taken)
        if status == "ok":
            return QueryAnswer(payload, extra)
        raise QueryFailed(payload, extra)

    def _take(self, wait: float) -> _Worker:
        """An idle worker; or, when every worker has been busy for `surge_after` seconds, a new one."""
        deadline = time.monotonic() + wait
        while True:
            try:
                return self._idle.get(timeout=max(0.0, min(0.2, deadline - time.monotonic())))
            except queue.Empty:
                pass
            with self._lock:
                if self._jammed() and self._extra < self.surge:
                    self._extra += 1
                    surge = True
                else:
                    surge = False
            if surge:
                return _Worker(*self._args)
            if time.monotonic() >= deadline:
                raise QueryTimeout(f"server busy: no query worker free within {wait:.0f} s")

    def _jammed(self) -> bool:
        """As many queries as the pool has workers have each run longer than `surge_after`."""
        now = time.monotonic()
        return sum(now - t >= self.surge_after for t in self._busy.values()) >= self.workers

    def _give_back(self, worker: _Worker, taken: int) -> None:
        with self._lock:
            self._busy.pop(taken, None)
            # A surge worker stays while the long queries hold the pool, and goes when they end.
            surplus = self._extra > 0 and not self._jammed()
            if surplus:
                self._extra -= 1
        if surplus:  # back to the pool's own size: the surge is over for this worker
            with contextlib.suppress(OSError):
                worker.conn.send(None)
            worker.kill()
        else:
            self._idle.put(worker)

    def idle(self) -> bool:
        """Every worker is back (no query running)."""
        return self._idle.qsize() >= self.workers

    def close(self) -> None:
        self.closed = True
        while not self._idle.empty():
            w = self._idle.get_nowait()
            with contextlib.suppress(OSError):
                w.conn.send(None)
            w.kill()

    def __del__(self) -> None:
        # A pool dropped from a cache (the app's, after a rebuild) takes its workers with it.
        with contextlib.suppress(Exception):
            if not self.closed:
                self.close()
