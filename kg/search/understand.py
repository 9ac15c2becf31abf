"""What a question says about where, when and who: territories, generations, neighbourhoods, partners.

"Que prévoit la CUA pour les jeunes ?" names a territory by its acronym; "à Feignies" by one of
its communes; "in the 2019 protocol" a generation; "la CAF" a partner. Such a question wants
that territory's (generation's) passages, so a mention becomes a filter (territory, generation;
a neighbourhood filters on its territory) or a boost (partner, neighbourhood: passages naming
them rank higher). What was understood travels with the results (`--json`, the app, HTTP) and
can be removed (`understand=False`, or the app's chips).

Where the names come from, all known to the build: the documents' territories (full name, short
name or acronym, the name without "Communauté urbaine de"/"Métropole", the parts of a hyphenated
name), the communes and QPV of those territories in the reference tables (by SIREN) and in the
extracted neighbourhoods, other names of those places in kg/data/understanding.yaml
("Pays d'Artois"), the contract's own name quoted in its title ("« Cœur de Quartier »"), the
demonym of a commune of the build ("les quartiers anzinois": a demonym ending whose stem fits one
commune's name, of one territory), generations by the patterns of the same file, partners by the
gazetteer of French public bodies (ingest/data/organisations.yaml).

Matching is on accent-folded words. A one-word name must be capitalised as a proper noun in the
question ("à Marly", not "marly"), and a one-word neighbourhood must not open the question:
"Solitude" the neighbourhood, not "la solitude des aînés".
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

from ingest.reference import EPCI_KIND_OR_ABBREVIATION

DATA = Path(__file__).parent.parent / "data"
MAX_WORDS = 8
_EPCI_TAIL = re.compile(r"\s+(?:m[ée]tropole|agglom[ée]ration|agglo)$", re.IGNORECASE)
_WORD = re.compile(r"[\w]+(?:['’][\w]+)?", re.UNICODE)


_DEMONYM = re.compile(r"(?:oise?|aise?|ienne|ien|eenne|een)s?$")


def contract_names(title: str) -> list[str]:
    """The contract's own name, quoted in its title (« Cœur de Quartier »), unless it is the
    genre's ("Engagements Quartiers 2030", "contrat de ville"): a question may name a territory's
    contract by it."""
    out = []
    for m in re.finditer(r"[«“\"]\s*([^»”\"]{3,80}?)\s*[»”\"]", title):
        name = m.group(1)
        words = set(folded_words(name))
        if not words or words <= _generic_contract_words() or any(p.search(name) for _, p in _generation_patterns()):
            continue
        out.append(name)
    return out


@cache
def _generic_contract_words() -> frozenset[str]:
    return frozenset(folded_words(" ".join(map(str, _config().get("generic_contract_name_words") or []))))


def fold(text: str) -> str:
    """Lower case without accents ("Œuvre’s" -> "oeuvre's"); combining marks are dropped after
    NFKD decomposition (through a table: the character-by-character filter cost more than the rest
    of a search)."""
    text = text.replace("œ", "oe").replace("Œ", "Oe").replace("’", "'")
    if text.isascii():
        return text.lower()
    text = unicodedata.normalize("NFKD", text)
    if max(text) > "\uffff":  # marks beyond the table's plane: the filter
        return "".join(c for c in text if not unicodedata.combining(c)).lower()
    return text.translate(_combining_marks()).lower()


@cache
def _combining_marks() -> dict[int, None]:
    return {i: None for i in range(0x10000) if unicodedata.combining(chr(i))}


def folded_words(text: str) -> list[str]:
    """Words of `text`, folded; hyphens and apostrophes separate words ("Saint-Laurent" -> saint laurent)."""
    return re.findall(r"\w+", fold(text))


@dataclass(frozen=True)
class Mention:
    kind: str  # territory | generation | neighbourhood | partner
    text: str  # as written in the question
    value: str  # territory key (as in results' `territory`), generation, neighbourhood, partner id
    label: str  # what to show
    via: str  # name | short name | acronym | commune | place | neighbourhood | pattern | gazetteer
    territories: tuple[str, ...] = ()  # territories the mention stands for (territory, neighbourhood)

    def to_json(self) -> dict:
        return {"kind": self.kind, "text": self.text, "value": self.value, "label": self.label, "via": self.via,
                "territories": list(self.territories)}


@dataclass(frozen=True)
class Understanding:
    mentions: tuple[Mention, ...] = ()

    def of(self, kind: str) -> tuple[Mention, ...]:
        return tuple(m for m in self.mentions if m.kind == kind)

    @property
    def territories(self) -> tuple[str, ...]:
        out: dict[str, None] = {}
        for m in self.mentions:
            if m.kind in ("territory", "neighbourhood"):
                out.update(dict.fromkeys(m.territories))
        return tuple(out)

    @property
    def generations(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(m.value for m in self.of("generation")))

    def without(self, *keys: str) -> Understanding:
        """These mentions dropped; a key is "kind:value" or a kind ("territory")."""
        return replace(self, mentions=tuple(m for m in self.mentions
                                            if m.kind not in keys and f"{m.kind}:{m.value}" not in keys))

    def to_json(self) -> dict:
        return {"mentions": [m.to_json() for m in self.mentions], "territories": list(self.territories),
                "generations": list(self.generations),
                "neighbourhoods": [m.value for m in self.of("neighbourhood")],
                "partners": [m.value for m in self.of("partner")]}


@dataclass(frozen=True)
class _Entry:
    kind: str
    value: str
    label: str
    via: str
    territories: tuple[str, ...]
    one_word: bool


@cache
def _config() -> dict:
    import yaml

    return yaml.load((DATA / "understanding.yaml").read_text(encoding="utf-8"),
                     Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


@cache
def _generation_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((gen, re.compile(p, re.IGNORECASE)) for gen, patterns in _config()["generations"].items()
                 for p in patterns)


@cache
def _partner_forms() -> tuple[dict[tuple[str, ...], tuple[str, str]], dict[tuple[str, ...], tuple[str, str]]]:
    """(folded phrase -> (id, label), exact phrase -> (id, label)) from the gazetteer of public bodies."""
    import yaml

    from ingest.resources import DATA_DIR

    data = yaml.load((DATA_DIR / "organisations.yaml").read_text(encoding="utf-8"),
                     Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    loose: dict[tuple[str, ...], tuple[str, str]] = {}
    exact: dict[tuple[str, ...], tuple[str, str]] = {}
    for e in data["bodies"]:
        label = re.sub(r"\s*\{[^}]*\}", "", e["name"]).strip() or e["key"]
        for p in (*e.get("aliases", []), *e.get("renamed", [])):
            loose.setdefault(tuple(folded_words(p)), (e["key"], label))
        for p in e.get("exact", []):
            exact.setdefault(tuple(re.findall(r"\w+", p)), (e["key"], label))
            exact.setdefault(tuple(re.findall(r"\w+", p.upper())), (e["key"], label))
    for name, aliases in data.get("social_landlords", {}).items():
        for p in (name, *aliases):
            if p.isupper() and len(p) <= 5:
                exact.setdefault(tuple(re.findall(r"\w+", p)), (f"landlord:{name}", name))
            else:
                loose.setdefault(tuple(folded_words(p)), (f"landlord:{name}", name))
    loose.pop((), None)
    exact.pop((), None)
    return loose, exact


def partner_pattern(partner_id: str) -> re.Pattern[str]:
    """A regex finding the partner in folded text (its aliases; acronyms as words)."""
    loose, exact = _partner_forms()
    phrases = {" ".join(k) for k, (pid, _) in loose.items() if pid == partner_id}
    phrases |= {" ".join(k).lower() for k, (pid, _) in exact.items() if pid == partner_id}
    alternatives = "|".join(r"\W+".join(map(re.escape, p.split())) for p in sorted(phrases, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)") if alternatives else re.compile(r"(?!x)x")


def name_pattern(name: str) -> re.Pattern[str]:
    """A regex finding a name in folded text, whatever its hyphens, spaces and punctuation."""
    return re.compile(r"(?<!\w)" + r"\W+".join(map(re.escape, folded_words(name))) + r"(?!\w)")


class Understander:
    """Finds the mentions of a question against the names of one build."""

    def __init__(self, entries: dict[tuple[str, ...], list[_Entry]],
                 communes: dict[str, tuple[str, ...]] | None = None) -> None:
        self._entries = entries
        self._communes = communes or {}  # one-word commune (folded) -> its territories

    @classmethod
    def from_build(cls, build_dir: Path, reference_dir: Path | None = None) -> Understander:
        from kg.jsonl import read_extraction_files, read_jsonl

        extractions = [(x["document"]["id"], x.get("neighbourhoods", []))
                       for x in read_extraction_files(build_dir).values()]
        return cls.from_parts(read_jsonl(build_dir / "documents.jsonl"), extractions, reference_dir)

    @classmethod
    def from_parts(cls, documents: list[dict], extractions: Iterable[tuple[str, list[dict]]],
                   reference_dir: Path | None = None) -> Understander:
        entries: dict[tuple[str, ...], list[_Entry]] = {}

        def add(form: str, kind: str, value: str, label: str, via: str, territories: tuple[str, ...]) -> None:
            key = tuple(folded_words(form))
            if not key or len(key) > MAX_WORDS:
                return
            entry = _Entry(kind, value, label, via, territories, len(key) == 1)
            if entry not in entries.setdefault(key, []):
                entries[key].append(entry)

        territory_of_doc: dict[str, str] = {}
        by_siren: dict[str, str] = {}
        commune_territories: dict[str, set[str]] = {}
        for d in documents:
            full = d.get("territory") or ""
            key = d.get("territory_short") or full
            if not key:
                continue
            territory_of_doc[d["id"]] = key
            if d.get("siren"):
                by_siren[d["siren"]] = key
            label = full or key
            add(full, "territory", key, label, "name", (key,))
            if d.get("territory_short"):
                add(d["territory_short"], "territory", key, label, "acronym", (key,))
            core = _EPCI_TAIL.sub("", EPCI_KIND_OR_ABBREVIATION.sub("", full)).strip()
            if core and core != full:
                add(core, "territory", key, label, "short name", (key,))
            for part in re.split(r"\s*[-–]\s*(?=[A-ZÉ])", core):
                if part != core and len(part) >= 4:
                    add(part, "territory", key, label, "short name", (key,))
            for name in contract_names(d.get("title") or ""):
                add(name, "territory", key, label, "contract name", (key,))
        qpv_names: list[tuple[str, str]] = []
        for row in _reference_rows(reference_dir):
            key = by_siren.get(row.get("siren_epci") or row.get("siren_epci_2024") or "")
            if not key:
                continue
            if row.get("lib_com"):
                commune_territories.setdefault(row["lib_com"], set()).add(key)
            name = row.get("lib_qp") or row.get("lib_qp2015")
            if name:
                qpv_names.append((name, key))
        for document, neighbourhoods in extractions:
            key = territory_of_doc.get(document)
            if not key:
                continue
            for n in neighbourhoods:
                for c in n.get("communes") or []:
                    commune_territories.setdefault(c, set()).add(key)
                for name in (n.get("name"), n.get("official_name"), *(n.get("aliases") or [])):
                    if name:
                        qpv_names.append((re.sub(r"^Quartier\s+", "", name), key))
        for commune, keys in commune_territories.items():
            add(commune, "territory", ",".join(sorted(keys)), commune, "commune", tuple(sorted(keys)))
        communes: dict[str, set[str]] = {}
        for commune, keys in commune_territories.items():
            words = folded_words(commune)
            if len(words) == 1:
                communes.setdefault(words[0], set()).update(keys)
        for place, target in (_config().get("places") or {}).items():
            keys = {e.value for e in entries.get(tuple(folded_words(target)), []) if e.kind == "territory"}
            ts = tuple(sorted({t for e in entries.get(tuple(folded_words(target)), []) for t in e.territories}))
            if keys:
                add(place, "territory", ",".join(ts), target, "place", ts)
        generic = set(_config().get("generic_neighbourhood_words") or [])
        for name, key in qpv_names:
            for part in [name, *re.split(r"\s*(?:\s[-–/|]\s|[/|–])\s*", name)]:
                part = part.strip(" -–,.'")
                words = folded_words(part)
                if not words or all(w in generic or w.isdigit() or len(w) < 3 for w in words):
                    continue
                if len(words) == 1 and (len(words[0]) < 5 or tuple(words) in entries):
                    continue  # a short word, or already a commune/territory
                add(part, "neighbourhood", part, name, "neighbourhood", (key,))
        return cls(entries, {c: tuple(sorted(k)) for c, k in communes.items()})

    def understand(self, query: str, translated: str | None = None) -> Understanding:
        mentions: list[Mention] = []
        mentions += self._names(query)
        for gen, pattern in _generation_patterns():
            m = pattern.search(query)
            if m and gen not in {x.value for x in mentions if x.kind == "generation"}:
                mentions.append(Mention("generation", m.group(0), gen, gen, "pattern"))
        seen_partners: set[str] = set()
        for text in (query, translated) if translated and translated != query else (query,):
            for m in _partners(text):
                if m.value not in seen_partners:
                    seen_partners.add(m.value)
                    mentions.append(m)
        return Understanding(tuple(mentions))

    def _names(self, query: str) -> list[Mention]:
        tokens = [(m.group(0), m.start()) for m in re.finditer(r"\w+", query)]
        folded = [fold(t) for t, _ in tokens]
        out: list[Mention] = []
        i = 0
        while i < len(tokens):
            for n in range(min(MAX_WORDS, len(tokens) - i), 0, -1):
                entries = self._entries.get(tuple(folded[i:i + n]))
                if not entries:
                    continue
                if n == 1:
                    word = tokens[i][0]
                    proper = word[:1].isupper() and not (word.isupper() and len(word) <= 2)
                    # "les quartiers arrageois": a demonym is written in lower case as an adjective
                    entries = [e for e in entries if (proper or (e.via == "place" and _DEMONYM.search(folded[i])))
                               and (e.kind != "neighbourhood" or i > 0)]
                    if not entries:
                        continue
                text = query[tokens[i][1]:tokens[i + n - 1][1] + len(tokens[i + n - 1][0])]
                for e in entries:
                    out.append(Mention(e.kind, text, e.value, e.label, e.via, e.territories))
                i += n
                break
            else:
                keys = self._demonym_territories(folded[i])
                if keys:
                    out.append(Mention("territory", tokens[i][0], ",".join(keys), tokens[i][0], "demonym", keys))
                i += 1
        return _dedupe(out)

    def _demonym_territories(self, word: str) -> tuple[str, ...]:
        """The territories of the one commune of the build whose inhabitants `word` may name
        ("arrageois" -> Arras, "valenciennoise" -> Valenciennes, "denaisiens" -> Denain); ()
        when the word has no demonym ending, or fits no commune, or communes of several
        territories. Demonyms are irregular, so the rule asks a lot: the commune's name less its
        last letter opens the word's stem, or the stem opens the commune's name and lacks at most
        two of its letters."""
        m = _DEMONYM.search(word)
        if not m or len(word) < 6:
            return ()
        stem = word[:m.start()]
        if len(stem) < 3:
            return ()
        found: set[str] = set()
        for commune, keys in self._communes.items():
            if len(commune) < 4 or commune == word:
                continue
            if stem.startswith(commune[:-1]) or (commune.startswith(stem) and len(stem) >= len(commune) - 2):
                found.update(keys)
        return tuple(sorted(found)) if len(found) == 1 else ()


def _dedupe(mentions: list[Mention]) -> list[Mention]:
    seen: set[tuple[str, str]] = set()
    out = []
    for m in mentions:
        key = (m.kind, " ".join(folded_words(m.value)))
        if key not in seen:
            seen.add(key)
            out.append(m)
    return out


def _partners(text: str) -> list[Mention]:
    loose, exact = _partner_forms()
    raw = [(m.group(0), m.start()) for m in re.finditer(r"\w+", text)]
    folded = [fold(t) for t, _ in raw]
    out: list[Mention] = []
    i = 0
    while i < len(raw):
        for n in range(min(MAX_WORDS, len(raw) - i), 0, -1):
            hit = exact.get(tuple(t for t, _ in raw[i:i + n])) or loose.get(tuple(folded[i:i + n]))
            if hit:
                phrase = text[raw[i][1]:raw[i + n - 1][1] + len(raw[i + n - 1][0])]
                out.append(Mention("partner", phrase, hit[0], hit[1], "gazetteer"))
                i += n
                break
        else:
            i += 1
    return _dedupe(out)


def _reference_rows(reference_dir: Path | None) -> list[dict]:
    from ingest.resources import REFERENCE_DIR

    folder = reference_dir or REFERENCE_DIR
    rows: list[dict] = []
    for name in ("qpv_2024_communes_full.csv", "qpv_2015_communes.csv"):
        path = folder / name
        if path.exists():
            with path.open(encoding="utf-8") as f:
                rows += list(csv.DictReader(f))
    return rows


@dataclass
class Boosts:
    """Regexes over folded text whose records get a boost (partners, neighbourhoods named)."""

    patterns: list[re.Pattern[str]] = field(default_factory=list)

    @classmethod
    def of(cls, understanding: Understanding) -> Boosts:
        pats = [partner_pattern(m.value) for m in understanding.of("partner")]
        pats += [name_pattern(m.value) for m in understanding.of("neighbourhood")]
        return cls(pats)

    def matches(self, text: str) -> int:
        return self.matches_folded(fold(text)) if self.patterns else 0

    def matches_folded(self, folded: str) -> int:
        """`matches` of a text already folded."""
        return sum(bool(p.search(folded)) for p in self.patterns)
