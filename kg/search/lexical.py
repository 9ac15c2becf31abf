"""French BM25: accent folding, elisions and stop words removed, Snowball stems.

Folding makes the index tolerant of OCR output that lost its accents (the 2019 protocol) and of
queries typed without them; stemming matches "logement" with "logements".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np

from kg.search.encoder import french_stop_words, word_tokens

_NUMBER = re.compile(r"\b\d{2,}\b")


@cache
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("french")


@cache
def _folded_stop_words() -> frozenset[str]:
    from ingest.normalise import fold

    return frozenset(fold(w) for w in french_stop_words())


def analyse(text: str) -> list[str]:
    """Text to index terms: folded, stop words out, stemmed; numbers kept (years, QPV codes)."""
    from ingest.normalise import fold

    stop = _folded_stop_words()
    words = [fold(w) for w in word_tokens(text)]
    terms = _stemmer().stemWords([w for w in words if len(w) > 1 and w not in stop])
    return terms + _NUMBER.findall(text) + [c.lower() for c in re.findall(r"\bQ[NP]\d{5}[A-Z]\b", text)]


def query_term_weights(query: str, expansion: str = "", expansion_weight: float = 0.5) -> dict[str, float]:
    """BM25 query terms with weights: each typed term 1 per occurrence, each added term less."""
    weights: dict[str, float] = {}
    for term in analyse(query):
        weights[term] = weights.get(term, 0.0) + 1.0
    for term in analyse(expansion) if expansion else []:
        weights.setdefault(term, expansion_weight)
    return weights


@cache
def _lemma(word: str) -> str:
    import simplemma

    return simplemma.lemmatize(word, lang="fr")


def word_forms(text: str, keep_stop_words: bool = False) -> list[frozenset[str]]:
    """Each content word as the set of its stem and its lemma's stem, folded.

    Snowball alone leaves verb forms apart ("lâchent" vs "lâcher", "frappées" vs "frapper"), so
    phrase matching (the thesaurus) compares these sets: two words match when the sets meet.
    spaCy's stop list holds words that carry meaning in a phrase ("proche", "gens", "seul"); the
    thesaurus keeps them, or "proche aidant" would shrink to "aidant" and match "aider".
    """
    from ingest.normalise import fold

    stop = frozenset() if keep_stop_words else _folded_stop_words()
    stem = _stemmer().stemWord
    forms = []
    for word in word_tokens(text):
        folded = fold(word)
        if len(folded) > 1 and folded not in stop:
            forms.append(frozenset({stem(folded), stem(fold(_lemma(word)))}))
    return forms + [frozenset({n}) for n in _NUMBER.findall(text)]


class LexicalIndex:
    """BM25 over a fixed list of texts; scores for all of them at once (filters mask them)."""

    def __init__(self, retriever) -> None:
        self._retriever = retriever

    @classmethod
    def build(cls, texts: Sequence[str]) -> LexicalIndex:
        import bm25s

        retriever = bm25s.BM25(k1=1.2, b=0.75)
        retriever.index([analyse(t) or ["∅"] for t in texts], show_progress=False)
        return cls(retriever)

    def scores(self, query: str, expansion: str = "", expansion_weight: float = 0.5) -> np.ndarray:
        """BM25 of every text for `query`; terms of `expansion` (words the user did not type,
        added by the thesaurus) count `expansion_weight` times as much."""
        return self.weighted_scores(query_term_weights(query, expansion, expansion_weight))

    def weighted_scores(self, weights: dict[str, float]) -> np.ndarray:
        """Sum over index terms of weight x BM25 score of the term (terms as `analyse` makes them)."""
        total = np.zeros(self._retriever.scores["num_docs"], dtype=np.float32)
        by_weight: dict[float, list[str]] = {}
        for term, weight in weights.items():
            if term in self._retriever.vocab_dict and weight > 0:
                by_weight.setdefault(weight, []).append(term)
        for weight, terms in by_weight.items():  # one sparse pass per distinct weight
            total += weight * np.asarray(self._retriever.get_scores(terms), dtype=np.float32)
        return total

    def salient_terms(self, texts: Sequence[str], n: int, exclude: set[str]) -> list[str]:
        """The `n` terms of `texts` with the highest tf x idf (pseudo-relevance feedback)."""
        vocab = self._retriever.vocab_dict
        indptr = self._retriever.scores["indptr"]
        n_docs = self._retriever.scores["num_docs"]
        tf: dict[str, int] = {}
        for text in texts:
            for term in analyse(text):
                if term in vocab and term not in exclude and not term.isdigit():
                    tf[term] = tf.get(term, 0) + 1

        def weight(term: str) -> float:
            t = vocab[term]
            df = int(indptr[t + 1] - indptr[t]) if t + 1 < len(indptr) else 1
            return tf[term] * float(np.log((n_docs + 1) / (df + 1)))

        return sorted(tf, key=lambda t: (-weight(t), t))[:n]

    def save(self, path: Path) -> None:
        self._retriever.save(str(path), show_progress=False)

    @classmethod
    def load(cls, path: Path, mmap: bool = False) -> LexicalIndex:
        import bm25s

        return cls(bm25s.BM25.load(str(path), show_progress=False, mmap=mmap))
