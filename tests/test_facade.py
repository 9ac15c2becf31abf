"""Every front end reads the store the settings name, through kg.facade.Build.

A build folder whose three graphs disagree on purpose: its Oxigraph store says "oxigraph", its
graph.nt says "memory" (CONTRATS_STORE=memory loads it), and a SPARQL server (Virtuoso, under
the `server` marker) says "sparql". Whatever CONTRATS_STORE names, the facade's store, its query
pool, `contrats sparql`, the endpoint, the app's SPARQL console and the store the app's other
pages read (the partners page, the map) must all answer with that one word. Before the facade,
with CONTRATS_STORE=sparql, the endpoint and the app's console answered from graph.nt while the
partners page asked the server.
"""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from kg.config import Settings
from kg.facade import Build, BuildUnavailable, NoBuild
from kg.sparql.store import Store, open_store

EX = "https://example.org/"
QUERY = f"SELECT ?where WHERE {{ <{EX}graph> <{EX}says> ?where }}"


def _triple(word: str) -> str:
    return f'<{EX}graph> <{EX}says> "{word}" .\n'


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data directory whose current build holds an Oxigraph store and a graph.nt that differ."""
    build = tmp_path / "data" / "builds" / "b1"
    build.mkdir(parents=True)
    (build / "graph.nt").write_text(_triple("memory"), encoding="utf-8")
    (tmp_path / "oxigraph.nt").write_text(_triple("oxigraph"), encoding="utf-8")
    store = ox.Store(str(build / "store"))
    store.bulk_load(path=str(tmp_path / "oxigraph.nt"), format=ox.RdfFormat.N_TRIPLES)
    store.flush()
    del store
    (build / "summary.json").write_text(json.dumps({"build_id": "b1"}), encoding="utf-8")
    (tmp_path / "data" / "current").symlink_to(build)
    return tmp_path / "data"


def _environment(kind: str, data_dir: Path, url: str | None) -> dict[str, str]:
    env = {"CONTRATS_DATA": str(data_dir), "CONTRATS_STORE": kind}
    if url:
        env["CONTRATS_SPARQL_QUERY"] = url
    return env


def _answers(kind: str, data_dir: Path, url: str | None, monkeypatch) -> dict[str, str]:
    """What each front end answers to QUERY with CONTRATS_STORE=kind."""
    for name, value in _environment(kind, data_dir, url).items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    build = Build.current(settings)
    out: dict[str, str] = {}

    store = build.store()
    assert isinstance(store, Store)  # the typing.Protocol every backend implements
    out["facade store"] = store.query(QUERY).column("where")[0]
    store.close()

    pool = build.query_pool(workers=1, timeout=30)
    try:
        out["query pool"] = json.loads(pool.run(QUERY, "json").body)["results"]["bindings"][0]["where"]["value"]
    finally:
        pool.close()

    from kg.cli import main

    done = CliRunner().invoke(main, ["sparql", QUERY, "--format", "json"])
    assert done.exit_code == 0, done.output
    out["contrats sparql"] = json.loads(done.output)["results"]["bindings"][0]["where"]["value"]

    from fastapi.testclient import TestClient

    from kg.serve import create_app

    with TestClient(create_app(settings=settings, workers=1, timeout=30)) as client:
        response = client.get("/sparql?query=" + urllib.parse.quote(QUERY), headers={"Host": "127.0.0.1"})
        assert response.status_code == 200, response.text
        out["endpoint"] = response.json()["results"]["bindings"][0]["where"]["value"]

    from streamlit.testing.v1 import AppTest

    page = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app_pages" / "sparql.py"),
                             default_timeout=120)
    page.run()
    page.text_area(key="s_query").input(QUERY)
    page.button(key="s_run").click().run()
    assert not page.exception, page.exception
    assert not page.error, [e.value for e in page.error]
    out["app console"] = page.dataframe[0].value["where"].iloc[0]

    from app_pages import common

    common._store.clear()  # a cache_resource of the app's process: another store kind since
    out["app pages' store"] = common.store().query(QUERY).column("where")[0]
    return out


@pytest.mark.parametrize("kind", ["oxigraph", "memory"])
def test_every_front_end_reads_the_store_the_settings_name(kind: str, data_dir: Path, monkeypatch) -> None:
    answers = _answers(kind, data_dir, None, monkeypatch)
    assert answers == dict.fromkeys(answers, kind), answers


@pytest.mark.server
def test_with_a_sparql_server_every_front_end_reads_the_server(data_dir: Path, tmp_path: Path, monkeypatch) -> None:
    from tests import virtuoso
    from tests.test_store import require_virtuoso

    require_virtuoso()
    (tmp_path / "server.nt").write_text(_triple("sparql"), encoding="utf-8")
    (tmp_path / "virtuoso").mkdir()
    with virtuoso.running_virtuoso(tmp_path / "virtuoso") as url:
        server = open_store("sparql", url, update_url=url)
        server.clear()
        server.load_file(tmp_path / "server.nt")
        server.close()
        answers = _answers("sparql", data_dir, url, monkeypatch)
        # A wrong query is the query's fault (400), as on the embedded store, never a dead worker.
        from kg.facade import QueryFailed

        pool = Build.current(Settings()).query_pool(workers=1, timeout=30)
        try:
            with pytest.raises(QueryFailed) as e:
                pool.run(f"SELECT ?x WHERE {{ <{EX}graph> <{EX}says> ?x", "json")
        finally:
            pool.close()
    assert answers == dict.fromkeys(answers, "sparql"), answers
    assert e.value.status == 400, e.value


def test_no_build_and_an_incomplete_build_are_said(tmp_path: Path, data_dir: Path) -> None:
    with pytest.raises(NoBuild, match="contrats build"):
        Build.current(Settings(data_dir=tmp_path / "empty"))
    build = Build.current(Settings(data_dir=data_dir, store="oxigraph"))
    assert build.summary == {"build_id": "b1"}
    for name in ("CURRENT",):
        (build.folder / "store" / name).rename(build.folder / "store" / f"{name}.away")
    with pytest.raises(BuildUnavailable, match="no Oxigraph store"):
        build.store()
    with pytest.raises(BuildUnavailable, match="no Oxigraph store"):
        build.query_pool(workers=1)
    with pytest.raises(BuildUnavailable, match="CONTRATS_SPARQL_QUERY"):
        Build.current(Settings(data_dir=data_dir, store="sparql", sparql_query_url=None)).store()


def test_an_unreachable_sparql_server_is_a_503_not_a_wrong_query(tmp_path: Path) -> None:
    """The query workers on a SPARQL server that does not answer say so (the endpoint's 503),
    rather than blaming the query (400)."""
    import socket

    from kg.facade import QueryFailed

    with socket.socket() as s:  # a port nobody listens on once closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    (tmp_path / "current").symlink_to(tmp_path)
    build = Build.current(Settings(data_dir=tmp_path, store="sparql", sparql_query_url=f"http://127.0.0.1:{port}/sparql"))
    pool = build.query_pool(workers=1, timeout=30)
    try:
        with pytest.raises(QueryFailed) as e:
            pool.run(QUERY, "json")
    finally:
        pool.close()
    assert e.value.status == 503 and "cannot be reached" in str(e.value)
