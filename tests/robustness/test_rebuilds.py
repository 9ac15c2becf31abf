"""Issue 12, item 5: `contrats serve` across rebuilds. It keeps answering from the build it
opened, that build is not deleted under it, it moves to the new `current` on the next request,
and /health names the build it serves and fails when it cannot answer."""

from __future__ import annotations

import json
import os
import shutil
import urllib.parse
from pathlib import Path

import pytest

from kg.serve import create_app
from tests.robustness.helpers import FAST_MODEL, ROOT, Server, get, write_good_corpus

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def _count(server: Server) -> int:
    status, body, _ = get(server.base + "/sparql?query=" + urllib.parse.quote(COUNT))
    assert status == 200, body
    return int(json.loads(body)["results"]["bindings"][0]["n"]["value"])


def _health(server: Server) -> tuple[int, dict]:
    status, body, _ = get(server.base + "/health")
    return status, json.loads(body)


@pytest.mark.slow
def test_server_survives_three_rebuilds(tmp_path: Path) -> None:
    from kg.build.pipeline import build
    from kg.config import Settings

    corpus = tmp_path / "corpus"
    write_good_corpus(corpus)
    settings = Settings(data_dir=tmp_path / "data", store="oxigraph", model=FAST_MODEL,
                        reference_dir=ROOT / "reference")

    def rebuild(n: int) -> Path:
        (corpus / f"extra-{n}.txt").write_text(
            f"Contrat de ville numéro {n}.\n\nLa CAF du Nord s'engage à soutenir {n} associations.\n", encoding="utf-8")
        build([corpus], settings, log=lambda m: None)
        return (settings.data_dir / "current").resolve()

    build([corpus], settings, log=lambda m: None)
    first = (settings.data_dir / "current").resolve()
    server = Server(create_app(data_dir=settings.data_dir, timeout=10, workers=2))
    try:
        assert _health(server) == (200, {"status": "ok", "build": first.name})
        before = _count(server)

        rebuild(1)
        third = rebuild(2)
        # Two newer builds: the first is past KEEP_BUILDS, but the server holds it.
        assert first.exists() and (first / "store").exists()

        assert _count(server) > before  # the next request moved to the new current
        assert _health(server)[1]["build"] == third.name
        served = server.server.config.app.state.served
        served.wait_retired(30)  # the old pool closes once idle, then lets its build go

        fourth = rebuild(3)
        assert not first.exists()  # released, so collected like any old build
        # A worker restart after the rebuilds: the replacement opens the build it serves.
        for worker in list(served.pool._idle.queue):
            worker.process.kill()
        assert _count(server) > 0 and _count(server) > 0  # dead idle workers are replaced before use
        assert _health(server) == (200, {"status": "ok", "build": fourth.name})
    finally:
        server.close()


def test_health_fails_when_the_build_cannot_answer(graph_build: Path) -> None:
    server = Server(create_app(graph_build, timeout=5, workers=1))
    try:
        assert _health(server)[0] == 200
        served = server.server.config.app.state.served
        shutil.rmtree(graph_build / "store")  # the store is lost under the server
        for worker in list(served.pool._idle.queue):
            os.kill(worker.process.pid, 9)
        statuses = [_health(server) for _ in range(3)]
    finally:
        server.close()
    assert statuses[-1][0] == 503
    assert statuses[-1][1]["status"] == "failing" and "store" in statuses[-1][1]["error"]
