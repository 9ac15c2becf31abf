"""The search gold set is usable: it loads, and every quote is found in a passage the index keeps.

Quotes are matched the way `contrats eval --search` matches them (kg.evaluate_search), against the
passages of a fresh ingest of the shipped corpus, so a change of the reader that breaks a quote
(hyphenation, OCR repair, segmentation) is caught here rather than as a silent drop in the scores.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from ingest.corpus import ingest_file
from kg.evaluate_search import _norm, load_questions
from kg.records import index_records

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
