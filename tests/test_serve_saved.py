"""The saved queries on the endpoint: by name at /queries/NAME with their parameters, and sent to
/sparql as their text, with the limits of saved queries rather than free SPARQL's `--max-rows`.

At 359 contracts commitments-with-indicators lists 37,468 rows, past the endpoint's default row
limit (10,000): every call of it on a national endpoint was refused with a 413. Here the same
with a graph of 450 indicators and an endpoint limited to 400 rows.
"""

from __future__ import annotations

import csv
import io
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from kg.queries import find_saved_query, match_saved_query, saved_queries
from tests.test_serve import serve_graph

ROOT = Path(__file__).resolve().parent.parent
CKG = "https://w3id.org/contrats-kg/ontology#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
R = "https://example.org/res/"
MAX_ROWS = 400
TERRITORIES = {"Rodez": 300, "Valenciennes": 150}  # indicators each: 450 in all, past MAX_ROWS

SERVER = """
import sys
from pathlib import Path

import uvicorn

from kg.serve import create_app

uvicorn.run(create_app(Path(sys.argv[1]), timeout=5, max_rows=int(sys.argv[3]), workers=2),
            host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""


def _lines() -> list[str]:
    """Two territories' contracts, each indicator measuring a commitment of a partner (CAF for
    one commitment in ten), as the build writes them (the facts commitments-with-indicators reads)."""
    lines = []

    def t(s: str, p: str, o: str) -> None:
        lines.append(f"{s} {p} {o} .")

    for name, count in TERRITORIES.items():
        territory, contract = f"<{R}territory/{name}>", f"<{R}contract/{name}>"
        t(territory, f"<{SKOS}prefLabel>", f'"{name}"@fr')
        t(contract, f"<{CKG}territory>", territory)
        t(contract, f"<{CKG}generation>", '"2024"')
        for i in range(count):
            commitment, indicator = f"<{R}commitment/{name}-{i}>", f"<{R}indicator/{name}-{i}>"
            partner = f"<{R}org/caf>" if i % 10 == 0 else f"<{R}org/{name}-{i % 7}>"
            t(commitment, f"<{RDF_TYPE}>", f"<{CKG}Commitment>")
            t(commitment, f"<{CKG}partner>", partner)
            t(commitment, f"<{CKG}text>", f'"Engagement {i} à {name}"')
            t(indicator, f"<{RDF_TYPE}>", f"<{CKG}Indicator>")
            t(indicator, f"<{CKG}contract>", contract)
            t(indicator, f"<{CKG}measures>", commitment)
            t(indicator, f"<{CKG}text>", f'"Indicateur {i}"')
    t(f"<{R}org/caf>", f"<{SKOS}prefLabel>", '"CAF"')
    for name in TERRITORIES:
        for k in range(7):
            t(f"<{R}org/{name}-{k}>", f"<{SKOS}prefLabel>", f'"Partenaire {k} de {name}"')
    return lines


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Iterator[str]:
    build = tmp_path_factory.mktemp("saved")
    (build / "graph.nt").write_text("\n".join(_lines()) + "\n", encoding="utf-8")
    with serve_graph(build, SERVER, (str(MAX_ROWS),), build.parent / "endpoint-saved.log") as url:
        yield url


def _get(url: str, accept: str = "application/sparql-results+json") -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers={"Accept": accept}), timeout=60) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def _post_sparql(base: str, query: str) -> tuple[int, bytes]:
    """As the endpoint's own form posts it: a urlencoded `query` field."""
    request = urllib.request.Request(base + "/sparql", data=urllib.parse.urlencode({"query": query}).encode(),
                                     headers={"Accept": "application/sparql-results+json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def _rows(body: bytes) -> list[dict]:
    return json.loads(body)["results"]["bindings"]


LISTING = find_saved_query("commitments-with-indicators")


def test_the_saved_listing_sent_as_its_text_is_answered_past_the_row_limit(base: str) -> None:
    """Before: 413 "more than 400 result rows" for the saved query's own text (the example menu's)."""
    status, body = _post_sparql(base, LISTING.text)
    assert status == 200, body[:300]
    rows = _rows(body)
    assert len(rows) == sum(TERRITORIES.values()) > MAX_ROWS
    # The same JSON shape as any SELECT at /sparql, in the saved query's order.
    assert list(rows[0]) == ["territoryName", "generation", "partnerName", "commitmentText", "measures",
                             "indicatorText", "commitment", "indicator"]
    assert [r["territoryName"]["value"] for r in rows] == sorted(r["territoryName"]["value"] for r in rows)
    # A browser's textarea sends CRLF line ends: still the saved query.
    status, crlf = _post_sparql(base, LISTING.text.replace("\n", "\r\n"))
    assert status == 200 and len(_rows(crlf)) == len(rows)


def test_free_sparql_keeps_the_row_limit_and_says_where_the_listings_are(base: str) -> None:
    edited = LISTING.text.replace("ORDER BY ?order", "ORDER BY DESC(?order)")
    assert match_saved_query(edited) is None
    status, body = _post_sparql(base, edited)
    assert status == 413
    assert b"more than 400 result rows" in body and b"/queries" in body


def test_a_saved_query_by_name_with_its_parameters(base: str) -> None:
    status, body = _get(base + "/queries/commitments-with-indicators?territory=Valenciennes")
    assert status == 200
    rows = _rows(body)
    assert len(rows) == TERRITORIES["Valenciennes"]
    assert {r["territoryName"]["value"] for r in rows} == {"Valenciennes"}
    status, body = _get(base + "/queries/commitments-with-indicators?partner=caf&format=csv", accept="*/*")
    assert status == 200
    table = list(csv.DictReader(io.StringIO(body.decode("utf-8"))))
    assert len(table) == sum((n + 9) // 10 for n in TERRITORIES.values())  # one commitment in ten
    assert {r["partnerName"] for r in table} == {"CAF"}
    # By its number, an empty value unbound (every territory), a POSTed form.
    status, body = _get(base + "/queries/08?territory=")
    assert status == 200 and len(_rows(body)) == sum(TERRITORIES.values())
    request = urllib.request.Request(base + "/queries/commitments-with-indicators",
                                     data=urllib.parse.urlencode({"territory": "Rodez"}).encode(),
                                     headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(request, timeout=60) as r:
        assert len(_rows(r.read())) == TERRITORIES["Rodez"]


def test_parameters_are_values_and_checked(base: str) -> None:
    hostile = 'x" } UNION { ?s ?p ?o } #'
    status, body = _get(base + "/queries/commitments-with-indicators?territory=" + urllib.parse.quote(hostile))
    assert status == 200 and _rows(body) == []
    status, body = _get(base + "/queries/commitments-with-indicators?theme=health")
    assert status == 400 and b"territory, partner" in body and b"theme" in body
    status, body = _get(base + "/queries/no-such-query")
    assert status == 404 and b"/queries" in body


def test_the_list_of_saved_queries(base: str) -> None:
    status, body = _get(base + "/queries", accept="application/json")
    assert status == 200
    listing = json.loads(body)
    assert [q["name"] for q in listing["queries"]] == [q.name for q in saved_queries()]
    entry = next(q for q in listing["queries"] if q["name"] == "commitments-with-indicators")
    assert entry["url"] == "/queries/commitments-with-indicators"
    assert [p["name"] for p in entry["params"]] == ["territory", "partner"]
    assert listing["max_rows"] >= 1_000_000 and listing["timeout"] >= 60


def test_a_saved_answer_is_the_same_when_asked_again(base: str) -> None:
    first = _get(base + "/queries/commitments-with-indicators?territory=Rodez&format=csv", accept="*/*")
    again = _get(base + "/queries/commitments-with-indicators?territory=Rodez&format=csv", accept="*/*")
    assert first == again and first[0] == 200


# ----------------------------------------------------------------- the answer cache, in process

def _answer(text: str):
    from kg.sparql.query_worker import QueryAnswer

    return QueryAnswer(text.encode(), "text/csv")


def test_answers_are_kept_per_build_and_bounded() -> None:
    from kg.endpoint.answer_cache import AnswerCache

    cache = AnswerCache(max_bytes=10)
    calls = []

    def run(text):
        return lambda: calls.append(text) or _answer(text)

    assert cache.get_or_run("b1", "q1", run("aaaa")).body == b"aaaa"
    assert cache.get_or_run("b1", "q1", run("other")).body == b"aaaa"  # kept
    assert cache.peek("b1", "q1").body == b"aaaa" and cache.peek("b2", "q1") is None
    cache.get_or_run("b1", "q2", run("bbbb"))
    cache.get_or_run("b1", "q3", run("cccc"))  # 12 bytes > 10: the least recently used goes
    assert cache.peek("b1", "q1") is None and cache.size <= 10
    assert cache.get_or_run("b2", "q2", run("new")).body == b"new"  # another build: read again
    assert calls == ["aaaa", "bbbb", "cccc", "new"]
    assert cache.get_or_run("b2", "big", run("x" * 11)).body == b"x" * 11  # too big to keep
    assert cache.peek("b2", "big") is None


def test_errors_are_not_kept_and_a_disabled_cache_runs_every_time() -> None:
    from kg.endpoint.answer_cache import AnswerCache
    from kg.sparql.query_worker import QueryFailed

    cache = AnswerCache(max_bytes=1000)

    def fail():
        raise QueryFailed("boom", 413)

    with pytest.raises(QueryFailed):
        cache.get_or_run("b", "q", fail)
    assert cache.get_or_run("b", "q", lambda: _answer("ok")).body == b"ok"
    off = AnswerCache(max_bytes=0)
    calls = []
    for _ in range(2):
        off.get_or_run("b", "q", lambda: calls.append(1) or _answer("ok"))
    assert len(calls) == 2 and off.peek("b", "q") is None


def test_concurrent_requests_for_one_answer_run_it_once() -> None:
    from kg.endpoint.answer_cache import AnswerCache

    cache = AnswerCache(max_bytes=1000)
    calls = []

    def slow():
        calls.append(1)
        time.sleep(0.3)
        return _answer("rows")

    answers = []
    threads = [threading.Thread(target=lambda: answers.append(cache.get_or_run("b", "q", slow))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(calls) == 1 and [a.body for a in answers] == [b"rows"] * 8
