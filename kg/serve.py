"""`contrats serve`: the SPARQL 1.1 Protocol over the built graph, read-only.

FastAPI around a pool of query workers (kg.query_worker): GET and POST at /sparql (`query`
parameter, form field or `application/sparql-query` body), results negotiated among SPARQL
JSON, XML, CSV and TSV (Turtle, JSON-LD or N-Triples for CONSTRUCT and DESCRIBE), CORS open to
browser clients, every form of SPARQL Update refused, a per-query timeout and a row limit.
With a searcher, also `GET`/`POST /search` (JSON, kg.search_api); OpenAPI at /openapi.json.
"""

from __future__ import annotations

import html
import os
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from kg.query_worker import QueryFailed, QueryPool, QueryTimeout
from kg.sparql_results import negotiate
from kg.sparql_text import is_update

MAX_QUERY_CHARS = 100_000


def create_app(build_dir: Path, *, store_kind: str = "oxigraph", timeout: float | None = None,
               max_rows: int | None = None, workers: int | None = None, search=None) -> FastAPI:
    """`search`: a function opening the build's searcher; when given, /search serves it (kg.search_api)."""
    timeout = timeout or float(os.environ.get("CONTRATS_SPARQL_TIMEOUT", 10))
    max_rows = max_rows or int(os.environ.get("CONTRATS_SPARQL_MAX_ROWS", 10_000))
    workers = workers or int(os.environ.get("CONTRATS_SPARQL_WORKERS", 2))
    store_path = build_dir / "store" if store_kind == "oxigraph" and (build_dir / "store").exists() else None
    state: dict = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        state["pool"] = QueryPool(store_path, None if store_path else build_dir / "graph.nt",
                                  workers=workers, timeout=timeout, max_rows=max_rows)
        yield
        state["pool"].close()

    app = FastAPI(title="contrats-kg SPARQL endpoint", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "POST", "OPTIONS"],
                       allow_headers=["*"])

    async def answer(query: str | None, request: Request, requested_format: str | None = None) -> Response:
        if not query or not query.strip():
            return PlainTextResponse("missing `query` parameter", status_code=400)
        if len(query) > MAX_QUERY_CHARS:
            return PlainTextResponse(f"query longer than {MAX_QUERY_CHARS} characters", status_code=413)
        if is_update(query):
            return PlainTextResponse("this endpoint is read-only: SPARQL Update is refused", status_code=403)
        fmt = negotiate(request.headers.get("accept"), requested_format or request.query_params.get("format"))
        try:
            result = await run_in_threadpool(state["pool"].run, query, fmt)
        except QueryTimeout as e:
            return PlainTextResponse(str(e), status_code=503, headers={"Retry-After": "1"})
        except QueryFailed as e:
            return PlainTextResponse(str(e), status_code=e.status)
        return Response(result.body, media_type=result.media_type)

    @app.get("/sparql")
    async def sparql_get(request: Request) -> Response:
        if "update" in request.query_params:
            return PlainTextResponse("this endpoint is read-only: SPARQL Update is refused", status_code=403)
        return await answer(request.query_params.get("query"), request)

    @app.post("/sparql")
    async def sparql_post(request: Request) -> Response:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type == "application/sparql-update":
            return PlainTextResponse("this endpoint is read-only: SPARQL Update is refused", status_code=403)
        if content_type == "application/sparql-query":
            body = await request.body()
            return await answer(body.decode("utf-8", errors="replace"), request)
        form = await request.form()
        if "update" in form:
            return PlainTextResponse("this endpoint is read-only: SPARQL Update is refused", status_code=403)
        return await answer(form.get("query") or request.query_params.get("query"), request, form.get("format"))

    if search is not None:
        from kg.search_api import add_search_routes

        add_search_routes(app, search)

    @app.get("/health")
    async def health() -> JSONResponse:
        return JSONResponse({"status": "ok", "build": build_dir.name})

    @app.get("/", response_class=HTMLResponse)
    async def home() -> str:
        return _home_page(build_dir.name)

    return app


def _examples() -> list[tuple[str, str]]:
    """(title, text) of the saved queries (kg.queries), for the form's example menu."""
    from kg.queries import saved_queries

    return [(q.title, q.text) for q in saved_queries()]


def _home_page(build_name: str) -> str:
    examples = _examples()
    options = "".join(
        f'<option value="{html.escape(text, quote=True)}">{html.escape(title)}</option>' for title, text in examples
    )
    first = html.escape(examples[0][1]) if examples else "SELECT * WHERE { ?s ?p ?o } LIMIT 10"
    return f"""<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>contrats-kg SPARQL</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}textarea{{width:100%;height:20em;font-family:monospace}}</style>
</head><body><h1>contrats-kg — SPARQL</h1><p>Build {html.escape(build_name)}. Endpoint: <code>/sparql</code>
(GET or POST, read-only).</p>
<form method="post" action="/sparql">
<p><label>Exemples : <select onchange="document.getElementById('q').value=this.value">{options}</select></label></p>
<textarea id="q" name="query">{first}</textarea>
<p><label>Format : <select name="format"><option>json</option><option>csv</option><option>tsv</option>
<option>xml</option><option>turtle</option><option>jsonld</option></select></label>
<button type="submit">Exécuter</button></p></form></body></html>"""
