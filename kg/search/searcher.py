"""Hybrid search: BM25 and dense similarity fused, with filters, in French or English.

Scores of the two methods live on different scales (BM25 is unbounded, cosine is in [-1, 1]), so
each is min-max normalised over the candidates of the query before the weighted sum. The default
dense weight was chosen on the dev half of the blind questions (`contrats eval --search`,
BENCHMARKS.md).

Questions are brought to the contracts' vocabulary first: English words are translated by the
glossary (kg/data/glossary_en_fr.yaml); French everyday wording is expanded with the terms of art
of the thesaurus (kg/data/thesaurus_fr.yaml). Added terms weigh half as much as typed ones in
BM25, and their vectors (computed once per thesaurus value) pull the question's vector half-way in
the dense part. Reciprocal rank fusion and pseudo-relevance feedback are available but off:
neither helped on the gold questions.

Factual questions: a question asking for a figure ranks higher the passages holding one, more so
one of the kind asked (share, amount, date, frequency, count) written as the contracts write it,
and the number of the thing a count counts; a short table row holding such a figure also gains
from the BM25 match of the label above it (the text export cuts table lines from their labels).
Weights chosen on dev (BENCHMARKS.md, "Factual questions").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

import numpy as np

from ingest import environment
from kg.search.encoder import Encoder, EncoderBlend
from kg.search.filters import Filters
from kg.search.index import IndexRecord, SearchIndex
from kg.search.lexical import query_term_weights

if TYPE_CHECKING:
    from kg.search.understand import Understander, Understanding

DEFAULT_DENSE_WEIGHT = 0.5  # chosen with e5 on the blind questions' dev half (BENCHMARKS.md)
DEFAULT_EXPANSION_WEIGHT = 0.5
DEFAULT_FUSION = "weighted"  # or "rrf"
RRF_K = 60
METHODS = ("bm25", "dense", "hybrid")
_EN_MARKERS = frozenset(
    ["the", "of", "and", "to", "in", "for", "on", "with", "how", "what", "which", "who", "where", "why", "is", "are", "do", "does", "can", "should", "their", "people", "help", "find", "about", "between", "against", "from"]
)
_FR_MARKERS = frozenset(["le", "la", "les", "des", "du", "de", "et", "pour", "dans", "avec", "comment", "quels", "quelles", "est", "sont"])


@dataclass(frozen=True)
class SearchResult:
    record: IndexRecord
    score: float
    lexical: float = 0.0
    dense: float = 0.0
    query_used: str = ""

    def to_json(self) -> dict:
        r = self.record
        return {
            "text": r.text, "document": r.document, "territory": r.territory, "page": r.page,
            "line": r.line, "section_path": list(r.section_path), "score": round(self.score, 4),
            "record_type": r.record_type, "id": r.id, "passage_id": r.passage_id, "node": r.node,
            "partner": r.partner, "partner_type": r.partner_type, "themes": list(r.themes),
            "neighbourhoods": list(r.neighbourhoods), "generation": r.generation,
            "scores": {"lexical": round(self.lexical, 4), "dense": round(self.dense, 4)},
        }


@cache
def _glossary() -> list[tuple[tuple[str, ...], str]]:
    from pathlib import Path

    import yaml

    data = yaml.load((Path(__file__).parent.parent / "data" / "glossary_en_fr.yaml").read_text("utf-8"),
                     Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # libyaml: 10x faster
    entries = [(tuple(en.lower().split()), fr) for en, fr in data["terms"].items()]
    return sorted(entries, key=lambda e: -len(e[0]))


@cache
def _thesaurus() -> list[tuple[tuple[frozenset[str], ...], str]]:
    """French everyday wording -> terms of art (kg/data/thesaurus_fr.yaml), keys as word forms."""
    from pathlib import Path

    import yaml

    from kg.search.lexical import word_forms

    data = yaml.load((Path(__file__).parent.parent / "data" / "thesaurus_fr.yaml").read_text("utf-8"),
                     Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    entries = [(tuple(word_forms(str(key), keep_stop_words=True)), str(value))
               for key, value in data["terms"].items()]
    return [(forms, value) for forms, value in entries if forms and value]


def expand_terms(query: str) -> list[str]:
    """The thesaurus values (terms of art) added to a question, in the thesaurus's order.

    An entry matches when all the stems of its key are among the query's stems; an entry whose
    stems are a strict subset of another matching entry's gives way to it (the longer phrase is
    more specific: "lâcher école" over "école").
    """
    from kg.search.lexical import word_forms

    words = frozenset().union(*word_forms(query, keep_stop_words=True))
    by_form = _thesaurus_by_form()
    candidates = sorted({n for word in words for n in by_form.get(word, ())})
    entries = _thesaurus()
    matched = [(frozenset().union(*entries[n][0]), entries[n][1]) for n in candidates
               if all(form & words for form in entries[n][0])]
    kept = [value for stems, value in matched if not any(stems < other for other, _ in matched)]
    return list(dict.fromkeys(kept))


@cache
def _thesaurus_by_form() -> dict[str, tuple[int, ...]]:
    """Word form -> the thesaurus entries whose first word has that form (an entry can match only
    a question holding one of them): 0.1 ms a question instead of 2.7 for trying all 900."""
    out: dict[str, list[int]] = {}
    for n, (key, _) in enumerate(_thesaurus()):
        for form in key[0]:
            out.setdefault(form, []).append(n)
    return {form: tuple(ns) for form, ns in out.items()}


def expand_query(query: str) -> str:
    """Terms of art the French thesaurus adds to a question, joined by " ; " ("" when none)."""
    return " ; ".join(expand_terms(query))


def thesaurus_terms() -> list[str]:
    """Every value the thesaurus can add (their vectors are computed once, kg.search.index)."""
    return sorted({value for _, value in _thesaurus()})


def detect_language(query: str) -> str:
    words = re.findall(r"[a-zà-ÿ']+", query.lower())
    en = sum(w in _EN_MARKERS for w in words)
    fr = sum(w in _FR_MARKERS for w in words) + 2 * bool(re.search(r"[éèêàçùœ]", query.lower()))
    if en > fr:
        return "en"
    if en == fr == 0:
        known = sum(w in _glossary_by_first() for w in words)
        return "en" if words and known / len(words) > 0.5 else "fr"
    return "fr"


@cache
def _glossary_by_first() -> dict[str, list[tuple[tuple[str, ...], str]]]:
    """The glossary's entries by their first word, in the glossary's order (which decides)."""
    out: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for en, fr in _glossary():
        out.setdefault(en[0], []).append((en, fr))
    return out


def translate_query(query: str) -> str:
    """English domain words replaced by their French terms; other words kept (names, acronyms)."""
    words = re.findall(r"[\w'-]+", query.lower())
    out: list[str] = []
    i = 0
    by_first = _glossary_by_first()
    while i < len(words):
        for en, fr in by_first.get(words[i], ()):
            if tuple(words[i:i + len(en)]) == en:
                out.append(fr)
                i += len(en)
                break
        else:
            if words[i] not in _EN_MARKERS:
                out.append(words[i])
            i += 1
    return " ".join(out)


_ASKS_FIGURE = re.compile(
    r"\b(?:combien|quel(?:le)?s?\s+(?:(?:est|sont|[ée]tait|seront?)\s+(?:le|la|les|l['’])\s*)?(?:part|montant|nombre|taux|proportion|pourcentage|budget|enveloppe|"
    r"somme|co[uû]t|date|ann[ée]e|d[ée]lai|fr[ée]quence|dur[ée]e)|how\s+(?:many|much|often|long)|"
    r"what\s+(?:share|proportion|percentage|amount|number|rate|budget|sum|date|year)|when|quand|"
    r"en\s+quelle\s+ann[ée]e|[àa]\s+quelle\s+date)\b", re.IGNORECASE)
_FIGURE = re.compile(r"\d")

# What kind of figure a question asks for, and how the contracts write each kind (genre knowledge:
# shares as "12 %", amounts as "4 millions d'euros" / "1,6 M€" / "336 164 euros", dates as years,
# months or "31/03/2024", frequencies in words — "quatre fois par an", "chaque trimestre",
# "annuellement" —, counts as a number before what is counted, often a table row "Idées : 636").
_ASKED_KINDS = {
    "share": re.compile(r"\b(?:part|parts|proportion|pourcentage|taux|share|percentage|rate|ratio)\b", re.I),
    "money": re.compile(r"\b(?:montant|budget|enveloppe|somme|co[uû]t|financements?|dotations?|cr[ée]dits|"
                        r"euros?|how\s+much|amount|funding|funds?|cost|grants?|aid)\b", re.I),
    "date": re.compile(r"\b(?:quand|date|ann[ée]e|when|year|d[ée]lai|[ée]ch[ée]ance|deadline|calendrier|"
                       r"timetable)\b", re.I),
    "frequency": re.compile(r"\b(?:fr[ée]quence|rythme|combien\s+de\s+fois|how\s+often|frequency|per\s+year|"
                            r"par\s+an)\b", re.I),
    "count": re.compile(r"\b(?:combien|nombre|how\s+many|number)\b", re.I),
}
_NUMBER_WORDS = (r"(?:un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|quinze|vingt|trente|"
                 r"quarante|cinquante|soixante|cent|mille)")
_WRITTEN_KINDS = {
    "share": re.compile(r"\d\s*%|\d\s*pour\s*cent|\bla\s+moiti[ée]\b|\bun\s+(?:tiers|quart)\b", re.I),
    "money": re.compile(r"\d[\d\s.,]*\s*(?:€|k€|m€|euros?\b|millions?\s+d['’]\s*euros?|milliards?)|€\s*\d", re.I),
    "date": re.compile(r"\b(?:19|20)\d\d\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b|\b(?:janvier|f[ée]vrier|mars|avril|mai|juin|"
                       r"juillet|ao[uû]t|septembre|octobre|novembre|d[ée]cembre)\b", re.I),
    "frequency": re.compile(rf"\b(?:{_NUMBER_WORDS}|\d+)\s+fois\s+par\s+(?:an|ann[ée]e|mois|semaine|trimestre|"
                            r"semestre)\b|\b(?:chaque|tous\s+les|toutes\s+les)\s+(?:ans?|ann[ée]es?|mois|semaines?|"
                            r"trimestres?|semestres?)\b|\b(?:annuel|semestriel|trimestriel|mensuel|hebdomadaire)"
                            r"(?:le)?s?(?:ment)?\b", re.I),
    "count": re.compile(rf"\d|\b{_NUMBER_WORDS}\b\s+\w", re.I),
}
_QUESTION_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


def asks_for_figure(query: str) -> bool:
    """The question asks for a count, an amount, a share or a date."""
    return bool(_ASKS_FIGURE.search(query))


def asked_kinds(query: str) -> tuple[str, ...]:
    """The kinds of figure a question asks for (share, money, date, frequency, count), when it asks
    for one."""
    if not asks_for_figure(query):
        return ()
    return tuple(kind for kind, pattern in _ASKED_KINDS.items() if pattern.search(query))


_COUNTED = re.compile(r"\b(?:combien\s+(?:de\s+|d['’]\s*)|nombre\s+(?:de\s+|d['’]\s*)?)([^\W\d_]{3,})", re.I)
_NUMBER_THEN_WORD = re.compile(r"\d(?:[\d\s.,]*\d)?\s+([^\W\d_]{3,})")
_ROW_LABEL = re.compile(r"^\W*([^\W\d_]{3,})[^:\n]{0,60}:\s*\d")  # a table row "Idées récoltées : 636"


def counted_stem(query: str) -> str | None:
    """The stem of what a count question counts ("combien d'habitants", "how many ideas" ->
    "nombre idées"): the contracts write a count as the number before it ("35 888 habitants")."""
    from kg.search.lexical import analyse

    match = _COUNTED.search(query)
    stems = analyse(match.group(1)) if match else []
    return stems[0] if stems else None


def counts(text: str, stem: str) -> bool:
    """The text writes a number right before a word of stem `stem`, or is a table row whose label
    starts with one ("Idées récoltées : 636")."""
    from kg.search.lexical import analyse

    row = _ROW_LABEL.match(text)
    return (row is not None and analyse(row.group(1))[:1] == [stem]) or \
        any(analyse(m.group(1))[:1] == [stem] for m in _NUMBER_THEN_WORD.finditer(text))


def holds_figure(text: str, kinds: tuple[str, ...], echoed: frozenset[str] = frozenset()) -> tuple[bool, bool]:
    """(the text writes a figure of one of `kinds`, the text holds some other figure): numbers the
    question itself gives (`echoed`: "2024-2030", "2019") are not figures it asks for."""
    if echoed:
        text = _QUESTION_NUMBER.sub(lambda m: " " if m.group() in echoed else m.group(), text)
    typed = any(_WRITTEN_KINDS[kind].search(text) for kind in kinds)
    return typed, typed or bool(_FIGURE.search(text))


def _sorted_unique(ids: np.ndarray) -> np.ndarray:
    """`np.unique(ids)` by sorting: numpy 2's hashing unique took 0.1-1 ms on a territory's ids,
    a tenth of a question's ranking."""
    ids = np.sort(ids)
    return ids[np.concatenate(([True], ids[1:] != ids[:-1]))] if len(ids) else ids


@dataclass
class _FigureFacts:
    """What `holds_figure` needs to know of one record's text, filled in as questions ask."""

    digit: bool
    numbers: frozenset[str] | None = None
    written: dict[str, bool] = field(default_factory=dict)

    def writes(self, kind: str, text: str) -> bool:
        """The text writes a figure of this kind (`_WRITTEN_KINDS`); a digit is a count (the count
        pattern's first alternative); a text without any of the words a kind's pattern needs
        (`_KIND_WORDS`) writes none of it (the case-insensitive patterns cost 10-30 µs a record)."""
        found = self.written.get(kind)
        if found is None:
            if kind == "count" and self.digit:
                found = True
            elif kind in _KIND_WORDS and not _has_kind_word(kind, text):
                found = False
            else:
                found = bool(_WRITTEN_KINDS[kind].search(text))
            self.written[kind] = found
        return found


# What every match of a kind's pattern contains (lower case), one group of words per alternative
# of the pattern: a text holding no group whole has no match.
_KIND_WORDS = {"share": (("%",), ("pour", "cent"), ("moiti",), ("tiers",), ("quart",)),
               "money": (("€",), ("euro",), ("milliard",)),
               "frequency": tuple((w,) for w in ("fois", "chaque", "tous", "toutes", "annuel", "semestriel",
                                                 "trimestriel", "mensuel", "hebdomadaire"))}
# Letters re.IGNORECASE matches to i, s or k that str.lower() does not turn into them
_CASE_ODD = ("ı", "İ", "ſ", "K")


def _has_kind_word(kind: str, text: str) -> bool:
    if any(c in text for c in _CASE_ODD):
        return True  # let the pattern decide
    low = text.lower()
    return any(all(word in low for word in group) for group in _KIND_WORDS[kind])


def _normalise(scores: dict[int, float]) -> dict[int, float]:
    if not scores:
        return {}
    lo, hi = min(scores.values()), max(scores.values())
    if hi - lo < 1e-9:
        return {i: (1.0 if hi > 0 else 0.0) for i in scores}
    return {i: (s - lo) / (hi - lo) for i, s in scores.items()}


def _reciprocal_rank_fusion(lexical: dict[int, float], dense: dict[int, float], w: float) -> dict[int, float]:
    """Weighted reciprocal rank fusion: only ranks count, so no scale has to be normalised."""
    fused: dict[int, float] = {}
    for scores, weight in ((lexical, 1 - w), (dense, w)):
        for rank, i in enumerate(sorted(scores, key=lambda j: -scores[j]), 1):
            fused[i] = fused.get(i, 0.0) + weight / (RRF_K + rank)
    return fused


@dataclass(frozen=True)
class SearchResponse:
    """Results with what the question was understood to ask (kg.search.understand) and the query used."""

    query: str
    results: list[SearchResult]
    understood: Understanding | None = None
    query_used: str = ""
    translated: str = ""  # an English question as the glossary translated it (not in to_json: the CLI's shape)

    def to_json(self) -> dict:
        return {"query": self.query, "query_used": self.query_used,
                "understood": self.understood.to_json() if self.understood is not None else None,
                "results": [r.to_json() for r in self.results]}


@dataclass
class Searcher:
    index: SearchIndex
    encoder: Encoder | EncoderBlend  # a blend is what CONTRATS_MODEL=a+b loads
    understander: Understander | None = None  # of the build, when known
    understand: bool = True  # questions naming a territory/generation/partner/neighbourhood narrow or boost
    mention_boost: float = 0.15  # added to the fused score of a record naming a partner/neighbourhood asked
    figure_boost: float = 0.1  # added to records holding a figure when the question asks for one
    typed_figure_boost: float = 0.1  # added again when the figure is of the kind asked (a share, an amount...)
    counted_boost: float = 0.2  # added when the figure is a number of the thing a count question counts
    label_boost: float = 0.2  # x the BM25 match of the label above a short figure row (a table's line)
    label_lines: int = 2
    row_length: int = 80
    dense_weight: float = field(
        default_factory=lambda: environment.number("CONTRATS_HYBRID_WEIGHT", DEFAULT_DENSE_WEIGHT, positive=False)
    )
    candidates: int = 200
    expand: bool = True  # French thesaurus expansion (kg/data/thesaurus_fr.yaml)
    expand_languages: tuple[str, ...] = ("fr",)  # English is translated by the glossary instead
    expansion_weight: float = DEFAULT_EXPANSION_WEIGHT  # of an added term in BM25, the user's weigh 1
    dense_expansion_weight: float = DEFAULT_EXPANSION_WEIGHT  # of the added terms' vector
    feedback: int = 0  # pseudo-relevance feedback from this many first results (0: none)
    feedback_terms: int = 10
    feedback_weight: float = 0.3
    fusion: str = field(default_factory=lambda: environment.text("CONTRATS_FUSION", DEFAULT_FUSION))

    def _query_vector(self, used: str, terms: list[str]) -> np.ndarray:
        """The question's vector, moved towards the added terms of art: towards the normalised sum
        of the terms' own vectors, which the index computed once for every thesaurus value (so a
        question costs one encoding, its own; the vector of the terms joined into one text cost a
        second encoding of 25-70 tokens, for the same figures on dev: BENCHMARKS.md)."""
        own = self.encoder.encode_queries([used])[0]
        if not terms or self.dense_expansion_weight <= 0:
            return own
        extra = self.index.term_vectors(terms, self.encoder).sum(0)
        extra = extra / (np.linalg.norm(extra) or 1.0)
        vector = own + self.dense_expansion_weight * extra
        return (vector / (np.linalg.norm(vector) or 1.0)).astype(np.float32)

    def _label_boost(self, fused: dict[int, float], lexical: np.ndarray, kinds: tuple[str, ...],
                     echoed: frozenset[str]) -> dict[int, float]:
        """Figures in these contracts often stand in short table rows ("Arras Ouest : 70 %") whose
        meaning is in the label or heading a line or two above ("Part de ménages ayant des bas
        revenus"): a short row holding a figure of the kind asked gains `label_boost` x the best
        BM25 match (normalised) of the `label_lines` records before it in the same document."""
        records = self.index.records
        out = dict(fused)
        for i in fused:
            r = records[i]
            if len(r.text) > self.row_length or not self._figures(i, kinds or ("count",), echoed)[0]:
                continue
            above = [j for j in range(max(0, i - self.label_lines), i)
                     if records[j].document == r.document and records[j].record_type == r.record_type]
            if above:
                out[i] += self.label_boost * float(max(lexical[j] for j in above))
        return out

    def _figures(self, i: int, kinds: tuple[str, ...], echoed: frozenset[str]) -> tuple[bool, bool]:
        """`holds_figure` of record i, from facts computed once per record and only when first
        asked (whether it holds a digit; its numbers, once a question gives some; each kind of
        figure it writes, once a question asks for that kind: the five patterns on every new
        candidate were most of a first question's ranking); recomputed only when it repeats a
        number of the question."""
        cache = self.__dict__.setdefault("_figure_cache", {})
        facts = cache.get(i)
        text = self.index.records[i].text
        if facts is None:
            facts = cache[i] = _FigureFacts(bool(_FIGURE.search(text)))
        if echoed:
            if facts.numbers is None:
                facts.numbers = frozenset(_QUESTION_NUMBER.findall(text))
            if echoed & facts.numbers:
                if "count" in kinds and not facts.numbers <= echoed:
                    # a number the question does not give stays after `holds_figure` blanks the
                    # given ones (every digit is in some number): a digit, so a count
                    return True, True
                return holds_figure(text, kinds, echoed)
        typed = any(facts.writes(kind, text) for kind in kinds)
        return typed, typed or facts.digit

    def _counts(self, i: int, stem: str) -> bool:
        """`counts` of record i, from the stems it writes after a number (computed once)."""
        cache = self.__dict__.setdefault("_counted_cache", {})
        stems = cache.get(i)
        if stems is None:
            from kg.search.lexical import analyse

            text = self.index.records[i].text
            row = _ROW_LABEL.match(text)
            words = [m.group(1) for m in _NUMBER_THEN_WORD.finditer(text)] + ([row.group(1)] if row else [])
            stems = cache[i] = frozenset(analyse(w)[0] for w in words if analyse(w))
        return stem in stems

    def _folded(self, i: int) -> str:
        """Record i's text folded (kg.search.understand.fold), computed once: folding 200 candidates on
        every question cost more than the rest of the ranking."""
        cache = self.__dict__.setdefault("_folded_cache", {})
        if i not in cache:
            from kg.search.understand import fold

            cache[i] = fold(self.index.records[i].text)
        return cache[i]

    def _postings(self) -> dict[str, dict[str, np.ndarray]]:
        """field -> lowercased value -> record positions; built once, so filters cost no scan."""
        if getattr(self, "_postings_cache", None) is None:
            lists: dict[str, dict[str, list[int]]] = {}
            for i, r in enumerate(self.index.records):
                values: dict[str, list[str | None]] = {
                    "territories": [r.territory, r.territory_name],
                    "generations": [r.generation], "documents": [r.document],
                    "partner_types": [r.partner_type], "record_types": [r.record_type],
                    "themes": list(r.themes), "neighbourhoods": list(r.neighbourhoods),
                }
                for name, vs in values.items():
                    for v in vs:
                        if v:
                            lists.setdefault(name, {}).setdefault(v.lower(), []).append(i)
            self._postings_cache = {name: {v: np.array(ids, dtype=np.int64) for v, ids in d.items()}
                                    for name, d in lists.items()}
        return self._postings_cache

    def _candidate_ids(self, filters: Filters | None) -> np.ndarray | None:
        if filters is None or not filters.active():
            return None
        postings = self._postings()
        selected: np.ndarray | None = None
        for name in ("territories", "generations", "documents", "partner_types", "record_types", "themes",
                     "neighbourhoods"):
            wanted = getattr(filters, name)
            if not wanted:
                continue
            parts = [postings.get(name, {}).get(v.lower()) for v in wanted]
            ids = _sorted_unique(np.concatenate([p for p in parts if p is not None] or [np.empty(0, np.int64)]))
            selected = ids if selected is None else np.intersect1d(selected, ids, assume_unique=True)
        if filters.partners:
            pool = selected if selected is not None else np.arange(len(self.index.records))
            needles = [p.lower() for p in filters.partners]
            selected = np.array([i for i in pool if any(n in (self.index.records[i].partner or "").lower()
                                                        for n in needles)], dtype=np.int64)
        return selected

    def _rank(self, method: str, weights: dict[str, float], vector: np.ndarray | None,
              ids: np.ndarray | None, scores: np.ndarray | None = None
              ) -> tuple[dict[int, float], dict[int, float], dict[int, float]]:
        """Lexical candidates, dense candidates and their fusion, by the chosen method (`scores`:
        the BM25 scores of every record, when already computed)."""
        lexical: dict[int, float] = {}
        dense: dict[int, float] = {}
        if method in ("bm25", "hybrid"):
            scores = self.index.lexical.weighted_scores(weights) if scores is None else scores
            pool = ids if ids is not None else np.arange(len(scores))
            if len(pool):
                top = pool[np.argsort(-scores[pool])[: self.candidates]]
                lexical = {int(i): float(scores[i]) for i in top if scores[i] > 0}
        if method in ("dense", "hybrid") and vector is not None:
            dense = self.index.dense_scores(vector, ids, self.candidates)
        if method == "bm25":
            return lexical, dense, lexical
        if method == "dense":
            return lexical, dense, dense
        if self.fusion == "rrf":
            return lexical, dense, _reciprocal_rank_fusion(lexical, dense, self.dense_weight)
        ln, dn = _normalise(lexical), _normalise(dense)
        w = self.dense_weight
        return lexical, dense, {i: w * dn.get(i, 0.0) + (1 - w) * ln.get(i, 0.0) for i in set(ln) | set(dn)}

    def search(self, query: str, k: int = 10, filters: Filters | None = None, method: str = "hybrid",
               language: str | None = None, understand: bool | None = None,
               ignore: tuple[str, ...] = ()) -> list[SearchResult]:
        return self.run(query, k, filters, method, language, understand, ignore).results

    def understood(self, query: str, language: str | None = None):
        """What the question names (kg.search.understand.Understanding), or None without an understander."""
        if self.understander is None:
            return None
        language = language or detect_language(query)
        return self.understander.understand(query, translate_query(query) if language == "en" else None)

    def run(self, query: str, k: int = 10, filters: Filters | None = None, method: str = "hybrid",
            language: str | None = None, understand: bool | None = None,
            ignore: tuple[str, ...] = ()) -> SearchResponse:
        """Search, with the question's mentions of territories, generations, partners and
        neighbourhoods applied (unless `understand` is False; `ignore` drops some: "territory",
        "partner:caf"...). A filter given explicitly wins over an understood one of its kind."""
        from dataclasses import replace

        if method not in METHODS:
            raise ValueError(f"unknown method {method!r} (one of {', '.join(METHODS)})")
        if not isinstance(k, int) or k < 1:
            raise ValueError(f"k must be a positive number of results, got {k!r}")  # -5 once gave 272
        query = query.strip()
        if not query:
            raise ValueError("empty query")
        language = language or detect_language(query)
        understood = self.understood(query, language) if (self.understand if understand is None else understand) \
            else None
        if understood is not None and ignore:
            understood = understood.without(*ignore)
        filters = filters or Filters()
        if understood is not None:
            if understood.territories and not filters.territories and not filters.documents:
                filters = replace(filters, territories=understood.territories)
            if understood.generations and not filters.generations and not filters.documents:
                filters = replace(filters, generations=understood.generations)
        used = translate_query(query) if language == "en" else query
        translated = used if language == "en" else ""
        terms = expand_terms(used) if self.expand and language in self.expand_languages else []
        added = " ; ".join(terms)
        ids = self._candidate_ids(filters)
        if ids is not None and len(ids) == 0:
            return SearchResponse(query, [], understood, used, translated)
        weights = query_term_weights(used, added, self.expansion_weight)
        vector = self._query_vector(used, terms) if method != "bm25" else None
        all_lexical = self.index.lexical.weighted_scores(weights) if method != "dense" else None
        lexical, dense, fused = self._rank(method, weights, vector, ids, all_lexical)
        if self.feedback and fused:
            # Pseudo-relevance feedback: the best first results lend their salient terms (BM25) and
            # their vectors (dense, Rocchio) to a second pass.
            top = [self.index.records[i].text for i, _ in sorted(fused.items(), key=lambda kv: -kv[1])[:self.feedback]]
            weights = dict(weights)
            for term in self.index.lexical.salient_terms(top, self.feedback_terms, set(weights)):
                weights[term] = self.feedback_weight
            if vector is not None:
                vector = vector + self.feedback_weight * self.encoder.encode_passages(top).mean(0)
                vector = (vector / (np.linalg.norm(vector) or 1.0)).astype(np.float32)
            lexical, dense, fused = self._rank(method, weights, vector, ids)
        if understood is not None and self.mention_boost > 0 and fused:
            from kg.search.understand import Boosts

            boosts = Boosts.of(understood)
            if boosts.patterns:
                fused = {i: s + self.mention_boost * min(1, boosts.matches_folded(self._folded(i)))
                         for i, s in fused.items()}
        if (self.figure_boost > 0 or self.typed_figure_boost > 0) and fused and asks_for_figure(query):
            kinds = asked_kinds(query)
            echoed = frozenset(_QUESTION_NUMBER.findall(query))
            counted = counted_stem(used) if self.counted_boost > 0 else None
            boosted = {}
            for i, s in fused.items():
                typed, some = self._figures(i, kinds, echoed)
                boosted[i] = s + self.figure_boost * some + self.typed_figure_boost * typed \
                    + (self.counted_boost if counted and some and self._counts(i, counted) else 0.0)
            fused = boosted
            if self.label_boost > 0 and all_lexical is not None and all_lexical.max() > 0:
                fused = self._label_boost(fused, all_lexical / all_lexical.max(), kinds, echoed)
        if added:
            used = f"{used} [+ {added}]"
        best = sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
        return SearchResponse(query, [SearchResult(self.index.records[i], s, lexical.get(i, 0.0), dense.get(i, 0.0),
                                                   used) for i, s in best], understood, used, translated)
