"""Link extracted neighbourhoods to the official QPV list (codes, official names, INSEE communes).

The reference table has the format of reference/qpv_2024_communes.csv: one row per QPV with its
code, name, commune (INSEE code and name) and EPCI (SIREN and name). Matching is restricted to
the contract's EPCI (by SIREN, else by fuzzy EPCI name) and, when the text gives them, to the
neighbourhood's communes; names are compared accent-folded with rapidfuzz, without the words
that carry no identity ("quartier", articles, the commune's own name).

Older contracts (2015) name the 2015 QPVs, which the 2024 list redrew: a match needs a close
spelling, so a neighbourhood that changed shape is reported rather than linked to a neighbour.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from rapidfuzz import fuzz

from ingest.extract.neighbourhoods.text import key_of, tokens
from ingest.model import BlockKind, Document, Neighbourhood, Passage, Status, Territory
from ingest.normalise import fold
from ingest.reference import (
    QPV_TABLE_2015,
    ReferenceQpv,
    correspondence,
    epci_by_name,
    qpv_2015_rows,
    qpv_rows,
)

# Scores (0-100) on comparison keys: with a shared commune a close spelling is enough; without
# any commune in the text the name alone must be nearly identical.
MIN_SCORE_WITH_COMMUNE = 85
MIN_SCORE_WITHOUT_COMMUNE = 92
MIN_EPCI_NAME_SCORE = 85


_CODE_2015 = re.compile(r"^QP\d{6}$")  # "QP059020": département on three digits, 2015 list


def load_reference(path: Path) -> tuple[ReferenceQpv, ...]:
    """Rows of a QPV reference table (read once, by ingest.reference)."""
    return qpv_rows(Path(path))


def generation_of(document: Document | None) -> str:
    """"2015" for a contract of the 2015 generation or a 2019 protocol (its QPV are the 2015
    ones, codes QP…), "2024" for Engagements Quartiers 2030 and for a document of unknown date."""
    if document is None:
        return "2024"
    meta = document.meta
    if meta.generation in ("2015", "2019"):
        return "2015"
    if meta.generation == "2024":
        return "2024"
    return "2015" if meta.period_start and meta.period_start < 2023 else "2024"


def table_2015(reference_csv: Path) -> tuple[ReferenceQpv, ...]:
    """The 2015 QPV table next to the 2024 one."""
    return qpv_2015_rows(Path(reference_csv).parent / QPV_TABLE_2015)


def reference_for(reference_csv: Path, generation: str) -> tuple[ReferenceQpv, ...]:
    return table_2015(reference_csv) if generation == "2015" else load_reference(Path(reference_csv))


def territory_rows(reference_csv: Path, territory: Territory, generation: str) -> list[ReferenceQpv]:
    """The reference QPV of the contract's territory in the table of its generation."""
    return epci_rows(reference_for(reference_csv, generation), territory)


def _phrase_in(phrase: str, text: str) -> bool:
    return bool(phrase) and f" {phrase} " in text


def guess_epci(passages: Sequence[Passage], tables: Sequence[Sequence[ReferenceQpv]],
               limit: int = 400) -> tuple[str, str] | None:
    """(SIREN, name) of the intercommunality whose QPV the text names, with their communes:
    for a document whose territory is not given, nor named in a form the reference knows."""
    text = " " + " ".join(w for p in passages[:limit] for w in tokens(p.text)) + " "
    words = set(text.split())
    hits: dict[str, set[str]] = {}
    names: dict[str, str] = {}
    for table in tables:
        for r in table:
            # "Le Port" is written "la ville du Port": the commune without its article
            if not r.siren_epci or not set(commune_key(r.commune)) <= words:
                continue
            for name in (r.name, *r.variants):
                full, key = " ".join(tokens(name)), key_of(name, [r.commune])
                if _phrase_in(full, text) or (len(key) >= 5 and _phrase_in(key, text)):
                    hits.setdefault(r.siren_epci, set()).add(r.code)
                    names.setdefault(r.siren_epci, r.epci)
                    break
    if not hits:
        return None
    best = max(hits, key=lambda s: (len(hits[s]), s))
    return best, names[best]


def epci_rows(reference: Sequence[ReferenceQpv], territory: Territory) -> list[ReferenceQpv]:
    """The reference QPVs of the contract's EPCI: by SIREN, else by the closest EPCI name."""
    if territory.siren:
        rows = [r for r in reference if r.siren_epci == territory.siren]
        if rows:
            return rows
    siren = epci_by_name(territory.name, {(r.siren_epci, r.epci) for r in reference if r.epci},
                         MIN_EPCI_NAME_SCORE)
    return [r for r in reference if r.siren_epci == siren] if siren else []


_COMMUNE_SMALL_WORDS = {"l", "d", "le", "la", "les", "sur", "sous", "en", "lez", "de", "du",
                        "des", "aux", "et"}
_COMMUNE_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}


def commune_key(name: str) -> tuple[str, ...]:
    """A commune's name as written in texts and tables alike: "St-Saulve" = "Saint-Saulve",
    "Condé-sur-Escaut" = "Condé-sur-l'Escaut" (small words and abbreviations ignored)."""
    words = (_COMMUNE_ABBREVIATIONS.get(w, w) for w in tokens(name))
    return tuple(w for w in words if w not in _COMMUNE_SMALL_WORDS)


def _insee_by_commune(reference: Sequence[ReferenceQpv], rows: Sequence[ReferenceQpv]) -> dict:
    """INSEE code of each commune of the EPCI's départements that the reference table names
    (a commune name is unique within a département; the EPCI's own rows win)."""
    departments = {r.insee[:2] for r in rows if r.insee}
    insee_of = {commune_key(r.commune): r.insee for r in reference
                if r.insee and r.insee[:2] in departments}
    insee_of.update({commune_key(r.commune): r.insee for r in rows if r.insee})
    return insee_of


def _same_commune(a: str, b: str) -> bool:
    return commune_key(a) == commune_key(b)


def _score(nb: Neighbourhood, ref: ReferenceQpv) -> float:
    """How well one reference QPV fits a neighbourhood (0 when the commune rules it out)."""
    shared = any(_same_commune(c, ref.commune) for c in nb.communes)
    if nb.communes and not shared:
        return 0.0
    ref_key = key_of(ref.name, [ref.commune])
    best = 0.0
    for name in (nb.name, *nb.aliases):
        key = key_of(name, [*nb.communes, ref.commune])
        score = fuzz.ratio(key, ref_key)
        # The text often writes more (or less) than the official name: "Centre-ville" for
        # "Centre Ville - Le Jard". Trusted only inside the same commune.
        if shared and min(len(key), len(ref_key)) >= 4 and fuzz.token_set_ratio(key, ref_key) == 100:
            score = max(score, 90.0)
        best = max(best, score)
    needed = MIN_SCORE_WITH_COMMUNE if shared else MIN_SCORE_WITHOUT_COMMUNE
    return best if best >= needed else 0.0


def link_neighbourhoods(neighbourhoods: Sequence[Neighbourhood], territory: Territory,
                        reference_csv: Path, generation: str = "2024") -> tuple[list[Neighbourhood], list[str]]:
    """Neighbourhoods with official code, name, communes and INSEE codes filled where they match;
    and one readable line per neighbourhood that did not match and per reference QPV never
    mentioned. A 2015 contract (`generation` "2015", also 2019 protocols) is linked to the 2015
    table (codes QP…); a 2024 QPV gets the 2015 QPV it continues (ANCT correspondence) in
    `code_2015`. Mentions of one QPV that extraction kept apart are merged by code."""
    reference = reference_for(Path(reference_csv), generation)
    rows = epci_rows(reference, territory)
    if not rows:
        return list(neighbourhoods), [
            f"no reference QPV found for the EPCI {territory.name!r} (SIREN {territory.siren}): "
            "neighbourhoods not linked"]
    insee_of = _insee_by_commune(reference, rows)
    by_code: dict[str, list[ReferenceQpv]] = {}
    for r in rows:
        by_code.setdefault(r.code, []).append(r)
    follows = correspondence(Path(reference_csv).parent) if generation == "2024" else {}
    matched: dict[int, str] = {}
    scores: dict[int, float] = {}
    messages: list[str] = []
    for i, nb in enumerate(neighbourhoods):
        if nb.code and nb.code in by_code:
            matched[i] = nb.code
        elif nb.code and (generation == "2024") != bool(_CODE_2015.match(nb.code)):
            messages.append(f"neighbourhood {nb.name!r}: code {nb.code} written in the text is "
                            f"not in the reference list of {rows[0].epci}")
    pairs = sorted(((s, i, r.code) for i, nb in enumerate(neighbourhoods)
                    if nb.status == Status.PRIORITY and i not in matched
                    for r in rows if r.code not in matched.values()
                    if (s := _score(nb, r)) > 0), reverse=True)
    for score, i, code in pairs:  # best pairs first; one reference QPV per neighbourhood
        if i in matched or code in matched.values():
            continue
        matched[i] = code
        scores[i] = score
        if neighbourhoods[i].code:  # e.g. a code of the other generation: the text's code is kept
            messages.append(f"neighbourhood {neighbourhoods[i].name!r} (code {neighbourhoods[i].code} in "
                            f"the text) linked by name to {code} {by_code[code][0].name!r}")
        elif score < 95:
            messages.append(f"neighbourhood {neighbourhoods[i].name!r} linked to {code} "
                            f"{by_code[code][0].name!r} by an approximate match (score {score:.0f})")
    # a spelling that extraction kept apart from its QPV (found both in a list and by its
    # official name): linked to the same code, then merged with it
    for i, nb in enumerate(neighbourhoods):
        if i in matched or nb.status != Status.PRIORITY or nb.code:
            continue
        best = max(((_score(nb, r), r.code) for r in rows), default=(0.0, ""))
        if best[0] >= 95 and (nb.communes or best[0] >= 98):
            matched[i], scores[i] = best[1], best[0]
    out: list[Neighbourhood] = []
    for i, nb in enumerate(neighbourhoods):
        code = matched.get(i)
        insee = [insee_of[k] for c in nb.communes if (k := commune_key(c)) in insee_of]
        if code is None:
            # the territory's list is known and this name is not on it
            unsure = nb.confidence is not None and nb.status == Status.PRIORITY and not nb.code
            out.append(replace(nb, insee_codes=tuple(dict.fromkeys(insee)) or nb.insee_codes,
                               confidence=round(nb.confidence * 0.7, 2) if unsure else nb.confidence))
            if nb.status == Status.PRIORITY:
                where = f" ({', '.join(nb.communes)})" if nb.communes else ""
                messages.append(f"neighbourhood {nb.name!r}{where} not found in the reference "
                                f"QPV list of {rows[0].epci}")
            continue
        refs = by_code[code]
        written = {commune_key(c) for c in nb.communes}
        # the 2015 table infers its communes: they complete a text that names none
        extra = [] if generation == "2015" and nb.communes else refs
        communes = [*nb.communes, *(r.commune for r in extra if commune_key(r.commune) not in written)]
        confidence = nb.confidence or 0.0
        if i in scores:  # linked by its name: as sure as the names are close
            confidence = max(confidence, min(0.9, 0.6 + (scores[i] - MIN_SCORE_WITH_COMMUNE) / 50))
        out.append(replace(nb, code=nb.code if nb.code in by_code else (nb.code or code),
                           official_name=refs[0].name, communes=tuple(dict.fromkeys(communes)),
                           insee_codes=tuple(dict.fromkeys([*(r.insee for r in refs), *insee])),
                           code_2015=follows.get(code, nb.code_2015), confidence=round(confidence, 2)))
    out = _without_fragments(merge_by_code(out))
    linked = set(matched.values())
    for code, refs in by_code.items():
        if code not in linked:
            messages.append(f"reference QPV {code} {refs[0].name!r} "
                            f"({', '.join(r.commune for r in refs)}) is not mentioned in the document")
    return out, messages


def _without_fragments(neighbourhoods: list[Neighbourhood]) -> list[Neighbourhood]:
    """Unlinked priority names that are pieces of a linked one ("1ère" of "1ère et 2ème
    Couronne") or lists of linked ones ("Empalot, Grand Mirail") are not neighbourhoods."""
    linked = [set(tokens(n)) for nb in neighbourhoods if nb.official_name
              for n in (nb.name, *nb.aliases, nb.official_name)]
    out = []
    for nb in neighbourhoods:
        words = set(tokens(nb.name))
        if not nb.official_name and not nb.code and nb.status == Status.PRIORITY and words and (
                any(words < other for other in linked)
                or sum(1 for other in linked if other < words) >= 2):
            continue
        out.append(nb)
    return out


def merge_by_code(neighbourhoods: Sequence[Neighbourhood]) -> list[Neighbourhood]:
    """One neighbourhood per code: spellings, communes and provenance of the others join the first."""
    out: list[Neighbourhood] = []
    where: dict[str, int] = {}
    for nb in neighbourhoods:
        k = where.get(nb.code) if nb.code else None
        if k is None:
            if nb.code:
                where[nb.code] = len(out)
            out.append(nb)
            continue
        first = out[k]
        names = [n for n in (nb.name, *nb.aliases) if n != first.name and n not in first.aliases]
        seen = {commune_key(c) for c in first.communes}
        communes = [c for c in nb.communes if commune_key(c) not in seen]
        out[k] = replace(first, aliases=(*first.aliases, *names), communes=(*first.communes, *communes),
                         insee_codes=tuple(dict.fromkeys((*first.insee_codes, *nb.insee_codes))),
                         provenance=tuple(dict.fromkeys((*first.provenance, *nb.provenance))),
                         confidence=max(first.confidence or 0.0, nb.confidence or 0.0) or None)
    return out


# --- official names found in the text ---------------------------------------------------------

MIN_NAME_SCORE = 90  # partial match of an official name inside a passage (0-100)
CONTEXT_PASSAGES = 6  # a short official name counts when its commune is named this close above


def official_names_in_text(passages: Sequence[Passage], siren: str | None, epci_name: str | None,
                           reference_csv: Path, rows: Sequence[ReferenceQpv] | None = None,
                           ) -> list[tuple[ReferenceQpv, Passage, str | None]]:
    """Where the text writes the official name of one of its EPCI's QPV (2024 list): each hit as
    (reference QPV, passage, the name as the text spells it, or None when the text writes only
    some of its words). A short or common official name
    ("Centre Ville", "Gare"), or one part of a composite name ("A - B - C"), counts only in a
    passage that names its commune."""
    if rows is None:
        rows = epci_rows(load_reference(Path(reference_csv)), Territory(epci_name or "", siren=siren))
    hits: list[tuple[ReferenceQpv, Passage, str | None]] = []
    normalised = [(p, *_normalised(p.text[:3000])) for p in passages] if rows else []
    words = [set(text.split()) for _, text, _ in normalised]
    # a list item is placed in its commune by the lines just above it ("À Tours :" then items)
    around = []
    for i, (p, _, _) in enumerate(normalised):
        start = i  # a list item: from its list's lead-in
        while start > 0 and passages[start - 1].kind == BlockKind.LIST_ITEM:
            start -= 1
        around.append(set().union(*words[max(0, min(start - 1, i - CONTEXT_PASSAGES)):i + 1],
                                  *(tokens(h) for h in p.section_path)))
    all_communes = {commune_key(r.commune) for r in rows}
    for row in rows:
        commune = set(commune_key(row.commune))  # "la ville du Port" names Le Port
        others = [set(c) for c in all_communes if set(c) != commune]
        for k, (pattern, cutoff, needs_commune) in enumerate(_patterns(row)):
            telling = max(key_of(pattern, [row.commune]).split(), key=len)  # to skip passages fast
            for (p, text, where), passage_words, context in zip(normalised, words, around, strict=True):
                if telling not in passage_words:
                    continue
                listed = p.kind == BlockKind.LIST_ITEM or (len(p.text) <= 80 and not p.text.rstrip().endswith("."))
                if needs_commune and not commune <= passage_words and (
                        not listed or not commune <= context or any(c <= passage_words for c in others)):
                    continue  # the commune above counts only for a line that names no other
                found = fuzz.partial_ratio_alignment(pattern, text, score_cutoff=cutoff)
                if found is None:
                    continue
                start, end = _whole_words(text, found.dest_start, found.dest_end)
                spelled = p.text[where[start]:where[end - 1] + 1].strip(" ,;:.(")
                if re.findall(r"\d+", pattern) != re.findall(r"\d+", text[start:end]):
                    continue  # "2ème Couronne" is not "4ème Couronne"
                hits.append((row, p, (spelled or row.name) if k <= len(row.variants) else None))
            if any(hit[0] is row for hit in hits):
                break  # the fullest form found is enough
    return hits


def _patterns(row: ReferenceQpv) -> list[tuple[str, float, bool]]:
    """(normalised text to look for, minimal score, whether the commune must be in the passage),
    fullest first: the official name, its telling words, each part of a composite name."""
    key = key_of(row.name, [row.commune])
    if not key:
        return []
    common = len(key) < 8 or len(key.split()) < 2
    patterns = [(" ".join(tokens(row.name)), MIN_NAME_SCORE, common), (key, 100, common)]
    patterns[1:1] = [(" ".join(tokens(v)), MIN_NAME_SCORE, common) for v in row.variants]
    parts = [part for part in re.split(r"\s[-–—/]\s|/|,", row.name) if part.strip()]
    if len(parts) > 1:
        patterns += [(" ".join(tokens(part)), 100, True) for part in parts
                     if len(key_of(part, [row.commune])) >= 6]
    return patterns


def _normalised(text: str) -> tuple[str, list[int]]:
    """Folded words joined by single spaces, and each character's index in `text`."""
    out: list[str] = []
    where: list[int] = []
    for m in re.finditer(r"\w+", text):
        folded = fold(m.group())
        if out:
            out.append(" ")
            where.append(m.start())
        out.append(folded)
        where.extend(m.start() + min(i, len(m.group()) - 1) for i in range(len(folded)))
    return "".join(out), where


def _whole_words(text: str, start: int, end: int) -> tuple[int, int]:
    while start > 0 and text[start - 1] != " ":
        start -= 1
    while end < len(text) and text[end] != " ":
        end += 1
    return start, end
