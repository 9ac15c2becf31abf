"""The gazetteer of French public bodies (ingest/data/organisations.yaml) turned into regexes.

Everything here is compiled once per process: the resolver runs over documents of 25k lines.
Phrases of the data file are plain text; `phrase_pattern` makes them tolerant of what contracts
do to names (accents dropped by OCR, hyphens or spaces, curly apostrophes, capitals).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ingest import environment, resources
from ingest.manifest import slugify
from ingest.normalise import fold
from ingest.reference import EPCI_KIND, qpv_table
from ingest.resources import load_yaml

_ACCENTS = {
    "a": "aàâä", "e": "eéèêë", "i": "iîï", "o": "oôö", "u": "uùûü", "c": "cç", "y": "yÿ",
}
_UPPER_LETTERS = "A-ZÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸŒ"
_LOWER_LETTERS = "a-zàâäçéèêëîïôöùûüÿœ"

# A proper name as contracts write it: "Maubeuge", "FERRIÈRE-LA-GRANDE", "Condé-sur-l'Escaut",
# "Aulnoy-lez-Valenciennes", "Petite Forêt". Tokens start with a capital; linking words
# (sur, lez, de, la...) are allowed between tokens; at most five tokens.
_TOKEN = rf"[{_UPPER_LETTERS}][{_UPPER_LETTERS}{_LOWER_LETTERS}0-9&]*"
_LINK = r"(?:sur|sous|lès|lez|près|les|le|la|en|de|du|des|aux|au|SUR|SOUS|LES|LEZ|PRÈS|LE|LA|EN|DE|DU|DES|AUX|AU)"
_SEP = r"(?:\s*[-–]\s*|[ \t]+)"
_ELIDE = r"(?:[dlDL]['’]\s?)"
# A commune's name: hyphens join freely; spaces only through a linking word ("Fresnes sur Escaut")
# or between capitalised words in mixed case ("Petite Forêt") — in capitals a space ends the
# name, since headings run on in capitals ("COMMUNE DE MARLY ATOUTS POINTS DE VIGILANCE").
_TITLE = rf"[{_UPPER_LETTERS}][{_LOWER_LETTERS}]+"
_CAPS = rf"[{_UPPER_LETTERS}][{_UPPER_LETTERS}]+"
_CAPS_LINK = r"(?:SUR|SOUS|LES|LEZ|LÈS|PRÈS|LE|LA|EN|DE|DU|DES|AUX|AU)"
COMMUNE_NAME = (
    # Up to two link words in a row: "Saint-Jean-de-la-Ruelle", "Villeneuve-de-la-Raho".
    rf"(?:(?-i:{_TITLE}(?:(?:\s*-\s*|[ \t]+)(?:(?:{_LINK}(?:\s*-\s*|[ \t]+)){{1,2}}|(?<=-)à-)?{_ELIDE}?{_TITLE}){{0,4}})(?![\w-])"
    rf"|(?-i:(?:(?:SAINTE?|PETITE?|GRANDE?|VIEUX|VIEILLE|NEUF|NEUVE)[ \t]+)?{_CAPS}(?:(?:-(?:{_CAPS_LINK}-|ET-|À-)?|[ \t]+{_CAPS_LINK}[ \t]+){_ELIDE}?{_CAPS}){{0,4}})(?![\w-]))")
# "et" links names only inside hyphenated names ("Rombies-et-Marchipont"), never "Fresnes et X".
PROPER_NAME = rf"{_TOKEN}(?:(?:{_SEP}(?:{_LINK}{_SEP})?|-(?:et|ET)-){_ELIDE}?{_TOKEN}){{0,4}}"


def slug(text: str) -> str:
    """A deterministic id fragment: 'Pas-de-Calais' -> 'pas-de-calais', 'Maisons & Cités' -> 'maisons-et-cites'."""
    return slugify(text.replace("&", " et "))


def proper_case(name: str) -> str:
    """'FERRIÈRE-LA-GRANDE' -> 'Ferrière-la-Grande'; names already in mixed case are kept."""
    if not name.isupper():
        return _saint(name)
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
    text = re.sub(r"(?<=[\s\-])([DL])'", lambda m: m.group(1).lower() + "'", text)
    return _saint(text)


def _saint(name: str) -> str:
    """'St Saulve', 'Saint Saulve' -> 'Saint-Saulve' (the official spelling of commune names)."""
    return re.sub(r"^(Sainte?|St|Ste)\.?[\s\-]+(?=[A-ZÀ-Ý])",
                  lambda m: {"St": "Saint", "Ste": "Sainte"}.get(m.group(1), m.group(1)) + "-", name)


def _units(phrase: str, exact: bool) -> list[str]:
    """One regex fragment per character of a phrase (accents optional, spaces/hyphens/quotes loose)."""
    out = []
    for ch in phrase:
        base = fold(ch)
        if ch in " -–":
            out.append(r"(?:\s*[-–]\s*|\s+)")
        elif ch in "'’":
            out.append(r"['’]\s*")
        elif ch == ".":
            out.append(r"\.?")
        elif base in _ACCENTS:
            variants = _ACCENTS[base]
            if not exact:
                out.append(f"[{variants}{variants.upper()}]")
            else:
                out.append(f"[{variants.upper() if ch.isupper() else variants}]")
        elif ch.isalpha() and not exact:
            out.append(f"[{re.escape(ch.lower())}{re.escape(ch.upper())}]")
        else:
            out.append(re.escape(ch))
    return out


def _forms(phrase: str, exact: bool) -> list[str]:
    if not exact:
        return [phrase]
    forms = [phrase, phrase.upper()]
    if phrase.isupper() and phrase.isalpha() and len(phrase) >= 4:
        forms.append(phrase.capitalize())  # acronyms written as words: "Drac", "Ddets", "Urssaf"
    return list(dict.fromkeys(forms))


def phrase_pattern(phrase: str, exact: bool = False) -> str:
    """A regex for a plain phrase: accents optional, any space/hyphen run, straight or curly quotes.

    `exact` phrases keep their capitals (they match as written or in upper case); others ignore case.
    """
    return "(?:" + "|".join("".join(_units(f, exact)) for f in _forms(phrase, exact)) + ")"


def trie_pattern(phrases: list[tuple[str, bool, str]]) -> tuple[str, dict[str, str]]:
    """One regex for many phrases, factored by common prefixes so that matching stays linear.

    `phrases` are (phrase, exact, label); the match reports the phrase through the empty named
    group at its end (`m.lastgroup`, mapped to the label by the returned dict). At every branch the
    longer continuation is tried first, so the longest phrase wins; a phrase only ends before a
    non-word character.
    """
    trie: dict = {}
    leaves: dict[str, str] = {}
    for phrase, exact, label in phrases:
        for form in _forms(phrase, exact):
            node = trie
            for unit in _units(form, exact):
                node = node.setdefault(unit, {})
            if "" not in node:  # the first phrase to claim a path keeps it
                node[""] = f"l{len(leaves)}"
                leaves[node[""]] = label

    def emit(node: dict) -> str:
        branches = [unit + emit(child) for unit, child in node.items() if unit != ""]
        if "" in node:
            branches.append(rf"(?![\w])(?P<{node['']}>)")
        if len(branches) == 1:
            return branches[0]
        return "(?:" + "|".join(branches) + ")"

    return r"(?<![\w])" + emit(trie), leaves


def bounded(pattern: str) -> str:
    """No match inside a word."""
    return rf"(?<![\w]){pattern}(?![\w])"


def reference_folder() -> Path:
    """The reference tables: the package's own (ingest/data/reference), or the folder
    CONTRATS_REFERENCE names."""
    env = environment.text("CONTRATS_REFERENCE")
    return Path(env) if env else resources.REFERENCE_DIR


@cache
def reference_epcis(folder: str) -> tuple[tuple[str, str, str], ...]:
    """(SIREN, phrase, official name) of the intercommunalities of the QPV reference table; the
    phrases are the official name and its short form ("Angers Loire Métropole" for "Communauté
    urbaine Angers Loire Métropole") when that has several words."""
    names: dict[tuple[str, str, str], None] = {}
    for row in qpv_table(folder):
        siren, name = row.siren_epci, row.epci
        if not re.fullmatch(r"\d{9}", siren) or not name:
            continue
        names[(siren, name, name)] = None
        short = EPCI_KIND.sub("", name).strip()
        if short != name and re.search(r"[\s\-]", short):
            names[(siren, short, name)] = None
    return tuple(names)


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
    collective: str | None = None  # the type of the bodies a group phrase stands for
    not_followed_by: re.Pattern[str] | None = None  # "État des lieux" is not the State
    # A department named after a regional body's mention names its departmental level
    # ("Chambre de métiers et de l'artisanat de la Loire").
    by_department: bool = False


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
    named: tuple[tuple[re.Pattern[str], str, str], ...]  # (cue + name, type, id prefix)


def _not_followed_by(phrases: list[str] | None) -> re.Pattern[str] | None:
    if not phrases:
        return None
    return re.compile(r"\s*(?:" + "|".join(phrase_pattern(p) for p in phrases) + r")(?![\w])")


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

    alternatives: list[tuple[str, bool, tuple[str, str]]] = []  # (phrase, exact, target)
    kinds = []
    for entry in data["bodies"]:
        kind = BodyKind(entry["key"], entry["type"], entry["scope"], entry.get("qualifier", "none"),
                        entry["name"], entry.get("collective"), _not_followed_by(entry.get("not_followed_by")),
                        bool(entry.get("by_department", False)))
        kinds.append(kind)
        for phrase in (*entry.get("aliases", []), *entry.get("renamed", [])):
            alternatives.append((phrase, False, ("kind", kind.key)))
        for phrase in entry.get("exact", []):
            alternatives.append((phrase, True, ("kind", kind.key)))
    landlords: dict[str, str] = {}
    for name, aliases in data["social_landlords"].items():
        for phrase in (name, *aliases):
            landlords[fold(phrase)] = name
            # Short all-caps acronyms keep their case ("SIGH", "LMH"), names ignore it.
            exact = phrase.isupper() and len(phrase) <= 5
            alternatives.append((phrase, exact, ("landlord", name)))
    for phrase in data["communes_generic"]:
        exact = phrase[:1].isupper() or phrase.split()[-1][:1].isupper()
        alternatives.append((phrase, exact, ("communes", "")))

    # Intercommunalities by their official names (the QPV reference table): one id per SIREN.
    for siren, phrase, name in reference_epcis(str(reference_folder())):
        alternatives.append((phrase, False, ("epci", f"{siren}|{name}")))

    pattern, leaves = trie_pattern([(phrase, exact, str(i)) for i, (phrase, exact, _) in enumerate(alternatives)])
    main = re.compile(pattern)
    group_target = {leaf: alternatives[int(i)][2] for leaf, i in leaves.items()}

    dept_names = sorted(departments.values(), key=lambda d: -len(d.name))
    dept_alt = "|".join(phrase_pattern(d.name, exact=True) for d in dept_names)
    region_names = sorted({n for r, f in data["regions"].items() for n in (r, *f)}, key=len, reverse=True)
    region_alt = "|".join(phrase_pattern(n, exact=True) for n in region_names)
    department_after = re.compile(
        rf"(?:\s*[-–]\s*|\s+)(?:{_ARTICLE}\s*)?(?P<q>{dept_alt})(?![\w-])|\s*\((?P<code>\d{{2,3}}|2[AB])\)")
    region_after = re.compile(
        rf"(?:\s*[-–]\s*|\s+)(?:{_ARTICLE}\s*)?(?P<q>{region_alt}|{dept_alt})(?![\w-])")
    free_after = re.compile(rf"(?:\s*[-–]\s*|\s+)(?:{_ARTICLE}\s*)?(?P<q>{PROPER_NAME})")

    cues = "|".join(phrase_pattern(c) for c in sorted(data["commune_cues"], key=len, reverse=True))
    commune_cue = re.compile(
        rf"(?<![\w])(?i:(?:la\s+|le\s+)?)(?:{cues})\s*(?i:de\s+|d['’]\s*|(?P<contracted>du|des)\s+)"
        rf"(?P<name>{COMMUNE_NAME})")
    cues = data["landlord_cues"]
    before = "|".join(phrase_pattern(c, exact=True) for c in sorted(cues["before_name"], key=len, reverse=True))
    landlord_before = re.compile(rf"(?<![\w])(?:{before})\s+(?:{_ARTICLE}\s*)?(?P<name>{PROPER_NAME})")
    after = "|".join(phrase_pattern(c, exact=True) for c in cues["after_name"])
    landlord_after = re.compile(rf"(?<![\w])(?P<name>{PROPER_NAME})\s+(?:{after})(?![\w])")
    generic = "|".join(phrase_pattern(g, exact=True) for g in sorted(data["epci_generic"], key=len, reverse=True))
    epci_generic = re.compile(rf"(?<![\w])(?:{generic})(?![\w])")
    department_mention = re.compile(
        rf"(?<![\w])(?i:du|de\s+la|de\s+l['’]\s*|des|d['’]\s*)\s*(?P<q>{dept_alt})(?![\w-])")
    named = tuple(
        (re.compile(rf"(?<![\w])(?P<cue>{'|'.join(phrase_pattern(c) for c in sorted(e['cues'], key=len, reverse=True))})"
                    rf"\s+(?:{_ARTICLE}\s*)?[«\"“]?\s*(?P<name>{PROPER_NAME})"), e["type"], e["prefix"])
        for e in data.get("named_cues", []))
    return Gazetteer(
        named=named,
        kinds=tuple(kinds), departments=departments, departments_by_code=by_code, regions=regions,
        landlords=landlords, main=main, group_target=group_target, department_after=department_after,
        region_after=region_after, free_after=free_after, commune_cue=commune_cue,
        landlord_before=landlord_before, landlord_after=landlord_after, epci_generic=epci_generic,
        department_mention=department_mention,
    )
