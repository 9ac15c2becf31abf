"""The search gold set is usable: it loads, and every quote is found in a passage the index keeps.

Quotes are matched the way `contrats eval --search` matches them (kg.search.evaluate), against the
passages of a fresh ingest of the shipped corpus, so a change of the reader that breaks a quote
(hyphenation, OCR repair, segmentation) is caught here rather than as a silent drop in the scores.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from ingest.corpus import ingest_file
from kg.records import index_records
from kg.search.evaluate import _norm, load_questions

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "tests" / "gold" / "search.jsonl"


@pytest.fixture(scope="module")
def indexed_texts(corpus_dir: Path) -> dict[str, list[str]]:
    """Normalised text of every passage the search index keeps, per document."""
    texts: dict[str, list[str]] = {}
    for path in sorted(corpus_dir.glob("*.txt")):
        ingested = ingest_file(path)
        for r in index_records(ingested.passages, [], []):  # the passages the index keeps
            texts.setdefault(r.document, []).append(_norm(r.text))
    return texts


def test_gold_loads_and_has_the_planned_mix() -> None:
    questions = load_questions(GOLD)
    assert len({q.id for q in questions}) == len(questions) >= 40
    mix = Counter((q.lang, q.type) for q in questions)
    assert mix[("fr", "paraphrase")] >= 15 and mix[("fr", "keyword")] >= 10
    assert mix[("en", "paraphrase")] + mix[("en", "keyword")] >= 10
    assert all(q.relevant for q in questions)
    assert len({doc for q in questions for doc, _ in q.relevant}) == 4


@pytest.mark.slow  # a fresh ingest of every shipped contract: out of the fast loop
def test_every_quote_matches_an_indexed_passage(indexed_texts: dict[str, list[str]]) -> None:
    missing = []
    for q in load_questions(GOLD):
        for document, quote in q.relevant:
            needle = _norm(quote)
            if not any(needle in text for text in indexed_texts.get(document, [])):
                missing.append(f"{q.id}: {document}: {quote}")
    assert not missing, "quotes found in no passage:\n" + "\n".join(missing)


def test_quotes_are_short_verbatim_snippets() -> None:
    for q in load_questions(GOLD):
        for _, quote in q.relevant:
            assert 3 <= len(quote.split()) <= 25, (q.id, quote)


def test_glossary_entries_can_match_a_query() -> None:
    """Keys are compared word by word with the query's `[\\w'-]+` tokens, lower-cased: a key holding
    other punctuation, capitals or double spaces would silently never match."""
    import re

    import yaml

    terms = yaml.safe_load((ROOT / "kg" / "data" / "glossary_en_fr.yaml").read_text("utf-8"))["terms"]
    assert len(terms) >= 300
    for english, french in terms.items():
        assert isinstance(english, str) and isinstance(french, str), (english, french)  # YAML 'no' -> False
        assert english == english.lower() and english.split() == re.findall(r"[\w'-]+", english), english


# --- the blind gold set (tests/gold/search_v2): floors on TEST ----------------------------------
#
# The default search (kg.config.DEFAULT_MODEL, understanding on) over the session build's records,
# scored on the test half of the blind questions with the writer's quotes and the judge's grades
# (kg.search.gold). Floors are the figures measured when the default was chosen on dev
# (BENCHMARKS.md, "Search quality on the blind questions"), a little below. The e5 vectors of the
# corpus come from a persistent embedding cache (CONTRATS_EMBEDDINGS, else .cache/embeddings):
# the first run encodes the corpus with e5 (about 10 minutes on 2 cores), later runs nothing.

TEST_FLOORS = {  # group -> metric -> floor (measured on test with every pooled pair judged, 2026-12-06:
    "all": {"S@5": 0.91, "MRR": 0.78, "nDCG@10": 0.54},  # all 0.95 / 0.82 / 0.58, fr 0.96 / 0.86,
    "fr": {"S@5": 0.92, "MRR": 0.82},  # en 0.94 / 0.78, factual A@5 0.88)
    "en": {"S@5": 0.90, "MRR": 0.74},
    "factual": {"A@5": 0.84},
}  # after the factual boosts (2026-12-06, later, with 129 pooled pairs not judged yet): all 0.96 / 0.85 /
#    0.59, fr 0.98 / 0.89, en 0.94 / 0.81, factual A@5 0.91 (on the build of BENCHMARKS.md)
IN_TERRITORY_FLOOR = 0.94  # questions naming a territory whose top 5 all come from it (measured 0.97)


@pytest.fixture(scope="module")
def blind_test_figures(built) -> dict:
    import os

    from kg.build.pipeline import current_build
    from kg.config import DEFAULT_MODEL
    from kg.search import gold as sg
    from kg.search.encoder import load_encoder
    from kg.search.index import SearchIndex
    from kg.search.searcher import Searcher
    from kg.search.understand import Understander

    build_dir = current_build(built.data_dir)
    records = SearchIndex.load(build_dir / "index").records
    cache = Path(os.environ.get("CONTRATS_EMBEDDINGS") or ROOT / ".cache" / "embeddings")
    encoder = load_encoder(DEFAULT_MODEL, built.data_dir / "models", cache_dir=cache)
    searcher = Searcher(SearchIndex.build(records, encoder), encoder,
                        understander=Understander.from_build(build_dir, built.reference_dir))
    split = sg.load_split()
    questions = [q for q in sg.load_gold() if q.id in set(split["test"])]
    result = sg.evaluate(searcher, questions, split, sg.load_judgments())
    assert not result["unresolved"], result["unresolved"]
    return result["table"]["hybrid"]["test"]


@pytest.mark.slow
@pytest.mark.parametrize("group", sorted(TEST_FLOORS))
def test_default_search_stays_above_its_test_floors(blind_test_figures: dict, group: str) -> None:
    for metric, floor in TEST_FLOORS[group].items():
        value = blind_test_figures[group][metric]
        assert value >= floor, f"test {group} {metric} {value:.3f} < floor {floor}"


@pytest.mark.slow
def test_questions_naming_a_territory_get_its_passages(blind_test_figures: dict) -> None:
    assert blind_test_figures["all"]["in-territory@5"] >= IN_TERRITORY_FLOOR


@pytest.mark.slow  # a fresh ingest of every shipped contract: out of the fast loop
def test_blind_gold_quotes_all_resolve_on_a_fresh_ingest(corpus_dir: Path) -> None:
    """Every blind question has at least one quote found in the passages the index keeps."""
    from kg.search import gold as sg

    records = []
    for path in sorted(corpus_dir.glob("*.txt")):
        ingested = ingest_file(path)
        records += index_records(ingested.passages, [], [])
    locator = sg.QuoteLocator(records)
    unresolved = [q.id for q in sg.load_gold() if not any(locator.find(d, quote) for d, quote, _ in q.relevant)]
    assert not unresolved, unresolved
