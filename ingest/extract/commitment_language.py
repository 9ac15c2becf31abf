"""The language of commitments: which sentences bind a body, which only say what it could do,
and the small text tests the commitment walk uses. The vocabulary itself is data
(ingest/data/commitment_cues.yaml); this module only reads and applies it.
"""

from __future__ import annotations

import re
from functools import cache

from ingest.model import Organisation
from ingest.normalise import fold
from ingest.resources import load_yaml


@cache
def cues() -> dict[str, tuple[re.Pattern[str], ...]]:
    return {k: tuple(re.compile(p) for p in v) for k, v in load_yaml("commitment_cues.yaml").items()}


def any_cue(kind: str, folded: str) -> re.Match[str] | None:
    return next((m for p in cues()[kind] if (m := p.search(folded))), None)


def is_possibility(text: str) -> bool:
    """The sentence says what a body could do, not what it will do."""
    return any_cue("possibility", fold(text)) is not None


def is_binding(text: str) -> bool:
    folded = fold(text)
    return any_cue("binding", folded) is not None and any_cue("possibility", folded) is None


def sentences(text: str) -> list[str]:
    parts = re.split(r"(?<=[a-zàâéèêëîïôûùç)»0-9])[.!?]\s+(?=[A-ZÀ-Ý«])", text)
    return [s.strip() for s in parts if s.strip()]


def named_body(heading: str) -> Organisation | None:
    """A body the gazetteer does not know, named by a chapter heading ("ENGAGEMENTS DE BGE …")."""
    m = re.search(r"(?i)\b(?:engagements?|contributions?|cadre d'intervention)\s+(?:de la|de l'|du|des|de|d')\s*(.+)$",
                  heading.strip())  # the words of the "chapter" cue, with the body's name after them
    if not m:
        return None
    name = re.sub(r"\s+", " ", m.group(1)).strip(" :.")
    if re.search(r"[^\w\s'’&().-]|\b(?:axe|mesures?|th[ée]matiques?|actions?|objectifs?)\b", name, re.IGNORECASE):
        return None  # a table header or a section title, not a body's name
    if not name or not name[0].isupper() or len(name) < 3 or len(name.split()) > 6 or re.match(r"(?i)(la |le |les )?(commune|ville|quartier|partenaire|signataire)", name):
        return None
    if name.isupper():
        name = " ".join(w if len(w) <= 4 else "-".join(x.capitalize() if len(x) > 2 else x.lower()
                                                     for x in w.split("-")) for w in name.split())
    slug = re.sub(r"[^a-z0-9]+", "-", fold(name)).strip("-")
    # A body outside the gazetteer that writes its own commitments chapter is, in these
    # contracts, nearly always an association or an operator of one (BGE, a social centre…).
    kind = "company" if re.search(r"(?i)\b(sa|sas|sarl|groupe|entreprise)\b", name) else "association"
    return Organisation(id=f"org-{slug}", name=name, type=kind, aliases=(m.group(1).strip(),))


def label_key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", fold(re.sub(r"^(?:\d+[A-H]?\b|[\d.\s]+)", "", text))).strip()


NUMBERING = re.compile(r"^\s*(?:\d{1,2}|[a-h])\s*(?:[.)/]|\s[-–—])\s*")
_INFINITIVE = re.compile(r"^(?:[a-zà-ÿ'-]+(?:er|ir|re|oir)|s'[a-zà-ÿ-]+(?:er|ir|re))\b")


def starts_with_infinitive(text: str) -> bool:
    first = fold(text.strip().split(" ", 1)[0]) if text.strip() else ""
    return bool(_INFINITIVE.match(first)) and first not in {"leur", "pour", "sur", "par", "notre", "votre"}
