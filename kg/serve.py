"""`contrats serve`: the SPARQL 1.1 Protocol over the built graph, read-only.

FastAPI around a pool of query workers (kg.sparql.query_worker): GET and POST at /sparql (`query`
parameter, form field or `application/sparql-query` body), results negotiated among SPARQL
JSON, XML, CSV and TSV (Turtle, JSON-LD or N-Triples for CONSTRUCT and DESCRIBE), every form of
SPARQL Update refused, a per-query timeout, memory limit and row limit. With a searcher, also
`GET`/`POST /search` (JSON, kg.endpoint.search_api); OpenAPI at /openapi.json.

The saved queries (kg.queries) by name: `GET /queries` lists them with their parameters,
`GET`/`POST /queries/NAME?param=value&format=csv` runs one, its parameters bound as values (never
pasted). A saved query, asked there or sent to /sparql as its text unchanged, has the limits of
saved queries (`saved_max_rows`, `saved_timeout`: their rows are bounded by the corpus, and the
national listing of commitments with indicators is 37,468 rows at 359 contracts, past the 10,000
of free SPARQL), and its answer is kept in memory for the build served (kg.endpoint.answer_cache).

It makes no request of its own: SERVICE is refused unless its endpoint is allowed
(kg.sparql.guard), CORS is off unless origins are named, and the Host header must be a name the
server is served under (kg.endpoint.http_guard). Given a data directory it follows its `current` build
across rebuilds (kg.endpoint.served_build); /health says which build it serves and fails when it
cannot answer a query.
"""

from __future__ import annotations

import html
import signal
import threading
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from ingest import environment
from kg.config import Settings, load_settings
from kg.endpoint.answer_cache import AnswerCache
from kg.endpoint.http_guard import HostCheck, PerClient, served_names
from kg.endpoint.served_build import ServedBuild
from kg.facade import Build, BuildUnavailable, QueryFailed, QueryTimeout
from kg.queries import (
    SAVED_MAX_ROWS,
    SAVED_TIMEOUT,
    SavedQuery,
    binding_value,
    find_saved_query,
    match_saved_query,
    saved_queries,
)
from kg.sparql.guard import allowed_services_from_env
from kg.sparql.results import negotiate
from kg.sparql.text import bind_values, is_update

MAX_QUERY_CHARS = 100_000
DEFAULT_CACHE_MB = 256
HEALTH_QUERY = "ASK { ?s ?p ?o }"


def _env_list(name: str) -> list[str]:
    return environment.items(name)


def create_app(build_dir: Path | None = None, *, data_dir: Path | None = None, settings: Settings | None = None,
               timeout: float | None = None, max_rows: int | None = None, workers: int | None = None,
               host: str = "127.0.0.1", allowed_hosts: list[str] | None = None,
               cors_origins: list[str] | None = None, allowed_services: list[str] | None = None,
               per_client: int | None = None, memory_mb: int | None = None, search=None,
               saved_max_rows: int | None = None, saved_timeout: float | None = None,
               cache_mb: int | None = None) -> FastAPI:
    """The endpoint over one build folder (`build_dir`), or over a data directory's current
    build, followed across rebuilds (`data_dir`, else settings.data_dir). The store it queries
    is the one `settings` names (kg.facade.Build.query_pool: the build's Oxigraph folder, its
    graph, or the SPARQL server), as for every other front end. `search`: a function opening
    the build's searcher; when given, /search serves it (kg.endpoint.search_api).
    `saved_max_rows` and `saved_timeout`: the limits of a saved query (never below `max_rows`
    and `timeout`); `cache_mb`: memory for saved queries' answers (0: none kept)."""
    settings = settings or load_settings()
    if data_dir is not None:
        settings = settings.with_data(data_dir)
    follow = build_dir is None
    timeout = timeout or environment.number("CONTRATS_SPARQL_TIMEOUT", 10)
    max_rows = max_rows or environment.whole("CONTRATS_SPARQL_MAX_ROWS", 10_000)
    workers = workers or environment.whole("CONTRATS_SPARQL_WORKERS", 2)
    saved_rows = max(max_rows, saved_max_rows or environment.whole("CONTRATS_SPARQL_SAVED_MAX_ROWS",
                                                                   SAVED_MAX_ROWS))
    saved_seconds = max(timeout, saved_timeout or environment.number("CONTRATS_SPARQL_SAVED_TIMEOUT",
                                                                      SAVED_TIMEOUT))
    if cache_mb is None:
        cache_mb = environment.whole("CONTRATS_SPARQL_CACHE_MB", DEFAULT_CACHE_MB, minimum=0)
    cache = AnswerCache(cache_mb * 1024 * 1024)
    # One client may not hold every worker: the others keep one free.
    per_client = per_client or environment.whole("CONTRATS_SPARQL_PER_CLIENT", None, minimum=0) or max(1, workers - 1)
    services = tuple(allowed_services) if allowed_services is not None else allowed_services_from_env()
    origins = cors_origins if cors_origins is not None else _env_list("CONTRATS_SPARQL_CORS_ORIGINS")
    hosts = served_names(host, allowed_hosts if allowed_hosts is not None else _env_list("CONTRATS_SPARQL_ALLOWED_HOSTS"))
    state: dict = {}

    def make_pool(build: Build):
        return build.query_pool(workers=workers, timeout=timeout, max_rows=max_rows,
                                allowed_services=services, memory_mb=memory_mb)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        served = ServedBuild(make_pool, settings, follow=follow, build_dir=build_dir)
        state["served"] = served
        app.state.served = served  # for tests and operators: the build and pool in use
        state["gate"] = PerClient(per_client, served.pool.queue_wait)
        app.state.answers = cache  # for tests and operators: hits, misses, size
        if follow and threading.current_thread() is threading.main_thread():
            # SIGHUP: move to the current build now rather than on the next request.
            signal.signal(signal.SIGHUP, lambda *_: threading.Thread(target=served.refresh, daemon=True).start())
        yield
        served.close()

    app = FastAPI(title="contrats-kg SPARQL endpoint", lifespan=lifespan, docs_url=None, redoc_url=None)
    if origins:
        app.add_middleware(CORSMiddleware, allow_origins=origins, allow_methods=["GET", "POST", "OPTIONS"],
                           allow_headers=["*"])
    app.add_middleware(HostCheck, allowed=hosts)

    def run_saved(text: str, fmt: str):
        """A saved query's answer (its text with the parameters bound): kept for the build served."""
        served: ServedBuild = state["served"]
        served.refresh()
        return cache.get_or_run(served.build_dir.name, (text, fmt),
                                lambda: served.run(text, fmt, timeout=saved_seconds, max_rows=saved_rows))

    def peek_saved(text: str, fmt: str):
        """The answer kept for a saved query in the build served now, or None."""
        served: ServedBuild = state["served"]
        served.refresh()  # a new build published: its answers, not the old one's
        return cache.peek(served.build_dir.name, (text, fmt))

    async def answer(query: str | None, request: Request, requested_format: str | None = None,
                     saved: SavedQuery | None = None) -> Response:
        """`saved`: the saved query `query` is (with its parameters bound); else a query that is a
        saved query's text unchanged is run as that saved query."""
        if not query or not query.strip():
            return PlainTextResponse("missing `query` parameter", status_code=400)
        if len(query) > MAX_QUERY_CHARS:
            return PlainTextResponse(f"query longer than {MAX_QUERY_CHARS} characters", status_code=413)
        if is_update(query):
            return PlainTextResponse("this endpoint is read-only: SPARQL Update is refused", status_code=403)
        fmt = negotiate(request.headers.get("accept"), requested_format or request.query_params.get("format"))
        saved = saved or match_saved_query(query)
        if saved is not None:
            kept = await run_in_threadpool(peek_saved, query, fmt)
            if kept is not None:  # no worker needed: no turn to wait for
                return Response(kept.body, media_type=kept.media_type)
        client = request.client.host if request.client else "?"
        gate: PerClient = state["gate"]
        if not await gate.acquire(client):
            return PlainTextResponse(f"too many queries at once from {client} (at most {per_client})",
                                     status_code=429, headers={"Retry-After": "1"})
        try:
            if saved is not None:
                result = await run_in_threadpool(run_saved, query, fmt)
            else:
                result = await run_in_threadpool(state["served"].run, query, fmt)
        except QueryTimeout as e:
            return PlainTextResponse(str(e), status_code=503, headers={"Retry-After": "1"})
        except QueryFailed as e:
            message = str(e)
            if e.status == 413 and saved is None:
                message += ("; the saved queries' whole listings (up to "
                            f"{saved_rows} rows) are at /queries/NAME (the list: /queries)")
            return PlainTextResponse(message, status_code=e.status)
        except BuildUnavailable as e:
            return PlainTextResponse(str(e), status_code=503)
        finally:
            gate.release(client)
        return Response(result.body, media_type=result.media_type)

    @app.get("/queries")
    async def list_saved() -> JSONResponse:
        """The saved queries, their parameters and the limits they run under."""
        return JSONResponse({
            "queries": [{"name": q.name, "title": q.title, "url": f"/queries/{q.name}",
                         "params": [{"name": p.name, "default": p.default or None, "help": p.help} for p in q.params]}
                        for q in saved_queries()],
            "max_rows": saved_rows, "timeout": saved_seconds,
        })

    @app.api_route("/queries/{name}", methods=["GET", "POST"])
    async def run_saved_query(name: str, request: Request) -> Response:
        """One saved query: its parameters from the URL (or the form), `format` as at /sparql;
        an empty value leaves a parameter unbound (its default, or no filter)."""
        saved = find_saved_query(name)
        if saved is None:
            return PlainTextResponse(f"no saved query {name!r}: the list is at /queries", status_code=404)
        values = dict(request.query_params)
        if request.method == "POST":
            form = await request.form()
            values.update({k: v for k, v in form.items() if isinstance(v, str)})
        requested_format = values.pop("format", None)
        unknown = sorted(set(values) - {p.name for p in saved.params})
        if unknown:
            takes = ", ".join(p.name for p in saved.params) or "no parameter"
            return PlainTextResponse(f"{saved.name} takes {takes}; not {', '.join(unknown)}", status_code=400)
        bindings = {k: binding_value(v) for k, v in values.items() if v != ""}
        try:
            text = bind_values(saved.text, bindings)
        except (ValueError, TypeError) as e:
            return PlainTextResponse(f"cannot bind the parameters: {e}", status_code=400)
        return await answer(text, request, requested_format, saved=saved)

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
        from kg.endpoint.search_api import add_search_routes

        add_search_routes(app, search)

    @app.get("/health")
    async def health() -> JSONResponse:
        """The build served, and whether it answers a query now (503 when it does not)."""
        served: ServedBuild = state["served"]
        try:
            await run_in_threadpool(served.run, HEALTH_QUERY, "json", min(10.0, served.pool.queue_wait))
        except Exception as e:
            return JSONResponse({"status": "failing", "build": served.build_dir.name,
                                 "error": f"{type(e).__name__}: {e}"}, status_code=503)
        return JSONResponse({"status": "ok", "build": served.build_dir.name})

    @app.get("/", response_class=HTMLResponse)
    async def home() -> str:
        return _home_page(state["served"].build_dir.name)

    return app


def _examples() -> list[tuple[str, str]]:
    """(title, text) of the saved queries (kg.queries), for the form's example menu."""
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
