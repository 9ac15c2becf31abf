"""The saved queries rewritten for the national scale (issue 14) give the rows they gave before.

tests/data/queries_before/ holds each rewritten query as it was (counting every commitment on each
run, or joining in an order Oxigraph could not follow at 359 contracts). Old and new must return
the same rows, on the small hand-made graph with every parameter tried (fast), and on the shipped
corpus's build (slow), on Oxigraph, with the variables users' scripts read.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.queries import find_saved_query
from kg.sparql.store import open_store
from tests.test_queries import HOSTILE, normalised, write_small_graph
from tests.test_store import virtuoso_url  # noqa: F401  (the fixture)

BEFORE = Path(__file__).parent / "data" / "queries_before"
REWRITTEN = sorted(p.stem.split("-", 1)[1] for p in BEFORE.glob("*.rq"))
# The parameters tried on each query (besides its default), on the small graph and the corpus.
BINDINGS: dict[str, list[dict]] = {
    "contracts": [{"territory": "cb"}, {"territory": "111111111"}, {"territory": "valenciennes"}],
    "partner-commitments": [{"partner": "region"}, {"partner": HOSTILE}, {"partner": "caf-nord"},
                            {"partner": "state"}, {"partner": "region-hauts-de-france"}, {"partner": "zz} #"}],
    "neighbourhoods-without-theme": [{"theme": "mobility"}, {"theme": "employment"},
                                     {"theme": "https://w3id.org/contrats-kg/theme/health"}],
    "neighbourhood-map": [{"territory": "aa"}, {"territory": "arras"}],
    "generation-changes": [{"territory": "aa"}, {"territory": "valenciennes"}, {"older": "2015"},
                           {"newer": "2019"}, {"newer": "2024"}, {"territory": "cb"}],
    "territory-theme-matrix": [{"generation": "2015"}, {"generation": "2019"}, {"generation": "2024"}],
    "commitments-with-indicators": [{"territory": "aa"}, {"territory": "valenciennes"}, {"partner": "region"},
                                    {"partner": "caf-nord"}, {"territory": "cb", "partner": "state"}],
    "signatories": [{"territory": "cb"}, {"territory": "111111111"}, {"territory": "valenciennes"}],
}


# The queries whose ORDER BY became one string key: the rows must come in the old order (rows
# equal on every old key may come in either order, as they could before).
ORDER_KEYS: dict[str, tuple[str, ...]] = {
    "territory-theme-matrix": ("territoryName", "theme"),
    "neighbourhoods-without-theme": ("territoryName", "generation", "neighbourhoodName"),
    "commitments-with-indicators": ("territoryName", "generation", "partnerName", "commitment", "indicator"),
    "signatories": ("territoryName", "generation", "signatory"),
}


def _old(name: str) -> str:
    return next(BEFORE.glob(f"*-{name}.rq")).read_text(encoding="utf-8")


def _rows(result, name: str) -> list[tuple]:
    rows = normalised(result)
    if name == "partner-commitments":
        # The one deliberate change: a commitment without a theme has themes "" (an empty list),
        # where the old text left it unbound (Virtuoso refuses the IF over aggregates that would
        # keep it unbound).
        at = result.variables.index("themes")
        rows = sorted(((*r[:at], r[at] or "", *r[at + 1:]) for r in rows), key=repr)
    return rows


def _same(store, name: str) -> None:
    new = find_saved_query(name)
    for bindings in [{}, *BINDINGS.get(name, [])]:
        before, after = store.query(_old(name), bindings), store.query(new.text, bindings)
        assert after.variables == before.variables, name
        assert _rows(after, name) == _rows(before, name), (name, bindings)
        if name in ORDER_KEYS:
            assert _keys(after, name) == _keys(before, name), (name, bindings)


def _keys(result, name: str) -> list[tuple]:
    at = [result.variables.index(v) for v in ORDER_KEYS[name]]
    return [tuple(str(row[i]) for i in at) for row in result.rows]


def test_every_rewritten_query_is_a_saved_query() -> None:
    assert REWRITTEN and all(find_saved_query(name) is not None for name in REWRITTEN)
    assert set(BINDINGS) <= set(REWRITTEN)


@pytest.fixture(scope="module")
def small_store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rewrites")
    store = open_store("oxigraph", str(folder / "store"))
    store.load_file(write_small_graph(folder / "graph.nt"))
    yield store
    store.close()


@pytest.mark.parametrize("name", REWRITTEN)
def test_same_rows_as_before_on_the_small_graph(small_store, name: str) -> None:
    _same(small_store, name)


@pytest.mark.slow
@pytest.mark.parametrize("name", REWRITTEN)
def test_same_rows_as_before_on_the_built_corpus(built, name: str) -> None:
    from kg.build.pipeline import current_build

    store = open_store("oxigraph", str(current_build(built.data_dir) / "store"), read_only=True)
    try:
        _same(store, name)
    finally:
        store.close()


@pytest.mark.parametrize("name", ["commitments-with-indicators", "signatories"])
def test_a_text_bound_at_its_start_only_gives_the_same_rows(small_store, name: str) -> None:
    """These queries pick the territory asked for in a subquery (the project binds parameters
    there too); a client of the endpoint that puts its own VALUES block at the start of the text
    only must still get that territory's rows, not every territory's."""
    text = find_saved_query(name).text
    where = text.index("WHERE {") + len("WHERE {")
    for territory in ("aa", "cb", "111111111"):
        top_only = text[:where] + f' VALUES (?territory) {{ ("{territory}") }} ' + text[where:]
        assert _rows(small_store.query(top_only), name) == _rows(small_store.query(text, {"territory": territory}), name)
        assert _rows(small_store.query(top_only), name) == _rows(small_store.query(_old(name), {"territory": territory}), name)


@pytest.mark.slow
@pytest.mark.server
@pytest.mark.parametrize("name", ["commitments-with-indicators", "signatories"])
def test_a_territory_bound_in_the_subquery_answers_alike_on_virtuoso(request, small_store, tmp_path, name) -> None:
    """The VALUES row placed in the subquery that picks the territories is read by Virtuoso too."""
    url = request.getfixturevalue("virtuoso_url")
    server = open_store("sparql", url, update_url=url)
    server.clear()
    server.load_file(write_small_graph(tmp_path / "graph.nt"))
    text = find_saved_query(name).text
    for bindings in [{}, *BINDINGS[name]]:
        assert normalised(server.query(text, bindings)) == normalised(small_store.query(text, bindings)), bindings
    server.close()
