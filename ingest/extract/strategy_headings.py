"""What a line of a contract's strategy says it is: an orientation's heading ("Axe 2 – Cadre de
vie", "Thématique transversale : la jeunesse"), an objective's ("Objectif stratégique 1 : …",
"1.1.2 Repérer …"), and the clean label it carries.

The patterns of the genre are data (ingest/data/structure.yaml); what is here reads a label out
of a match: the layout's repetitions, quotes and complements dropped, a label the layout cut
completed by the next line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

from ingest.model import Passage
from ingest.normalise import fold
from ingest.resources import load_yaml

TRANSVERSAL = "T"
# A passage longer than this is prose that mentions an orientation, not its heading.
MAX_STRUCTURAL_WORDS = 45
_ARTICLE = re.compile(r"^(?:les?|la|l')\s*")
_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9, "X": 10}


@cache
def _rules() -> dict[str, list[re.Pattern[str]] | int | str]:
    data = load_yaml("structure.yaml")
    rules: dict = {k: [re.compile(p, re.IGNORECASE) for p in v] for k, v in data.items() if isinstance(v, list)}
    rules["max_label_words"] = int(data.get("max_label_words", 30))
    rules["table_level_word"] = str(data["table_level_word"])
    return rules


def first_match(kind: str, text: str) -> re.Match[str] | None:
    """The first of the genre's patterns of `kind` (a key of structure.yaml) that matches `text`."""
    return next((m for p in _rules()[kind] if (m := p.match(text))), None)


def table_level_word() -> str:
    """The pattern of the words that name a strategy's level in a table's header."""
    return str(_rules()["table_level_word"])


def max_label_words() -> int:
    """Labels are short: past this many words, text after a number is prose, not a label."""
    return _rules()["max_label_words"]


def clean_label(text: str) -> str:
    """A label without quotes, trailing punctuation or a repeated half ("A B A" -> "A B")."""
    text = re.sub(r"[«»“”\"]", "", text).strip(" :;,.–—-\t")
    text = re.sub(r"(?<=\w)\s*\([^()]*\)$", "", text)  # "(Engagements communs…)" after a label
    text = re.sub(r"\s+", " ", text)
    words = text.split()
    for n in range(len(words) // 2, 3, -1):  # labels repeated by the layout: "Pour X Pour X"
        if fold(" ".join(words[:n])) == fold(" ".join(words[-n:])) and len(words) < 2 * n + 3:
            return " ".join(words[:n])
    return text


def orientation_number(raw: str | None) -> str | None:
    if not raw:
        return None
    raw = raw.strip().upper()
    if raw in _ROMAN:
        return str(_ROMAN[raw])
    return raw.lstrip("0") or raw


def first_sentence(text: str, max_words: int) -> str:
    sentence = re.split(r"(?<=[a-zé)»])\.\s+(?=[A-ZÀ-Ý])|\s:\s", text, maxsplit=1)[0]
    words = sentence.split()
    return " ".join(words[:max_words]) + ("…" if len(words) > max_words else "")


def match_orientation(text: str) -> tuple[str, str] | None:
    """(number, label as written) when `text` names an orientation, else None."""
    text = text.strip()
    if m := first_match("transversal", text):
        return TRANSVERSAL + (m.group("num") or ""), clean_label(m.group("label") or "")
    if m := first_match("orientation", text):
        label = clean_label(m.group("label") or "")
        # "Axe 1 du plan régional" goes on with a complement; "Axe 1 – Des quartiers …" with a label.
        separated = re.match(r"\s*[:.\-–—)/]", text[m.end("num"):]) is not None
        if len(label.split()) > max_label_words() or (is_complement(label) and not separated):
            return None
        return orientation_number(m.group("num")), label
    return None


def complete_label(passages: Sequence[Passage], i: int, label: str) -> str:
    """The label of passage i's coded heading, cut by the layout ("1.1.1 Diminuer les freins" +
    "liés à …"), completed by the next passage."""
    if i + 1 < len(passages) and not label.endswith((".", ";", "!", "?")):
        nxt = passages[i + 1].text.strip()
        if nxt[:1].islower():
            label = f"{label} {nxt}"
    # What follows the label's first sentence is the next table cell, not the label.
    return clean_label(first_sentence(label, max_label_words()).rstrip("…"))


def transversal_key(label: str) -> str:
    """The key of an unnumbered transversal axis: its label's words without the article or the
    plural, so that "La jeunesse" and "Jeunesse", "L'égalité femmes/hommes" and "Égalité femme –
    homme" are one axis."""
    words = re.findall(r"[a-z0-9]+", _ARTICLE.sub("", fold(label)))
    return f"{TRANSVERSAL}:" + " ".join(w[:-1] if len(w) > 3 and w.endswith(("s", "x")) else w for w in words)[:30]


def is_complement(label: str) -> bool:
    """Does the text after "Objectifs opérationnels" say whose they are ("du PTCS retenus …", "de
    l'axe 2") rather than what one is? Then the line names a column or a list, not an objective."""
    return re.match(r"(du|de|des|d')\b", fold(label)) is not None


def objective_heading(heading: str) -> tuple[str | None, str | None]:
    """The code and the label of the objective a heading names ("1.1. Repérer les jeunes" ->
    ("1.1", "Repérer les jeunes")); (None, None) when it names none by code or level."""
    heading = heading.strip()
    m = first_match("coded_objective", heading) or first_match("strategic_objective", heading)
    if not m:
        return None, None
    code = re.sub(r"\s", "", m.group("code")) if m.groupdict().get("code") else None
    return code, clean_label(m.group("label") or "") or None
