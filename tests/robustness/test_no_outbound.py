"""Issue 12, items 4 and 6: queries make no outbound request, nesting is refused before the
engine, CORS is off by default, the Host header is checked, per-client and memory limits.

The SERVICE tests point at a listener on 127.0.0.1 that counts connections: it must receive
none. The control test allows that listener and checks it *is* contacted, so the listener would
see a request if one were made."""

from __future__ import annotations

import contextlib
import threading
import urllib.parse
from pathlib import Path

import pytest

from kg.serve import create_app
from tests.robustness.helpers import Listener, Server, cli, get


def _service_queries(url: str) -> list[str]:
    escaped = "".join(f"\\u{ord(c):04X}" for c in "SERVICE")
    return [
        f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ SERVICE SILENT <{url}> {{ ?s ?p ?o }} }}",
        f"select * where {{ service <{url}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ {escaped} <{url}> {{ ?s ?p ?o }} }}",  # \\u escapes are decoded by the parser
        f"PREFIX e: <{url.rsplit('/', 1)[0]}/> SELECT * WHERE {{ SERVICE e:sparql {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ VALUES ?e {{ <{url}> }} SERVICE ?e {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ ?s ?p ?o . {{ SELECT * WHERE {{ SERVICE <{url}> {{ ?a ?b ?c }} }} }} }} LIMIT 1",
    ]


@pytest.fixture
def listener():
    lst = Listener()
    yield lst
    lst.close()


@pytest.fixture
def endpoint(graph_build: Path):
    server = Server(create_app(graph_build, timeout=5, workers=2))
    yield server
    server.close()


def test_endpoint_refuses_service_and_contacts_nothing(endpoint: Server, listener: Listener) -> None:
    for query in _service_queries(listener.url):
        status, body, _ = get(endpoint.base + "/sparql?query=" + urllib.parse.quote(query))
        assert status == 400, (query, status, body)
        assert "SERVICE" in body
    status, _, _ = get(endpoint.base + "/sparql?query=" + urllib.parse.quote("SELECT * WHERE { ?s ?p ?o } LIMIT 1"))
    assert status == 200
    assert listener.connections == 0


def test_allowed_service_is_contacted_so_the_listener_would_see_a_request(graph_build: Path, listener: Listener) -> None:
    server = Server(create_app(graph_build, timeout=5, workers=1, allowed_services=[listener.url]))
    try:
        query = f"SELECT * WHERE {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }}"
        get(server.base + "/sparql?query=" + urllib.parse.quote(query))
    finally:
        server.close()
    assert listener.connections >= 1


def test_cli_and_app_console_and_stores_refuse_service(small_build, listener: Listener) -> None:
    from kg.sparql.guard import QueryRefused
    from kg.sparql.query_worker import QueryFailed, QueryPool, StoreSource
    from kg.sparql.store import MemoryStore

    build_dir = (small_build.data_dir / "current").resolve()
    for query in _service_queries(listener.url)[:2]:
        result = cli("sparql", query, "--data", str(small_build.data_dir))
        assert result.returncode == 1 and "SERVICE" in result.stderr and "Traceback" not in result.stderr
    # The app's console runs its queries through QueryPool.run, as here.
    pool = QueryPool(StoreSource("oxigraph", str(build_dir / "store")), workers=1, timeout=5)
    try:
        with pytest.raises(QueryFailed) as e:
            pool.run(_service_queries(listener.url)[0], "json")
        assert e.value.status == 400
    finally:
        pool.close()
    store = MemoryStore()
    store.load_file(build_dir / "graph.nt")
    with pytest.raises(QueryRefused):  # rdflib would make the request itself
        store.query(_service_queries(listener.url)[0])
    assert listener.connections == 0


def test_deep_nesting_is_refused_before_the_engine(endpoint: Server, small_build) -> None:
    deep = "SELECT * WHERE " + "{" * 10_000 + " ?s ?p ?o " + "}" * 10_000
    import urllib.request

    body = ""
    request = urllib.request.Request(endpoint.base + "/sparql", data=deep.encode(),
                                     headers={"Content-Type": "application/sparql-query"})
    try:
        urllib.request.urlopen(request, timeout=60)
        status = 200
    except urllib.error.HTTPError as e:
        status, body = e.code, e.read().decode()
    assert status == 400 and "nested" in body
    assert get(endpoint.base + "/health")[0] == 200  # no worker crashed
    result = cli("sparql", deep, "--data", str(small_build.data_dir))
    assert result.returncode == 1 and "nested" in result.stderr  # not rc 139 (a segfault)


def test_cors_only_for_named_origins(graph_build: Path) -> None:
    server = Server(create_app(graph_build, timeout=5, workers=1, cors_origins=["https://yasgui.example"]))
    try:
        url = server.base + "/sparql?query=" + urllib.parse.quote("ASK { ?s ?p ?o }")
        _, _, allowed = get(url, {"Origin": "https://yasgui.example"})
        _, _, other = get(url, {"Origin": "https://evil.example"})
    finally:
        server.close()
    assert allowed.get("access-control-allow-origin") == "https://yasgui.example"
    assert "access-control-allow-origin" not in {k.lower() for k in other}


def test_host_header_must_be_a_served_name(endpoint: Server) -> None:
    url = endpoint.base + "/sparql?query=" + urllib.parse.quote("ASK { ?s ?p ?o }")
    assert get(url, {"Host": "rebound.evil.example"})[0] == 400
    assert get(url, {"Host": f"localhost:{endpoint.port}"})[0] == 200
    assert get(url, {"Host": f"[::1]:{endpoint.port}"})[0] == 200


RUNAWAY_TIMEOUT = 30
FOREVER = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"


def _probe_during_runaways(graph_build: Path, runaway_sources: tuple[str, ...], settle: float) -> tuple[int, int]:
    """Start one runaway query from each of `runaway_sources` (an endpoint with 2 workers, one
    query at a time per address), then ask `ASK` from 127.0.0.2 (loopback too on Linux). Returns
    its status and how many runaway queries had finished when it was answered: checked by order
    of events, not by timing."""
    import http.client
    import multiprocessing
    import time

    # The runaways' timeout is only their margin over the probe, so it is long: once the probe
    # has its answer they are stopped (their workers killed), not waited for, which took 6 to 8 s
    # of each test's time (twice the timeout for two runaways of one address).
    ours_before = {p.pid for p in multiprocessing.active_children()}
    server = Server(create_app(graph_build, timeout=RUNAWAY_TIMEOUT, workers=2, per_client=1))
    finished: list[str] = []

    def ask(source: str, query: str) -> int:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60, source_address=(source, 0))
        conn.request("GET", "/sparql?query=" + urllib.parse.quote(query))
        response = conn.getresponse()
        response.read()
        return response.status

    def runaway(source: str) -> None:
        with contextlib.suppress(OSError, http.client.HTTPException):  # its worker killed below
            ask(source, FOREVER)
        finished.append(source)

    threads = [threading.Thread(target=runaway, args=(a,)) for a in runaway_sources]
    try:
        for t in threads:
            t.start()
        time.sleep(settle)  # let the runaway queries reach their workers (not an assertion on time)
        status = ask("127.0.0.2", "ASK { ?s ?p ?o }")
        answered_while = len(finished)
        # Every worker of this endpoint, as long as a runaway is running or waiting for one: a
        # second runaway of one address starts when the first ends, in a worker spawned anew.
        deadline = time.monotonic() + 60
        while any(t.is_alive() for t in threads) and time.monotonic() < deadline:
            for process in multiprocessing.active_children():
                if process.pid not in ours_before:
                    process.kill()
            time.sleep(0.05)
        assert not any(t.is_alive() for t in threads), "a runaway query outlived its killed workers"
    finally:
        server.close()
    return status, answered_while


def test_one_client_cannot_take_every_worker(graph_build: Path) -> None:
    """Two runaway queries from one address hold one worker between them; another address is
    answered meanwhile."""
    status, answered_while = _probe_during_runaways(graph_build, ("127.0.0.1", "127.0.0.1"), 0.5)
    assert status == 200
    assert answered_while == 0  # the runaway queries were still running when the other client got its answer


def test_worker_address_space_is_limited(graph_build: Path) -> None:
    from kg.sparql.query_worker import QueryPool, StoreSource

    pool = QueryPool(StoreSource("oxigraph", str(graph_build / "store")), workers=1, timeout=5, memory_mb=1500)
    try:
        pool.run("ASK { ?s ?p ?o }", "json")
        worker = pool._idle.queue[0]
        limits = Path(f"/proc/{worker.process.pid}/limits").read_text()
    finally:
        pool.close()
    line = next(line for line in limits.splitlines() if line.startswith("Max address space"))
    assert str(1500 * 1024 * 1024) in line


def test_from_clauses_select_graphs_and_fetch_nothing(endpoint: Server, listener: Listener) -> None:
    """FROM / FROM NAMED name graphs of the store (Oxigraph never loads them from the web), so
    they are allowed; the listener proves nothing is fetched."""
    for query in (f"SELECT * FROM <{listener.url}> WHERE {{ ?s ?p ?o }}",
                  f"SELECT * FROM NAMED <{listener.url}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"):
        status, body, _ = get(endpoint.base + "/sparql?query=" + urllib.parse.quote(query))
        assert status == 200, body
    assert listener.connections == 0


def test_runaway_queries_from_two_addresses_do_not_stall_a_third(graph_build: Path) -> None:
    """Two addresses each hold a worker with a runaway query (both workers of the pool); a third
    address is answered while both still run, by a surge worker."""
    status, answered_while = _probe_during_runaways(graph_build, ("127.0.0.1", "127.0.0.3"), 1.5)
    assert status == 200
    assert answered_while == 0  # both runaway queries were still running when the third address got its answer
