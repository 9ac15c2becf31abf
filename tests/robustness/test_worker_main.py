"""A query worker never runs its parent's `__main__` again (the app's page, under Streamlit)."""

from __future__ import annotations

import sys
import types
from pathlib import Path

from kg.sparql.query_worker import QueryPool, StoreSource


def test_a_query_worker_does_not_run_the_page_that_is_main(tmp_path: Path, monkeypatch) -> None:
    marker = tmp_path / "page-ran"
    page = tmp_path / "page.py"
    page.write_text(f"open({str(marker)!r}, 'w').write('ran')\n", encoding="utf-8")
    graph = tmp_path / "graph.nt"
    graph.write_text('<http://example.org/a> <http://example.org/p> "x" .\n', encoding="utf-8")
    # What Streamlit does while a page runs: the page is `__main__`.
    as_main = types.ModuleType("__main__")
    as_main.__file__ = str(page)
    monkeypatch.setitem(sys.modules, "__main__", as_main)
    pool = QueryPool(StoreSource("graph", str(graph)), workers=1, timeout=60)
    try:
        answer = pool.run("SELECT ?o WHERE { ?s ?p ?o }", "json")
    finally:
        pool.close()
    assert b"\"x\"" in answer.body
    assert not marker.exists(), "the worker ran the page that was __main__ in its parent"
    assert sys.modules["__main__"] is as_main  # and the parent's is put back
