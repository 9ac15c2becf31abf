"""Text helpers for neighbourhood extraction: name cleaning, status cues, comparison keys, and a
lexicon of the communes a document names (so that "Anzin Verrerie - Square République" splits
into the commune "Anzin" and the neighbourhood "Verrerie - Square République").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any

from ingest.extract.gazetteer import proper_case
from ingest.model import Passage, Status
from ingest.normalise import fold
from ingest.resources import load_yaml

COMMUNE_OF = re.compile(
    r"\b(?i:commune|ville)s?\s+(?i:de\s+|d['’]\s*)([A-ZÀ-Ý][\w'’]*(?:-[\w'’]+)*)")
QPV_CODE = re.compile(r"\(?\b(Q[NP]\s?(?:\d{5,6}|0?2[AB]\d{2,3})\s?[A-Z]?)\b\)?")  # Corsica: QN02A01M
_SEPARATOR = re.compile(r"^(\s*(,|/|&|-|–|\bet\b)?\s*)$")
_EDGE = " \t•·-–—>*;,.:|"


@cache
def cues() -> dict[str, Any]:
    return load_yaml("neighbourhood_cues.yaml")


@lru_cache(maxsize=65536)  # passages are folded by several rules; bounded for large builds
def fold_cut(text: str) -> str:
    """Folded text (lowercase, no accents); same length as `text` except for œ/æ."""
    return fold(text)


def _folded_with_map(text: str) -> tuple[str, list[int]]:
    """Folded text and, for each folded character, the index of the original character."""
    folded = fold(text)
    if len(folded) == len(text):  # the usual case: one folded character per character
        return folded, list(range(len(text)))
    chars: list[str] = []
    where: list[int] = []
    for i, c in enumerate(text):
        f = fold(c)
        chars.append(f)
        where.extend([i] * len(f))
    return "".join(chars), where


def clean_name(text: str) -> str:
    """A name as written, without markup, trailing captions, bullets or end punctuation."""
    text = text.replace("**", "")
    folded, where = _folded_with_map(text)
    cut = len(text)
    for stop in cues()["name_stops"]:
        at = folded.find(stop)
        if at > 0:
            cut = min(cut, where[at])
    text = re.sub(r"\s+", " ", text[:cut])
    text = re.sub(r"\s*\(\s*\d+\s*\)\s*[;.:,]?\s*$", "", text)  # "Épinette (7)": a count, not a name
    text = re.sub(r"(\w)- (?=[A-ZÀ-Ý])", r"\1-", text)  # "Aulnoye- Aymeries": a rejoined line
    return text.strip(_EDGE).strip()


def strip_article(name: str) -> str:
    """"du Bois du Quesnoy" -> "Bois du Quesnoy" (a name cut out of running text)."""
    rest = re.sub(r"^(?i:de la |de l['’]\s*|du |de |d['’]\s*)", "", name).strip()
    rest = re.sub(r"^(?i:des) ", "Les ", rest)  # "des Hauts" -> "Les Hauts"
    return rest[:1].upper() + rest[1:] if rest else name


def strip_prefix(name: str) -> str:
    """"Le quartier du Village" -> "Village"; "Le quartier intercommunal X" keeps its noun."""
    folded, where = _folded_with_map(name)
    for pattern in cues()["name_prefixes"]:
        m = re.match(pattern, folded)
        if m and m.end() < len(folded):
            rest = name[where[m.end()]:].strip()
            if fold(rest).startswith("intercommunal"):
                rest = re.sub(r"^(?i:les?|du|au)\s+", "", name).strip()
            return rest[:1].upper() + rest[1:]
    return name


def status_in(text: str) -> Status | None:
    """The status named in a header, lead-in or parenthesis: the cue nearest the end wins."""
    folded = " ".join(re.findall(r"\w+", fold(text)))
    best: tuple[int, Status] | None = None
    for status in (Status.VULNERABILITE, Status.VEILLE, Status.PRIORITY):
        for cue in cues()["status"][status.value]:
            at = folded.rfind(cue)
            if at >= 0 and (best is None or at > best[0]):
                best = (at, status)
    return best[1] if best else None


@lru_cache(maxsize=65536)
def tokens(text: str) -> tuple[str, ...]:
    return tuple(re.findall(r"\w+", fold(text)))


def key_of(name: str, communes: Iterable[str] = (), lexicon: CommuneLexicon | None = None) -> str:
    """Comparison key of a neighbourhood name: folded words without stopwords and commune names."""
    return _key(name, tuple(communes))


_NUMBER_WORDS = {w: str(n) for n, w in enumerate(
    ["zero", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix"])}


@lru_cache(maxsize=65536)
def _key(name: str, communes: tuple[str, ...]) -> str:
    stop = set(cues()["key_stopwords"])
    # "Quatre As" and "4 As" are one name: number words compare as digits.
    words = [_NUMBER_WORDS.get(w, w) for w in tokens(name) if w not in stop]
    commune_words = {w for c in communes for w in tokens(c)}
    without = [w for w in words if w not in commune_words]
    return " ".join(without or words or tokens(name))


@dataclass
class CommuneLexicon:
    """Communes named in one document, keyed by their folded words."""

    forms: dict[tuple[str, ...], str] = field(default_factory=dict)

    @classmethod
    def from_passages(cls, passages: Sequence[Passage]) -> CommuneLexicon:
        lexicon = cls()
        for p in passages:
            for m in COMMUNE_OF.finditer(p.text):
                # "COMMUNE DE PETITE FORET": where an upper-case name goes on, its end is unknown
                if not re.match(r"\s+[A-ZÀ-Ý]{2}", p.text[m.end():]):
                    lexicon.add(m.group(1))
        return lexicon

    def add(self, name: str) -> None:
        name = name.strip(_EDGE).strip()
        key = tuple(tokens(name))
        if not key or len(key) > 6 or not name[:1].isupper():
            return
        if " ".join(key) in cues()["generic_names"]:
            return
        seen = self.forms.get(key)
        if seen is None or (seen.isupper() and not name.isupper()):
            self.forms[key] = name

    def _match_at(self, words: list[tuple[int, int, str]], i: int) -> int:
        """Length in words of the longest commune starting at word i (0 if none)."""
        for k in range(min(6, len(words) - i), 0, -1):
            if tuple(w for _, _, w in words[i:i + k]) in self.forms:
                return k
        return 0

    def split_prefix(self, text: str) -> tuple[list[str], str]:
        """Communes at the start of `text` (separated by commas, slashes, "et") and the rest."""
        words = [(m.start(), m.end(), fold(m.group())) for m in re.finditer(r"\w+", text)]
        found: list[str] = []
        i, end = 0, 0
        while i < len(words):
            if not _SEPARATOR.match(text[end:words[i][0]]):
                break
            k = self._match_at(words, i)
            if k == 0:
                break
            found.append(text[words[i][0]:words[i + k - 1][1]])
            end = words[i + k - 1][1]
            i += k
        return found, text[end:].strip(_EDGE).strip()

    def trailing(self, text: str) -> list[str]:
        """Communes that end `text` ("École Henri Matisse Quiévrechain" -> ["Quiévrechain"])."""
        words = list(re.finditer(r"\w+", text))
        for i in range(len(words)):
            communes, rest = self.split_prefix(text[words[i].start():])
            if communes and not rest:
                return communes
        return []

    def knows(self, text: str) -> bool:
        communes, rest = self.split_prefix(text.strip())
        return bool(communes) and not rest

    def split_list(self, text: str) -> list[str]:
        communes, rest = self.split_prefix(text.strip())
        return communes if communes and not rest else [text.strip()]

    def named_in(self, text: str) -> list[str]:
        """Communes whose words all occur in `text` ("Sous-le-Bois-Louvroil" -> Louvroil)."""
        words = set(tokens(text))
        return [shown for key, shown in self.forms.items() if words.issuperset(key)]

    def canonical(self, name: str) -> str:
        return " ".join(tokens(name))

    def display(self, name: str) -> str:
        shown = self.forms.get(tuple(tokens(name)), name.strip())
        return proper_case(shown) if shown.isupper() else shown

    def section_communes(self, passage: Passage) -> list[str]:
        """The commune whose chapter ("COMMUNE DE CRESPIN") a passage sits in, if any."""
        for heading in reversed(passage.section_path):
            m = COMMUNE_OF.search(heading)
            if m and self.knows(m.group(1)):
                return [m.group(1)]
        return []


def code_in(text: str | None) -> str | None:
    if not text:
        return None
    m = QPV_CODE.search(text)
    return re.sub(r"\s", "", m.group(1)) if m else None


def generic(name: str) -> bool:
    words = " ".join(re.findall(r"\w+", fold_cut(name)))
    return len(words) < 2 or words in cues()["generic_names"] or any(
        re.match(p, words) for p in cues().get("noise_names", []))


def facility(name: str) -> bool:
    words = " ".join(re.findall(r"\w+", fold_cut(name)))
    return any(words == f or words.startswith(f + " ") for f in cues()["facility_words"])


def not_a_name(name: str) -> bool:
    """Sentences and topics ("Les habitants des quartiers") are not neighbourhood names."""
    words = set(re.findall(r"\w+", fold_cut(name)))
    counted = re.search(r"\b\d+\s+quartiers\b", fold_cut(name))  # "14 quartiers prioritaires"
    return len(words) > 12 or bool(counted) or bool(words & set(cues()["non_name_words"]))


def plausible(name: str) -> bool:
    """A phrase found outside a neighbourhood table that may be a neighbourhood's name."""
    return not generic(name) and not facility(name) and not not_a_name(name)


def whole_commune(name: str, commune: str | None) -> str:
    words = " ".join(re.findall(r"\w+", fold_cut(name)))
    return commune if commune and words in cues()["whole_commune_names"] else name


def is_lead_in(text: str) -> bool:
    """A sentence announcing a list of neighbourhoods ("Les quartiers prioritaires sont les suivants :")."""
    folded = fold_cut(text)[-300:]
    if any(re.search(p, folded) for p in cues().get("not_lead_ins", [])):
        return False  # "Les critères d'un quartier prioritaire sont les suivants :"
    return any(re.search(p, folded) for p in cues()["list_lead_ins"])


def split_communes(text: str) -> list[str]:
    """"Pointe-à-Pitre / Les Abymes", "Woippy, Metz", "Jouy et Vauréal": one commune each, when
    every part is written like a commune (capitalised, at most five words)."""
    parts = [c.strip(_EDGE).strip() for c in re.split(r"\s+/\s+|\s*[,;]\s*|\s+et\s+", text)]
    parts = [c for c in parts if c]
    if len(parts) > 1 and all(c[:1].isupper() and len(c.split()) <= 5 for c in parts):
        return parts
    return [text.strip()]
