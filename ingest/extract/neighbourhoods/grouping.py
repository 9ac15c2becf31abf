"""Grouping the mentions of neighbourhoods found in one document into neighbourhoods.

One QPV is often spelled several ways in one contract ("Longs Prés – Prés du paradis" / "Long
Près - Près du Paradis"). Mentions are grouped by accent-folded fuzzy matching (rapidfuzz) of
their comparison keys, within compatible communes and status; mentions sharing a written code are
one neighbourhood whatever their spelling.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz

from ingest.extract.neighbourhoods.text import CommuneLexicon, fold_cut, key_of
from ingest.model import InvalidIdentifier, Neighbourhood, Passage, Provenance, Status, qpv_code

# Strong mentions create neighbourhoods; weak ones only add spellings to one already found, and
# faint ones (any short line) only when spelled nearly the same.
STRONG, WEAK, FAINT = 0, 1, 2


@dataclass
class Mention:
    name: str
    communes: list[str]
    status: Status
    passage: Passage
    strength: int = STRONG
    raw_code: str | None = None
    promotable: bool = False  # named as a QPV in running text: strong if nothing stronger exists
    official: int = 0  # 1: an official name (reference list) written in the text; 2: only some
    # of its words are, and the name is the reference's wording (not a spelling of the text)


@dataclass
class Group:
    mentions: list[Mention] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)  # comparison keys of its spellings
    places: set[str] = field(default_factory=set)  # canonical communes

    @property
    def status(self) -> Status:
        return self.mentions[0].status

    def codes(self) -> set[str]:
        return {m.raw_code for m in self.mentions if m.raw_code}


@lru_cache(maxsize=65536)
def _similar(a: str, b: str, loose: bool) -> bool:
    """Two comparison keys name one neighbourhood: nearly the same spelling, or (loose) one
    spelling's words contained in the other's ("Les explorateurs" / "Les explorateurs – Place du
    8 mai 1945 – …"), which is only trusted within a shared commune."""
    if not a or not b:
        return False
    da, db = re.findall(r"\d+", a), re.findall(r"\d+", b)
    if da and db and da != db:  # "2ème Couronne" is not "4ème Couronne"
        return False
    if fuzz.ratio(a, b) >= 88:
        return True
    return loose and min(len(a), len(b)) >= 4 and fuzz.token_set_ratio(a, b) >= 95


@dataclass(frozen=True)
class _Probe:
    """What grouping compares of a mention: its key and its communes (written or named in it)."""

    key: str
    places: frozenset[str]


def _probe(m: Mention, lexicon: CommuneLexicon) -> _Probe:
    communes = m.communes or lexicon.named_in(m.name)  # "Le centre-ville de Quiévrechain"
    return _Probe(key_of(m.name, communes), frozenset(lexicon.canonical(c) for c in communes))


def _fits(group: Group, m: Mention, probe: _Probe, alone: bool = False) -> bool:
    """Whether a mention names the group's neighbourhood. `alone`: a weak mention without a
    commune may match by contained words (the caller then requires a single such group)."""
    codes = group.codes()
    if m.raw_code and codes:
        return m.raw_code in codes
    if m.strength == STRONG and m.status != group.status:
        return False
    shared = bool(probe.places & group.places)
    if probe.places and group.places and not shared:
        return False
    loose = (shared or (alone and not probe.places)) and m.strength <= WEAK
    return any(_similar(probe.key, key, loose) for key in group.keys)


def _add(group: Group, m: Mention, probe: _Probe) -> None:
    group.mentions.append(m)
    group.keys.add(probe.key)
    group.places |= probe.places if m.communes else set()


def group_mentions(mentions: list[Mention], lexicon: CommuneLexicon) -> list[Group]:
    groups: list[Group] = []
    probes = {id(m): _probe(m, lexicon) for m in mentions}
    for m in sorted((m for m in mentions if m.strength == STRONG), key=lambda m: m.passage.index):
        probe = probes[id(m)]
        same_code = next((g for g in groups if m.raw_code and m.raw_code in g.codes()), None)
        target = same_code or next((g for g in groups if _fits(g, m, probe)), None)
        if target is None:
            target = Group()
            groups.append(target)
        _add(target, m, probe)
    for m in (m for m in mentions if m.strength != STRONG):
        probe = probes[id(m)]
        # a spelling that fits two neighbourhoods ("Centre-Ville" with no commune) is left out
        fitting = [g for g in groups if _fits(g, m, probe)] or [
            g for g in groups if _fits(g, m, probe, alone=True)]
        if len(fitting) == 1:
            _add(fitting[0], m, probe)
    return groups


def to_neighbourhood(group: Group, lexicon: CommuneLexicon) -> Neighbourhood:
    # the text's own listing names a neighbourhood before the reference list's wording does
    first = next((m for m in group.mentions if not m.official), group.mentions[0])
    names: dict[str, str] = {}
    for m in (m for m in group.mentions if m.official < 2 or m is first):
        names.setdefault(" ".join(re.findall(r"\w+", fold_cut(m.name))), m.name)
    communes = list(dict.fromkeys(lexicon.display(c) for m in group.mentions for c in m.communes))
    code = None
    for raw in (m.raw_code for m in group.mentions if m.raw_code):
        try:
            code = qpv_code(raw)
            break
        except InvalidIdentifier:  # a 2015 code ("QP059020") or a typo: not the official shape
            continue
    provenance = tuple(dict.fromkeys(
        Provenance(m.passage.id, m.passage.page, m.passage.line_start) for m in group.mentions))
    return Neighbourhood(
        name=first.name, aliases=tuple(n for n in names.values() if n != first.name),
        communes=tuple(communes), code=code, status=group.status, provenance=provenance,
        confidence=_confidence(group),
    )


def _confidence(group: Group) -> float:
    """How sure the extraction is: a code written in the text, then an official name of the
    territory's QPV written in it, then a list, table or caption, then running text only."""
    if any(m.raw_code and not m.official for m in group.mentions):
        return 0.95
    if any(m.official == 1 for m in group.mentions):
        return 0.85
    if any(m.official for m in group.mentions):
        return 0.75
    strong = sum(1 for m in group.mentions if m.strength == STRONG)
    return 0.6 if strong > 1 or len(group.mentions) > 2 else 0.5
