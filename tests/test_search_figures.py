"""Factual questions: what kind of figure a question asks for, how the contracts write it, and the
boosts that bring the passage holding it up (kg/search/searcher.py). Genre knowledge only: no test names a
contract's commune, partner or heading."""

from __future__ import annotations

import numpy as np

from kg.search.lexical import analyse
from kg.search.searcher import (
    Searcher,
    asked_kinds,
    counted_stem,
    counts,
    expand_terms,
    holds_figure,
    thesaurus_terms,
    translate_query,
)


def test_the_kind_of_figure_asked() -> None:
    assert "share" in asked_kinds("Quelle part de la population vit dans les quartiers prioritaires ?")
    assert "share" in asked_kinds("What share of the organisations lack visibility?")
    assert "money" in asked_kinds("Quel est le montant de l'enveloppe prévue ?")
    assert "money" in asked_kinds("How much is the solidarity grant?")
    assert "date" in asked_kinds("À quelle date est prévue l'actualisation ?")
    assert "frequency" in asked_kinds("À quelle fréquence se réunit le comité technique ?")
    assert "count" in asked_kinds("Combien de quartiers prioritaires compte le territoire ?")
    assert asked_kinds("Comment lutter contre le décrochage scolaire ?") == ()


def test_how_figures_are_written() -> None:
    assert holds_figure("Les habitants représentent environ 12 % de la population", ("share",))[0]
    assert holds_figure("une enveloppe de 4 millions d'euros", ("money",))[0]
    assert holds_figure("La dotation s'élève à 1,6 M€", ("money",))[0]
    assert holds_figure("CDI : jusqu'à 15 000 € répartis sur trois ans", ("money",))[0]
    assert holds_figure("Il se réunira minimum quatre fois par an.", ("frequency",))[0]
    assert holds_figure("Le comité se réunit chaque trimestre", ("frequency",))[0]
    assert holds_figure("signé le 31/03/2024", ("date",))[0]
    assert not holds_figure("Le comité de pilotage réunit les partenaires", ("frequency", "count"))[1]
    # a share is not an amount, and the question's own years are not the figure it asks for
    assert holds_figure("12 % des habitants", ("money",)) == (False, True)
    assert holds_figure("le contrat de ville 2024-2030", ("date",), frozenset({"2024", "2030"})) == (False, False)


def test_what_a_count_counts() -> None:
    habitants, idees = analyse("habitants")[0], analyse("idées")[0]
    assert counted_stem("Combien d'habitants vivent dans les quartiers ?") == habitants
    assert counted_stem(translate_query("How many ideas did the consultation collect?")) == idees
    assert counts("35 888 habitants soit 20 % de la population totale", habitants)
    assert counts("Idées récoltées : 636", idees)  # a table row: label, colon, number
    assert not counts("20 % de la population", habitants)


class _Records:
    def __init__(self, texts: list[str]) -> None:
        from kg.search.index import IndexRecord

        self.records = [IndexRecord(id=f"d#{i}", text=t, document="d", territory="T", record_type="passage")
                        for i, t in enumerate(texts)]


def test_a_short_figure_row_gains_the_match_of_its_label() -> None:
    """A table line cut from its label: the row under the label that matches the question gains."""
    index = _Records(["Part de ménages ayant des bas revenus (2017)", "Quartier A : 70 %",
                      "Part de moins de 25 ans (2018)", "Quartier A : 38 %"])
    searcher = Searcher.__new__(Searcher)
    searcher.index = index
    searcher.label_boost, searcher.label_lines, searcher.row_length = 0.2, 2, 80
    lexical = np.array([1.0, 0.2, 0.1, 0.2])
    out = searcher._label_boost({1: 0.5, 3: 0.5}, lexical, ("share",), frozenset())
    assert out[1] > out[3]


def test_thesaurus_terms_are_the_values_a_question_can_get() -> None:
    terms = set(thesaurus_terms())
    assert set(expand_terms("les jeunes qui lâchent l'école")) <= terms
    assert "décrochage scolaire" in " ; ".join(expand_terms("les jeunes qui lâchent l'école"))


def test_the_index_keeps_the_thesaurus_terms_vectors(tmp_path) -> None:
    """Terms' vectors are computed with the index and saved with it: a question then encodes only
    itself; an index without them (built before) computes a term when a question first adds it."""
    import zlib

    from kg.search.index import IndexRecord, SearchIndex

    class Counting:
        name, floor, dimension = "hash", 0.0, 32

        def __init__(self) -> None:
            self.encoded: list[str] = []

        def _vectors(self, texts) -> np.ndarray:
            self.encoded += list(texts)
            out = np.zeros((len(texts), self.dimension), dtype=np.float32)
            for n, text in enumerate(texts):
                for word in text.lower().split():
                    out[n, zlib.crc32(word.encode()) % self.dimension] += 1
            return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)

        encode_passages = encode_queries = _vectors

    records = [IndexRecord("p1", "passage", "Le décrochage scolaire des jeunes", "d", passage_id="p1"),
               IndexRecord("p2", "passage", "Les violences conjugales", "d", passage_id="p2")]
    index = SearchIndex.build(records, Counting())
    assert set(index.terms) == set(thesaurus_terms())
    index.save(tmp_path)
    loaded = SearchIndex.load(tmp_path)
    assert set(loaded.terms) == set(index.terms)
    encoder = Counting()
    searcher = Searcher(loaded, encoder, understand=False)
    question = "les jeunes qui lâchent l'école"
    assert expand_terms(question)
    searcher.run(question)
    assert encoder.encoded == [question]  # the terms came from the index
    loaded.terms.clear()  # an index built before the terms were kept
    searcher.run(question + " ?")
    assert set(expand_terms(question)) <= set(encoder.encoded)


def test_figure_facts_kept_per_record_answer_as_holds_figure() -> None:
    """The searcher keeps what it learnt of a record's figures (kinds found only when a question
    asks for them, numbers only when a question gives some): asked in any order, with or without
    the question's own numbers, it answers exactly as `holds_figure` on the text."""
    from random import Random

    texts = ["Les habitants représentent environ 12 % de la population", "une enveloppe de 4 millions d'euros",
             "Il se réunira minimum quatre fois par an.", "le contrat de ville 2024-2030",
             "signé le 31/03/2024", "Le comité de pilotage réunit les partenaires", "trois ateliers ont eu lieu",
             "Quartier A : 70 %", "", "la moitié des jeunes, soit 1 200 personnes, chaque année",
             "DEUX FOIS PAR AN", "touſ les ans", "Trimeſtriel", "une Subvention de 30 000 EUROS en 2024",
             "le contrat 2024-2030 : 2024", "le contrat 2024-2030 compte 12 quartiers", "PLUS DU QUART", "quatre foİs par an",
             "12 pour cent", "12 POURCENT", "pour la moitié", "pour cent euros", "annuellement", "deux2024 habitants"]
    asks = [(("count",), frozenset()), (("share", "money"), frozenset()), (("date",), frozenset({"2024", "2030"})),
            (("frequency", "count"), frozenset({"12"})), ((), frozenset()), (("money", "date", "share"), frozenset()),
            (("count",), frozenset({"2024", "2030"})), (("count", "frequency"), frozenset({"2024"})),
            (("frequency",), frozenset()), ((), frozenset({"2024"}))]
    shuffle = Random(3).sample
    for order in [asks, asks[::-1]] + [shuffle(asks, len(asks)) for _ in range(10)]:
        searcher = Searcher.__new__(Searcher)
        searcher.index = _Records(texts)
        for kinds, echoed in order:
            for i, text in enumerate(texts):
                assert searcher._figures(i, kinds, echoed) == holds_figure(text, kinds, echoed), (text, kinds)


def test_sorted_unique_is_numpys_unique() -> None:
    from kg.search.searcher import _sorted_unique

    rng = np.random.default_rng(7)
    for ids in (np.empty(0, np.int64), np.array([5], np.int64), rng.integers(0, 50, 300), rng.integers(0, 10**6, 9)):
        ids = ids.astype(np.int64)
        out = _sorted_unique(ids)
        assert out.dtype == np.unique(ids).dtype and np.array_equal(out, np.unique(ids))


def test_the_words_a_figure_kind_needs_are_in_every_text_its_pattern_matches() -> None:
    """`_KIND_WORDS` lets the searcher skip a kind's pattern on a text without any of its words; it
    restates the patterns of `_WRITTEN_KINDS` by hand, so an alternative added to a pattern without
    its words would silently stop matching. Checked on every line of the shipped contracts and of
    the synthetic documents of other territories."""
    from pathlib import Path

    from kg.search.searcher import _KIND_WORDS, _WRITTEN_KINDS, _has_kind_word

    root = Path(__file__).resolve().parent.parent
    lines = [line for folder in ("corpus", "tests/gold/openings", "tests/gold/bodies")
             for path in sorted((root / folder).glob("*.txt"))
             for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(lines) > 20_000
    for kind in _KIND_WORDS:
        matched = [line for line in lines if _WRITTEN_KINDS[kind].search(line)]
        assert matched, kind
        missed = [line for line in matched if not _has_kind_word(kind, line)]
        assert not missed, (kind, missed[:3])
