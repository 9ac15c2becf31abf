"""The SPARQL endpoint, driven by SPARQLWrapper over real HTTP on loopback."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pyoxigraph as ox
import pytest
from SPARQLWrapper import CSV, JSON, TSV, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed, SPARQLWrapperException

ROOT = Path(__file__).resolve().parent.parent
EX = "https://example.org/"


def _graph(path: Path, n: int = 300) -> None:
    lines = []
    for i in range(n):
        lines.append(f'<{EX}s{i}> <{EX}label> "Quartier n°{i} « test »"@fr .')
        lines.append(f"<{EX}s{i}> <{EX}next> <{EX}s{(i + 1) % n}> .")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The endpoint runs in its own process, in its own process group: when it does not come up, what
# it wrote says why, and it is killed with its query workers instead of being polled for minutes
# (the thread it once ran in left a silent loop and 220 s waits: BENCHMARKS, the fast test loop).
SERVER = """
import sys
from pathlib import Path

import uvicorn

from kg.serve import create_app

uvicorn.run(create_app(Path(sys.argv[1]), timeout=3, max_rows=400, workers=2),
            host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""
# Generous for a loaded machine (two query workers spawned), short of a hang.
HEALTH_BUDGET = 90.0


def _stop(proc: subprocess.Popen) -> None:
    """The process and what it spawned (its group: the query workers), politely first."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(10)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(10)


def _fail(proc: subprocess.Popen, why: str, log: Path) -> NoReturn:
    _stop(proc)
    tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-40:]
    pytest.fail(f"{why}; the endpoint's stderr ends with:\n" + ("\n".join(tail) or "(nothing)"), pytrace=False)


def wait_for_health(proc: subprocess.Popen, url: str, log: Path, budget: float = HEALTH_BUDGET) -> None:
    """Return once `url` answers 200; else kill `proc` and fail with the end of `log`."""
    deadline = time.monotonic() + budget
    last = "no answer"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            _fail(proc, f"the endpoint exited with code {proc.returncode} before {url} answered", log)
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
                last = f"HTTP {response.status}"
        except urllib.error.HTTPError as e:
            last = f"HTTP {e.code} {e.read()[:300].decode('utf-8', 'replace')}"
        except OSError as e:
            last = f"{type(e).__name__}: {e}"
        time.sleep(0.1)
    _fail(proc, f"{url} did not answer 200 within {budget:.0f} s (last: {last})", log)


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory) -> Iterator[str]:
    build = tmp_path_factory.mktemp("build")
    _graph(build / "graph.nt")
    with serve_graph(build, SERVER, (), build.parent / "endpoint.log") as url:
        yield url + "/sparql"


@contextlib.contextmanager
def serve_graph(build: Path, server: str, args: tuple[str, ...], log: Path) -> Iterator[str]:
    """Load `build`/graph.nt into an Oxigraph store there, run the `server` script on it (argv: the
    build, a free port, then `args`) until it answers /health, and give its base URL."""
    store = ox.Store(str(build / "store"))
    store.bulk_load(path=str(build / "graph.nt"), format=ox.RdfFormat.N_TRIPLES)
    del store
    port = _free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-c", server, str(build), str(port), *args], cwd=ROOT,
                                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(proc, url + "/health", log)
        yield url
    finally:
        _stop(proc)


def test_a_server_that_never_answers_fails_the_wait_with_its_stderr(tmp_path: Path) -> None:
    """The endpoint fixture's wait cannot pass silently: a process that never answers is killed
    and named with the end of what it wrote; one that exits is reported at once."""
    log = tmp_path / "log"
    url = f"http://127.0.0.1:{_free_port()}/health"
    hanging = ("import sys, time; print('stuck loading the store', file=sys.stderr, flush=True); time.sleep(120)",
               "did not answer 200 within 1 s", "stuck loading the store")
    exiting = ("import sys; print('Traceback: no store here', file=sys.stderr); sys.exit(3)",
               "exited with code 3", "Traceback: no store here")
    for code, reason, stderr in (hanging, exiting):
        with log.open("wb") as out:
            proc = subprocess.Popen([sys.executable, "-c", code], stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        started = time.monotonic()
        with pytest.raises(pytest.fail.Exception) as failed:
            wait_for_health(proc, url, log, budget=1.0)
        assert reason in str(failed.value) and stderr in str(failed.value), str(failed.value)
        assert proc.poll() is not None and time.monotonic() - started < 20


def _client(url: str, query: str, fmt=JSON, method: str = "GET") -> SPARQLWrapper:
    sw = SPARQLWrapper(url)
    sw.setQuery(query)
    sw.setReturnFormat(fmt)
    sw.setMethod(method)
    return sw


COUNT = f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s <{EX}label> ?l }}"


def test_select_in_every_result_format(endpoint: str) -> None:
    result = _client(endpoint, COUNT).query().convert()
    assert result["results"]["bindings"][0]["n"]["value"] == "300"
    xml = _client(endpoint, COUNT, XML).query().convert()
    assert xml.getElementsByTagName("literal")[0].firstChild.data == "300"
    csv_text = _client(endpoint, COUNT, CSV).query().convert().decode()
    assert csv_text.splitlines() == ["n", "300"]
    tsv_text = _client(endpoint, COUNT, TSV).query().convert().decode()
    assert tsv_text.splitlines()[0] == "?n"


def test_post_and_language_tags_survive(endpoint: str) -> None:
    q = f'SELECT ?l WHERE {{ <{EX}s7> <{EX}label> ?l }}'
    result = _client(endpoint, q, JSON, "POST").query().convert()
    binding = result["results"]["bindings"][0]["l"]
    assert binding == {"type": "literal", "value": "Quartier n°7 « test »", "xml:lang": "fr"}


def test_construct_returns_turtle(endpoint: str) -> None:
    q = f"CONSTRUCT {{ ?s <{EX}next> ?o }} WHERE {{ ?s <{EX}next> ?o }} LIMIT 5"
    body = _client(endpoint, q, TURTLE).query().convert()
    import rdflib

    graph = rdflib.Graph().parse(data=body, format="turtle")
    assert len(graph) == 5


def test_updates_are_refused_in_every_form(endpoint: str) -> None:
    insert = f'INSERT DATA {{ <{EX}x> <{EX}label> "pirate" }}'
    for request in (
        urllib.request.Request(endpoint + "?update=" + urllib.parse.quote(insert)),
        urllib.request.Request(endpoint, data=insert.encode(), headers={"Content-Type": "application/sparql-update"}),
        urllib.request.Request(endpoint, data=insert.encode(), headers={"Content-Type": "application/sparql-query"}),
        urllib.request.Request(endpoint, data=urllib.parse.urlencode({"update": insert}).encode()),
        urllib.request.Request(endpoint + "?query=" + urllib.parse.quote("# comment\n" + insert)),
    ):
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(request, timeout=10)
        assert 400 <= e.value.code < 500
    assert _client(endpoint, COUNT).query().convert()["results"]["bindings"][0]["n"]["value"] == "300"


def test_syntax_error_is_a_400_and_server_stays_up(endpoint: str) -> None:
    with pytest.raises(QueryBadFormed):
        _client(endpoint, "SELECT ?x WHERE { ?x ").query()
    assert _client(endpoint, COUNT).query().convert()["results"]["bindings"]


def test_runaway_query_times_out_and_server_stays_up(endpoint: str) -> None:
    forever = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"
    started = time.monotonic()
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(endpoint + "?query=" + urllib.parse.quote(forever), timeout=30)
    assert e.value.code == 503
    assert time.monotonic() - started < 15
    assert _client(endpoint, COUNT).query().convert()["results"]["bindings"][0]["n"]["value"] == "300"


def test_huge_result_is_refused_cleanly(endpoint: str) -> None:
    with pytest.raises((SPARQLWrapperException, urllib.error.HTTPError)) as e:
        _client(endpoint, "SELECT * WHERE { ?s ?p ?o }").query()
    assert "413" in str(e.value) or "LIMIT" in str(e.value)
    limited = _client(endpoint, "SELECT * WHERE { ?s ?p ?o } LIMIT 10").query().convert()
    assert len(limited["results"]["bindings"]) == 10


def test_cors_off_by_default_and_home_page(endpoint: str) -> None:
    # CORS is off unless origins are named (`--cors-origin`; tests/robustness/test_endpoint_guard.py).
    request = urllib.request.Request(endpoint + "?query=" + urllib.parse.quote(COUNT),
                                     headers={"Origin": "https://yasgui.example", "Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert "access-control-allow-origin" not in response.headers
        assert json.loads(response.read())["head"]["vars"] == ["n"]
    with urllib.request.urlopen(endpoint.removesuffix("/sparql") + "/", timeout=10) as response:
        assert b"<form" in response.read()


@pytest.mark.parametrize(("query", "update"), [
    ("INSERT DATA { <a:b> <a:c> <a:d> }", True),
    ("PREFIX x: <http://x/>\n# a comment with SELECT\nDELETE WHERE { ?s ?p ?o }", True),
    ("  with <g:1> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", True),
    ("LOAD <http://example.org/data.ttl>", True),
    ('SELECT ?insert WHERE { ?insert ?p "DELETE" }', False),
    ("PREFIX ins: <http://insert/> ASK { ?s ?p ?o }", False),
    ("nonsense", False),
])
def test_update_detection_skips_comments_strings_and_iris(query: str, update: bool) -> None:
    from kg.sparql.text import is_update, query_form

    assert is_update(query) is update
    assert (query_form(query) is None) is (update or query == "nonsense")
