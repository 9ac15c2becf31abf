"""Running untrusted SPARQL in worker processes that can be killed.

A query that runs for ever cannot be interrupted inside a thread, so each query runs in a
worker process holding the store open read-only; when the per-query timeout passes, the worker
is killed and replaced, and the client gets a timeout while the server stays up.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import queue
import threading
from dataclasses import dataclass
from pathlib import Path

from kg.sparql_results import serialize_graph, serialize_solutions


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


def _open_store(store_path: str | None, graph_file: str | None):
    import pyoxigraph as ox

    if store_path:
        return ox.Store.read_only(store_path)
    store = ox.Store()
    with open(graph_file, "rb") as f:
        store.bulk_load(f, format=ox.RdfFormat.N_TRIPLES)
    return store


def _worker(conn, store_path: str | None, graph_file: str | None, max_rows: int) -> None:
    import pyoxigraph as ox

    store = _open_store(store_path, graph_file)
    while True:
        message = conn.recv()
        if message is None:
            return
        query, fmt = message
        try:
            result = store.query(query)
            if isinstance(result, ox.QueryBoolean):
                body, media = serialize_solutions([], [], fmt, boolean=bool(result))
            elif isinstance(result, ox.QuerySolutions):
                variables = [v.value for v in result.variables]
                rows = []
                for solution in result:
                    rows.append([solution[v] for v in variables])
                    if len(rows) > max_rows:
                        raise QueryFailed(f"more than {max_rows} result rows: add a LIMIT", 413)
                body, media = serialize_solutions(variables, rows, fmt)
            else:
                triples = []
                for triple in result:
                    triples.append(triple)
                    if len(triples) > max_rows:
                        raise QueryFailed(f"more than {max_rows} result triples: add a LIMIT", 413)
                body, media = serialize_graph(triples, fmt)
            conn.send(("ok", body, media))
        except QueryFailed as e:
            conn.send(("error", str(e), e.status))
        except (SyntaxError, ValueError, OSError) as e:
            conn.send(("error", str(e), 400))
        except Exception as e:
            conn.send(("error", f"{type(e).__name__}: {e}", 400))


class _Worker:
    def __init__(self, store_path: str | None, graph_file: str | None, max_rows: int) -> None:
        ctx = mp.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker, args=(child, store_path, graph_file, max_rows), daemon=True)
        self.process.start()

    def kill(self) -> None:
        self.process.kill()
        self.process.join(5)


class QueryPool:
    """A fixed number of query workers; a request waits for a free one (bounded by the timeout)."""

    def __init__(self, store_path: Path | None, graph_file: Path | None, workers: int = 2,
                 timeout: float = 10.0, max_rows: int = 10_000, queue_wait: float | None = None) -> None:
        self._args = (str(store_path) if store_path else None, str(graph_file) if graph_file else None, max_rows)
        self.timeout = timeout
        # How long a request may wait for a free worker. Kept apart from the query timeout: under
        # load, counting the wait against the timeout killed workers running ordinary queries.
        self.queue_wait = queue_wait if queue_wait is not None else float(
            os.environ.get("CONTRATS_SPARQL_QUEUE_WAIT", max(60.0, timeout)))
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._lock = threading.Lock()
        for _ in range(workers):
            self._idle.put(_Worker(*self._args))

    def run(self, query: str, fmt: str) -> QueryAnswer:
        try:
            worker = self._idle.get(timeout=self.queue_wait)
        except queue.Empty as e:
            raise QueryTimeout(f"server busy: no query worker free within {self.queue_wait:.0f} s") from e
        try:
            worker.conn.send((query, fmt))
            # The timeout counts the query's own run, from the moment a worker takes it.
            if not worker.conn.poll(self.timeout):
                worker.kill()
                worker = _Worker(*self._args)
                raise QueryTimeout(f"query exceeded the {self.timeout:.0f} s timeout")
            status, payload, extra = worker.conn.recv()
        except (EOFError, BrokenPipeError, ConnectionResetError) as e:
            worker.kill()
            worker = _Worker(*self._args)
            raise QueryFailed(f"query worker died: {e}", 500) from e
        finally:
            self._idle.put(worker)
        if status == "ok":
            return QueryAnswer(payload, extra)
        raise QueryFailed(payload, extra)

    def close(self) -> None:
        while not self._idle.empty():
            w = self._idle.get_nowait()
            with contextlib.suppress(OSError):
                w.conn.send(None)
            w.kill()
