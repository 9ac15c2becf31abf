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

from ingest.extract.neighbourhood_text import key_of, tokens
from ingest.model import Neighbourhood, Passage, Status, Territory
from ingest.normalise import fold
from ingest.reference import ReferenceQpv, epci_by_name, qpv_rows

# Scores (0-100) on comparison keys: with a shared commune a close spelling is enough; without
# any commune in the text the name alone must be nearly identical.
MIN_SCORE_WITH_COMMUNE = 85
MIN_SCORE_WITHOUT_COMMUNE = 92
MIN_EPCI_NAME_SCORE = 85


_CODE_2015 = re.compile(r"^QP\d{6}$")  # "QP059020": département on three digits, 2015 list


def load_reference(path: Path) -> tuple[ReferenceQpv, ...]:
    """Rows of a QPV reference table (read once, by ingest.reference)."""
    return qpv_rows(Path(path))


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
                        reference_csv: Path) -> tuple[list[Neighbourhood], list[str]]:
    """Neighbourhoods with official code, name and INSEE codes filled where they match; and one
    readable line per neighbourhood that did not match and per reference QPV never mentioned."""
    reference = load_reference(Path(reference_csv))
    rows = epci_rows(reference, territory)
    if not rows:
        return list(neighbourhoods), [
            f"no reference QPV found for the EPCI {territory.name!r} (SIREN {territory.siren}): "
            "neighbourhoods not linked"]
    insee_of = _insee_by_commune(reference, rows)
    by_code = {r.code: r for r in rows}
    matched: dict[int, ReferenceQpv] = {}
    messages: list[str] = []
    for i, nb in enumerate(neighbourhoods):
        if nb.code and nb.code in by_code:
            matched[i] = by_code[nb.code]
        elif nb.code and not _CODE_2015.match(nb.code):  # 2015 codes are not in a 2024 list
            messages.append(f"neighbourhood {nb.name!r}: code {nb.code} written in the text is "
                            f"not in the reference list of {rows[0].epci}")
    pairs = sorted(((s, i, r.code) for i, nb in enumerate(neighbourhoods)
                    if nb.status == Status.PRIORITY and i not in matched
                    for r in rows if r.code not in {m.code for m in matched.values()}
                    if (s := _score(nb, r)) > 0), reverse=True)
    for score, i, code in pairs:  # best pairs first; one reference QPV per neighbourhood
        if i in matched or code in {m.code for m in matched.values()}:
            continue
        matched[i] = by_code[code]
        if neighbourhoods[i].code:  # e.g. a 2015 code: the text's code is kept
            messages.append(f"neighbourhood {neighbourhoods[i].name!r} (code {neighbourhoods[i].code} in "
                            f"the text) linked by name to {code} {by_code[code].name!r}")
        elif score < 95:
            messages.append(f"neighbourhood {neighbourhoods[i].name!r} linked to {code} "
                            f"{by_code[code].name!r} by an approximate match (score {score:.0f})")
    out: list[Neighbourhood] = []
    for i, nb in enumerate(neighbourhoods):
        ref = matched.get(i)
        insee = [insee_of[k] for c in nb.communes if (k := commune_key(c)) in insee_of]
        if ref is None:
            out.append(replace(nb, insee_codes=tuple(dict.fromkeys(insee))) if insee else nb)
            if nb.status == Status.PRIORITY:
                where = f" ({', '.join(nb.communes)})" if nb.communes else ""
                messages.append(f"neighbourhood {nb.name!r}{where} not found in the reference "
                                f"QPV list of {rows[0].epci}")
            continue
        out.append(replace(nb, code=nb.code or ref.code, official_name=ref.name,
                           insee_codes=tuple(dict.fromkeys([ref.insee, *insee]))))
    linked = {r.code for r in matched.values()}
    for r in rows:
        if r.code not in linked:
            messages.append(f"reference QPV {r.code} {r.name!r} ({r.commune}) is not mentioned "
                            "in the document")
    return out, messages


# --- official names found in the text ---------------------------------------------------------

MIN_NAME_SCORE = 90  # partial match of an official name inside a passage (0-100)


def official_names_in_text(passages: Sequence[Passage], siren: str | None, epci_name: str | None,
                           reference_csv: Path) -> list[tuple[ReferenceQpv, Passage, str | None]]:
    """Where the text writes the official name of one of its EPCI's QPV (2024 list): each hit as
    (reference QPV, passage, the name as the text spells it, or None when the text writes only
    some of its words). A short or common official name
    ("Centre Ville", "Gare"), or one part of a composite name ("A - B - C"), counts only in a
    passage that names its commune."""
    rows = epci_rows(load_reference(Path(reference_csv)), Territory(epci_name or "", siren=siren))
    hits: list[tuple[ReferenceQpv, Passage, str | None]] = []
    normalised = [(p, *_normalised(p.text[:3000])) for p in passages] if rows else []
    words = [set(text.split()) for _, text, _ in normalised]
    for row in rows:
        commune = " ".join(tokens(row.commune))
        for k, (pattern, cutoff, needs_commune) in enumerate(_patterns(row)):
            telling = max(key_of(pattern, [row.commune]).split(), key=len)  # to skip passages fast
            for (p, text, where), passage_words in zip(normalised, words, strict=True):
                if telling not in passage_words or (needs_commune and commune not in text):
                    continue
                found = fuzz.partial_ratio_alignment(pattern, text, score_cutoff=cutoff)
                if found is None:
                    continue
                start, end = _whole_words(text, found.dest_start, found.dest_end)
                spelled = p.text[where[start]:where[end - 1] + 1].strip(" ,;:.(")
                hits.append((row, p, (spelled or row.name) if k == 0 else None))
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
