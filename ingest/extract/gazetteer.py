"""The gazetteer of French public bodies (ingest/data/organisations.yaml) turned into regexes.

Everything here is compiled once per process: the resolver runs over documents of 25k lines.
Phrases of the data file are plain text; `phrase_pattern` makes them tolerant of what contracts
do to names (accents dropped by OCR, hyphens or spaces, curly apostrophes, capitals).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from ingest.normalise import fold
from ingest.resources import load_yaml

_ACCENTS = {
    "a": "aàâä", "e": "eéèêë", "i": "iîï", "o": "oôö", "u": "uùûü", "c": "cç", "y": "yÿ",
}
_UPPER_LETTERS = "A-ZÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸŒ"
_LOWER_LETTERS = "a-zàâäçéèêëîïôöùûüÿœ"

# A proper name as contracts write it: "Maubeuge", "FERRIÈRE-LA-GRANDE", "Condé-sur-l'Escaut",
# "Aulnoy-lez-Valenciennes", "Petite Forêt". Tokens start with a capital; linking words
# (sur, lez, de, la...) are allowed between tokens; at most five tokens.
_TOKEN = rf"[{_UPPER_LETTERS}0-9][{_UPPER_LETTERS}{_LOWER_LETTERS}0-9&]*"
_LINK = r"(?:sur|sous|lès|lez|les|le|la|en|et|de|du|des|aux|au|SUR|SOUS|LES|LEZ|LE|LA|EN|ET|DE|DU|DES|AUX|AU)"
_SEP = r"(?:\s*[-–]\s*|[ \t]+)"
_ELIDE = r"(?:[dlDL]['’]\s?)"
PROPER_NAME = rf"{_TOKEN}(?:{_SEP}(?:{_LINK}{_SEP})?{_ELIDE}?{_TOKEN}){{0,4}}"


def slug(text: str) -> str:
    """A deterministic id fragment: 'Pas-de-Calais' -> 'pas-de-calais', 'Maisons & Cités' -> 'maisons-et-cites'."""
    text = fold(text).replace("&", " et ").replace("œ", "oe")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def proper_case(name: str) -> str:
    """'FERRIÈRE-LA-GRANDE' -> 'Ferrière-la-Grande'; names already in mixed case are kept."""
    if not name.isupper():
        return name
    small = {"sur", "sous", "lès", "lez", "les", "le", "la", "en", "et", "de", "du", "des", "aux", "au"}
    parts = re.split(r"([\s\-–]+|['’])", name.lower())
    out = []
    for i, part in enumerate(parts):
        if i > 0 and part in small:
            out.append(part)
        elif part[:1].isalpha():
            out.append(part[0].upper() + part[1:])
        else:
            out.append(part)
    text = "".join(out)
    # "D'" / "L'" elided articles inside names stay lower case ("Condé-sur-l'Escaut").
    return re.sub(r"(?<=[\s\-])([DL])'", lambda m: m.group(1).lower() + "'", text)


def phrase_pattern(phrase: str, exact: bool = False) -> str:
    """A regex for a plain phrase: accents optional, any space/hyphen run, straight or curly quotes.

    `exact` phrases keep their capitals (they match as written or in upper case); others ignore case.
    """

    def body(text: str) -> str:
        out = []
        for ch in text:
            base = fold(ch)
            if ch in " -–":
                out.append(r"(?:\s*[-–]\s*|\s+)")
            elif ch in "'’":
                out.append(r"['’]\s*")
            elif ch == ".":
                out.append(r"\.?")
            elif base in _ACCENTS:
                variants = _ACCENTS[base]
                cls = variants.upper() if ch.isupper() else variants
                out.append(f"[{cls}]")
            else:
                out.append(re.escape(ch))
        return "".join(out)

    if not exact:
        return f"(?i:{body(phrase)})"
    forms = dict.fromkeys([phrase, phrase.upper()])
    return "(?:" + "|".join(body(f) for f in forms) + ")"


def bounded(pattern: str) -> str:
    """No match inside a word."""
    return rf"(?<![\w]){pattern}(?![\w])"


@dataclass(frozen=True)
class Department:
    code: str
    name: str
    article: str  # "du", "de la", "de l'", "des", "de", "d'"
    region: str

    @property
    def de_name(self) -> str:
        """'du Nord', "de l'Aisne", 'de la Somme'."""
        sep = "" if self.article.endswith("'") else " "
        return f"{self.article}{sep}{self.name}"


@dataclass(frozen=True)
class BodyKind:
    key: str
    type: str
    scope: str  # department | region | national | territory
    qualifier: str  # department | region | free | none
    name: str  # template


@dataclass(frozen=True)
class Gazetteer:
    kinds: tuple[BodyKind, ...]
    departments: dict[str, Department]  # folded name -> department
    departments_by_code: dict[str, Department]
    regions: dict[str, str]  # folded name or former name -> region (2016)
    landlords: dict[str, str]  # folded alias -> canonical name
    main: re.Pattern[str]  # every alias of every kind, each alternative in its own group
    group_target: dict[str, tuple[str, str]]  # group name -> ("kind", key) | ("landlord", name) | ...
    department_after: re.Pattern[str]
    region_after: re.Pattern[str]
    free_after: re.Pattern[str]
    commune_cue: re.Pattern[str]
    landlord_before: re.Pattern[str]
    landlord_after: re.Pattern[str]
    epci_generic: re.Pattern[str]
    department_mention: re.Pattern[str]


_ARTICLE = r"(?i:du|de\s+la|de\s+l['’]\s*|des|de|d['’]\s*|en)"


@cache
def gazetteer() -> Gazetteer:
    data = load_yaml("organisations.yaml")
    departments: dict[str, Department] = {}
    by_code: dict[str, Department] = {}
    for code, name, article, region in data["departments"]:
        dept = Department(code, name, article, region)
        departments[fold(name)] = dept
        by_code[code] = dept
    regions: dict[str, str] = {}
    for region, former in data["regions"].items():
        for n in (region, *former):
            regions[fold(n)] = region

    alternatives: list[tuple[str, str, tuple[str, str]]] = []  # (phrase, pattern, target)
    kinds = []
    for entry in data["bodies"]:
        kind = BodyKind(entry["key"], entry["type"], entry["scope"], entry.get("qualifier", "none"),
                        entry["name"])
        kinds.append(kind)
        for phrase in (*entry.get("aliases", []), *entry.get("renamed", [])):
            alternatives.append((phrase, phrase_pattern(phrase), ("kind", kind.key)))
        for phrase in entry.get("exact", []):
            alternatives.append((phrase, phrase_pattern(phrase, exact=True), ("kind", kind.key)))
    landlords: dict[str, str] = {}
    for name, aliases in data["social_landlords"].items():
        for phrase in (name, *aliases):
            landlords[fold(phrase)] = name
            # Short all-caps acronyms keep their case ("SIGH", "LMH"), names ignore it.
            exact = phrase.isupper() and len(phrase) <= 5
            alternatives.append((phrase, phrase_pattern(phrase, exact=exact), ("landlord", name)))
    for phrase in data["communes_generic"]:
        exact = phrase[:1].isupper() or phrase.split()[-1][:1].isupper()
        alternatives.append((phrase, phrase_pattern(phrase, exact=exact), ("communes", "")))

    # Longest phrases first: at one position the regex takes the first alternative that matches.
    alternatives.sort(key=lambda a: -len(a[0]))
    group_target = {}
    parts = []
    for i, (_, pattern, target) in enumerate(alternatives):
        group_target[f"g{i}"] = target
        parts.append(f"(?P<g{i}>{bounded(pattern)})")
    main = re.compile("|".join(parts))

    dept_names = sorted(departments.values(), key=lambda d: -len(d.name))
    dept_alt = "|".join(phrase_pattern(d.name, exact=True) for d in dept_names)
    region_names = sorted({n for r, f in data["regions"].items() for n in (r, *f)}, key=len, reverse=True)
    region_alt = "|".join(phrase_pattern(n, exact=True) for n in region_names)
    department_after = re.compile(
        rf"(?:\s*[-–]\s*|\s+)(?:{_ARTICLE}\s*)?(?P<q>{dept_alt})(?![\w-])|\s*\(?(?P<code>\d{{2,3}}|2[AB])\)?(?![\w-])")
    region_after = re.compile(
        rf"(?:\s*[-–]\s*|\s+)(?:{_ARTICLE}\s*)?(?P<q>{region_alt}|{dept_alt})(?![\w-])")
    free_after = re.compile(rf"(?:\s*[-–]\s*|\s+)(?:{_ARTICLE}\s*)?(?P<q>{PROPER_NAME})")

    cues = "|".join(phrase_pattern(c) for c in sorted(data["commune_cues"], key=len, reverse=True))
    commune_cue = re.compile(
        rf"(?<![\w])(?i:(?:la\s+|le\s+)?)(?:{cues})\s*(?:de\s+|d['’]\s*)(?P<name>{PROPER_NAME})")
    cues = data["landlord_cues"]
    before = "|".join(phrase_pattern(c, exact=True) for c in sorted(cues["before_name"], key=len, reverse=True))
    landlord_before = re.compile(rf"(?<![\w])(?:{before})\s+(?:{_ARTICLE}\s*)?(?P<name>{PROPER_NAME})")
    after = "|".join(phrase_pattern(c, exact=True) for c in cues["after_name"])
    landlord_after = re.compile(rf"(?<![\w])(?P<name>{PROPER_NAME})\s+(?:{after})(?![\w])")
    generic = "|".join(phrase_pattern(g, exact=True) for g in sorted(data["epci_generic"], key=len, reverse=True))
    epci_generic = re.compile(rf"(?<![\w])(?:{generic})(?![\w])")
    department_mention = re.compile(
        rf"(?<![\w])(?i:du|de\s+la|de\s+l['’]\s*|des|d['’]\s*)\s*(?P<q>{dept_alt})(?![\w-])")
    return Gazetteer(
        kinds=tuple(kinds), departments=departments, departments_by_code=by_code, regions=regions,
        landlords=landlords, main=main, group_target=group_target, department_after=department_after,
        region_after=region_after, free_after=free_after, commune_cue=commune_cue,
        landlord_before=landlord_before, landlord_after=landlord_after, epci_generic=epci_generic,
        department_mention=department_mention,
    )
