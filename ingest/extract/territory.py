"""The contract's territory: the intercommunality (EPCI) that holds it.

The manifest is trusted first (`document.meta`); what it leaves out is guessed from the text
(the intercommunality named most often in the opening pages: "Communauté d'Agglomération de X",
"Communauté Urbaine d'X", "X Métropole") and completed from the reference table of 2024 contracts
(reference/contrats_de_ville_2024.csv, overridable with CONTRATS_REFERENCE): SIREN by name, and
contract code by SIREN — the code only for 2024 contracts, since the table lists that generation.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from functools import cache

from ingest.extract.gazetteer import PROPER_NAME, gazetteer, proper_case, reference_folder
from ingest.model import Document, Passage, Territory
from ingest.normalise import fold
from ingest.reference import contract_table, epci_by_name, qpv_table, qpv_table_2015, qpv_table_full

# "CN05903M": department 059; Corsica "CN02A01I". CV… codes (overseas, older) carry no department.
_CONTRACT_DEPT = re.compile(r"^CN(\d{3}|0?2[AB])")

_OPENING_PASSAGES = 400
_EPCI_NAME = re.compile(
    rf"(?<![\w])(?P<kind>(?i:communaut[ée]\s+d['’]\s*agglom[ée]ration|communaut[ée]\s+urbaine|"
    rf"communaut[ée]\s+de\s+communes|m[ée]tropole))\s*"
    rf"(?P<article>(?i:de\s+la\s+|de\s+l['’]\s*|du\s+|des\s+|de\s+|d['’]\s*))?(?P<name>{PROPER_NAME})"
    rf"|(?<![\w])(?P<before>{PROPER_NAME})\s+(?P<kind2>M[ée]tropole|MÉTROPOLE|METROPOLE)(?![\w])")
_ACRONYM = re.compile(r"\(\s*(?P<acr>[A-Z]{2,8})\s*\)")
# Words of an EPCI's legal kind, dropped to compare names ("CA Maubeuge Val de Sambre").
# A name found in the text must match a reference intercommunality closely to give it a SIREN.
MIN_TERRITORY_NAME_SCORE = 90


@cache
def _reference_rows(folder: str) -> tuple[tuple[str, str, str], ...]:
    """(siren or commune code, contract code or '', name) from both reference tables."""
    rows = [(c.key, c.code, c.name) for c in contract_table(folder)]
    rows += [(q.siren_epci, "", q.epci) for q in qpv_table(folder) if q.siren_epci]
    return tuple(dict.fromkeys(rows))


def _by_siren(siren: str) -> tuple[str, str] | None:
    """(contract code, name) of a SIREN in the contracts table."""
    for code, contract, name in _reference_rows(str(reference_folder())):
        if code == siren and contract:
            return contract, name
    return None


def _by_name(name: str) -> str | None:
    """The SIREN of the EPCI whose reference name matches `name` closely."""
    candidates = ((code, ref_name) for code, _, ref_name in _reference_rows(str(reference_folder()))
                  if len(code) == 9)
    return epci_by_name(name, candidates, MIN_TERRITORY_NAME_SCORE)


def _guess_from_text(passages: Sequence[Passage]) -> tuple[str | None, str | None]:
    """The intercommunality named most often in the opening passages, and its acronym if written."""
    counts: Counter[str] = Counter()
    acronyms: Counter[tuple[str, str]] = Counter()
    for p in passages[:_OPENING_PASSAGES]:
        for m in _EPCI_NAME.finditer(p.text):
            if m.group("name"):
                kind = re.sub(r"\s+", " ", m.group("kind")).strip()
                kind = kind[0].upper() + kind[1:].lower().replace("d' ", "d'")
                kind = kind.replace("agglomération", "Agglomération").replace("urbaine", "Urbaine")
                article = re.sub(r"\s+", " ", m.group("article") or " ")
                name = f"{kind} {article.strip()} {proper_case(m.group('name'))}".replace("  ", " ")
                name = name.replace("' ", "'")
            else:
                name = f"{proper_case(m.group('before'))} Métropole"
            counts[name] += 1
            if acr := _ACRONYM.match(p.text[m.end():m.end() + 14].lstrip()):
                acronyms[(name, acr.group("acr"))] += 1
    if not counts:
        return None, None
    name = counts.most_common(1)[0][0]
    short = next((a for (n, a), _ in acronyms.most_common() if n == name), None)
    return name, short


def extract_territory(document: Document, passages: Sequence[Passage]) -> Territory:
    """The contract's territory: the manifest's, completed or guessed from the text and the reference."""
    meta = document.meta
    name, short, siren, code = meta.territory, meta.territory_short, meta.siren, meta.contract_code
    if not name:
        name, guessed_short = _guess_from_text(passages)
        short = short or guessed_short
    if siren is None and name:
        siren = _by_name(name)
    if siren is None:  # the intercommunality whose QPV and communes the text names
        from ingest.extract.neighbourhoods.reference_link import guess_epci

        folder = reference_folder()
        found = guess_epci(passages, (qpv_table_full(folder), qpv_table_2015(folder)))
        if found is not None:
            siren = found[0]
            name = name if name and epci_by_name(name, [found], 70) else found[1]
    if not name:
        name = document.id
    generation_2024 = (meta.generation == "2024") or (meta.period_start or 0) >= 2024
    if code is None and siren is not None and generation_2024:
        found = _by_siren(siren)
        code = found[0] if found else None
    return Territory(name=name, short_name=short, siren=siren, contract_code=code)


@cache
def _reference_departments(folder: str) -> dict[str, str]:
    """SIREN, commune or contract code -> department, from the reference tables (2024 contracts,
    QPV communes); the first row naming a key wins."""
    found: dict[str, str] = {}
    for c in contract_table(folder):
        if c.department:
            found.setdefault(c.key, c.department)
            found.setdefault(c.code, c.department)
    for q in qpv_table(folder):
        if q.department and q.siren_epci:
            found.setdefault(q.siren_epci, q.department)
    return found


def _department_in_reference(key_value: str) -> str | None:
    """The department of a SIREN or contract code in the reference tables."""
    return _reference_departments(str(reference_folder())).get(key_value)


def departments_of(territory: Territory, passages: Sequence[Passage]) -> tuple[str, ...]:
    """The contract's department names ("Nord",), most likely first.

    From the contract code (CN + 3-digit department), the reference tables, the old SIREN
    convention of intercommunalities (24 + department), or else the department the text names most.
    """
    g = gazetteer()
    codes: list[str] = []
    if territory.contract_code and (m := _CONTRACT_DEPT.match(territory.contract_code)):
        code = m.group(1)
        codes.append(code[1:] if code[0] == "0" and len(code) == 3 else code)
    for key in (territory.siren, territory.contract_code):
        if key and (dep := _department_in_reference(key)) is not None:
            codes.append(dep)
    if territory.siren and territory.siren.startswith("24"):
        codes.append(territory.siren[2:4])
    found = [g.departments_by_code[c].name for c in codes if c in g.departments_by_code]
    counts: Counter[str] = Counter()
    for p in passages:
        for m in g.department_mention.finditer(p.text):
            dept = g.departments.get(fold(m.group("q")))
            if dept is not None:
                counts[dept.name] += 1
    found.extend(name for name, _ in counts.most_common(3))
    return tuple(dict.fromkeys(found))
