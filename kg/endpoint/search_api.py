"""Search over HTTP, as JSON: `GET /search` and `POST /search` beside the SPARQL endpoint.

The same filters as `contrats search` and the same objects as `contrats search --json`
(`{"query", "query_used", "understood", "results": [...]}`), described in the server's OpenAPI
document (`/openapi.json`), so a script in R or Python needs only an HTTP client:

    curl 'http://127.0.0.1:8000/search?q=soutien+à+la+parentalité&territory=CUA&k=5'

The searcher is opened once, on the first search (or at start-up with `preload`), with native
threads limited (kg.threads); searches run one at a time (a query takes tens of milliseconds, and
the encoders' native engines are not made to be called from several threads at once).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import FastAPI, HTTPException, Query
from pydantic import BaseModel, Field

MAX_K = 100
MAX_QUERY_CHARS = 2_000
Many = Annotated[list[str] | None, Query(description="Repeatable.")]


class SearchRequest(BaseModel):
    q: str = Field(..., description="The question or keywords, French or English.", max_length=MAX_QUERY_CHARS)
    k: int = Field(10, ge=1, le=MAX_K, description="Number of results.")
    territory: list[str] = Field(default_factory=list, description="Territories (short or full name).")
    theme: list[str] = Field(default_factory=list, description="Theme ids.")
    generation: list[str] = Field(default_factory=list, description="Contract generations: 2015, 2019, 2024.")
    document: list[str] = Field(default_factory=list, description="Document ids.")
    partner: list[str] = Field(default_factory=list, description="Partner names (substring).")
    partner_type: list[str] = Field(default_factory=list, description="Partner types (caf, region, state...).")
    neighbourhood: list[str] = Field(default_factory=list, description="Neighbourhood (QPV) names.")
    type: list[Literal["passage", "commitment", "objective"]] = Field(default_factory=list,
                                                                      description="Record types.")
    method: Literal["hybrid", "bm25", "dense"] = "hybrid"
    understand: bool = Field(True, description="Read the territories, generations, partners and "
                                               "neighbourhoods the question names as filters or boosts.")
    ignore: list[str] = Field(default_factory=list,
                              description='Understood mentions to drop: a kind ("territory") or "kind:value".')


class Mention(BaseModel):
    kind: Literal["territory", "generation", "neighbourhood", "partner"]
    text: str = Field(..., description="As written in the question.")
    value: str
    label: str
    via: str
    territories: list[str]


class Understood(BaseModel):
    mentions: list[Mention]
    territories: list[str] = Field(..., description="Applied as a territory filter (unless one was given).")
    generations: list[str] = Field(..., description="Applied as a generation filter (unless one was given).")
    neighbourhoods: list[str] = Field(..., description="Passages naming them are boosted.")
    partners: list[str] = Field(..., description="Passages naming them are boosted.")


class Scores(BaseModel):
    lexical: float
    dense: float


class Result(BaseModel):
    text: str
    document: str
    territory: str | None
    page: int | None
    line: int | None
    section_path: list[str]
    score: float
    record_type: Literal["passage", "commitment", "objective"]
    id: str
    passage_id: str | None
    node: str | None = Field(None, description="Graph URI of the commitment or objective.")
    partner: str | None
    partner_type: str | None
    themes: list[str]
    neighbourhoods: list[str]
    generation: str | None
    scores: Scores


class SearchResponse(BaseModel):
    query: str
    query_used: str = Field(..., description="The query as searched (translated, terms of art added).")
    understood: Understood | None
    results: list[Result]


def add_search_routes(app: FastAPI, open_searcher: Callable[[], object]) -> Callable[[], object]:
    """Register /search on `app`; returns the function that opens the searcher (for preloading)."""
    lock = threading.Lock()
    state: dict = {}

    def searcher():
        # Asked on every search: `open_searcher` returns the current build's searcher, opened once
        # per build (kg.facade), so a rebuild is followed as the SPARQL side follows it.
        with lock:
            if "threads" not in state:
                from kg.threads import limit_query_threads

                limit_query_threads()
                state["threads"] = True
            return open_searcher()

    def run(request: SearchRequest) -> dict:
        from kg.search.searcher import Filters

        s = searcher()
        filters = Filters(territories=tuple(request.territory), generations=tuple(request.generation),
                          documents=tuple(request.document), partners=tuple(request.partner),
                          partner_types=tuple(request.partner_type), themes=tuple(request.theme),
                          neighbourhoods=tuple(request.neighbourhood), record_types=tuple(request.type))
        try:
            with lock:
                response = s.run(request.q, k=request.k, filters=filters, method=request.method,
                                 understand=request.understand, ignore=tuple(request.ignore))
        except ValueError as e:
            raise HTTPException(status_code=400, detail=str(e)) from None
        return response.to_json()

    @app.get("/search", response_model=SearchResponse, tags=["search"],
             summary="Search passages, commitments and objectives (same filters as `contrats search`)")
    def search_get(q: Annotated[str, Query(max_length=MAX_QUERY_CHARS, description="Question or keywords.")],
                   k: Annotated[int, Query(ge=1, le=MAX_K)] = 10,
                   territory: Many = None, theme: Many = None, generation: Many = None, document: Many = None,
                   partner: Many = None, partner_type: Many = None, neighbourhood: Many = None,
                   type: Annotated[list[Literal["passage", "commitment", "objective"]] | None, Query()] = None,
                   method: Literal["hybrid", "bm25", "dense"] = "hybrid",
                   understand: bool = True, ignore: Many = None) -> dict:
        return run(SearchRequest(q=q, k=k, territory=territory or [], theme=theme or [],
                                 generation=generation or [], document=document or [], partner=partner or [],
                                 partner_type=partner_type or [], neighbourhood=neighbourhood or [],
                                 type=type or [], method=method, understand=understand, ignore=ignore or []))

    @app.post("/search", response_model=SearchResponse, tags=["search"],
              summary="Search, the parameters as a JSON body")
    def search_post(request: SearchRequest) -> dict:
        return run(request)

    return searcher
