"""The strategy of a contract: orientations (piliers, axes…) and their objectives, as a hierarchy.

Contracts repeat their orientations many times (in the summary, in each partner's chapter, in
each commune's chapter), sometimes with a shortened or reworded label. All mentions that carry
the same number are one orientation; the longest label is kept and the others become aliases.
Objectives hang under an orientation by position in the text and, when coded ("1.1.2", "1A",
"O.G.1.1"), by their code: a code's parent is the objective whose code is its prefix. Each gets an
id by its place in the finished tree ("o2", "o2.1.3"), which records use to name it
(ingest.extract.strategy_index), since labels and codes repeat across orientations.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

from ingest.extract.strategy_tables import RowOrientation, table_row_orientations
from ingest.extract.themes import themes_of
from ingest.model import BlockKind, Document, Objective, Orientation, Passage, Provenance
from ingest.normalise import fold
from ingest.resources import load_yaml

TRANSVERSAL = "T"
# A passage longer than this is prose that mentions an orientation, not its heading.
MAX_STRUCTURAL_WORDS = 45
# A heading numbered by a figure alone ("2. CADRE DE VIE : …"), and the words of a section that
# sets out the strategy ("L'arbre des objectifs", "Orientations stratégiques").
_NUMBERED_HEADING = re.compile(r"^(\d{1,2})\s*[.)]\s+(\S.*)$")
_STRATEGY_WORDS = re.compile(r"objectif|orientation|strat[ée]gi|\baxes?\b|pilier|priorit|ambition|enjeu", re.IGNORECASE)
# A numbered heading that announces the contract's transversal axes; its sub-headings in sequence
# ("2.1. L'égalité femmes/hommes", "2.2. La jeunesse") name them.
_TRANSVERSAL_ANNOUNCEMENT = re.compile(
    r"^(?P<code>\d{1,2})\s*[.)]?\s+(?:les\s+)?(?:axes|th[ée]matiques|priorit[ée]s|enjeux|orientations)\s+"
    r"transversa(?:ux|les)\b", re.IGNORECASE)
# A lead-in that announces a counted list of the strategy's items ("Cette stratégie se décline à
# travers 3 axes d'intervention :"): the numbered headings after it are its strategic objectives.
_COUNTED_LEAD_IN = re.compile(
    r"\b(?:se\s+d[ée]clinen?t?|s['’]articulen?t?|s['’]organisen?t?)\s+(?:en|autour\s+de|[àa]\s+travers|selon)\s+"
    r"(?:\d{1,2}|deux|trois|quatre|cinq|six|sept)\s+(?:grands?\s+|grandes\s+)?"
    r"(?:axes?|objectifs?|priorit[ée]s|enjeux|orientations)\b[^.]*:$", re.IGNORECASE)
# An aim opens on an infinitive ("Développer …", "repérer …"); these words end like one and are not.
_NOT_INFINITIVES = frozenset(["entre", "notre", "votre", "autre", "contre", "leur", "premier", "dernier", "quartier",
                              "chantier", "atelier", "centre", "cadre", "titre", "nombre", "offre", "lettre",
                              "membre", "ordre", "plusieurs", "pour", "par", "sur", "hier", "fer", "mer"])
# Items of a list that states aims are short.
MAX_AIM_WORDS = 20
_ARTICLE = re.compile(r"^(?:les?|la|l')\s*")
_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9, "X": 10}


@cache
def _rules() -> dict[str, list[re.Pattern[str]] | int]:
    data = load_yaml("structure.yaml")
    rules: dict = {k: [re.compile(p, re.IGNORECASE) for p in v] for k, v in data.items() if isinstance(v, list)}
    rules["max_label_words"] = int(data.get("max_label_words", 30))
    return rules


def _first_match(kind: str, text: str) -> re.Match[str] | None:
    return next((m for p in _rules()[kind] if (m := p.match(text))), None)


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


def _number(raw: str | None) -> str | None:
    if not raw:
        return None
    raw = raw.strip().upper()
    if raw in _ROMAN:
        return str(_ROMAN[raw])
    return raw.lstrip("0") or raw


def _first_sentence(text: str, max_words: int) -> str:
    sentence = re.split(r"(?<=[a-zé)»])\.\s+(?=[A-ZÀ-Ý])|\s:\s", text, maxsplit=1)[0]
    words = sentence.split()
    return " ".join(words[:max_words]) + ("…" if len(words) > max_words else "")


@dataclass
class _ObjectiveNode:
    label: str
    code: str | None
    level: str | None  # None: decided by depth once the tree is built
    provenance: list[Provenance]
    parent_hint: _ObjectiveNode | None = None  # the strategic objective above an uncoded item
    children: list[_ObjectiveNode] = field(default_factory=list)

    def freeze(self, depth: int, id_: str) -> Objective:
        level = self.level or ("strategic", "operational", "other")[min(depth, 2)]
        return Objective(label=self.label, code=self.code, level=level,
                         children=tuple(c.freeze(depth + 1, f"{id_}.{n}") for n, c in enumerate(self.children, 1)),
                         themes=themes_of(self.label), provenance=tuple(self.provenance[:5]), id=id_)


def _code_parent(code: str, by_code: dict[str, _ObjectiveNode]) -> _ObjectiveNode | None:
    if m := re.fullmatch(r"(\d{1,2})([A-H])", code):  # "1A" under strategic objective "1"
        return by_code.get(m.group(1))
    parts = _strip_level(code).split(".")
    prefix = code[: len(code) - len(".".join(parts))]
    # "OO 3.1" hangs under "OS3": the parent of an operational code may carry the strategic prefix.
    by_number = {_strip_level(k): node for k, node in by_code.items() if k != code}
    while len(parts) > 1:
        parts = parts[:-1]
        for candidate in (prefix + ".".join(parts), ".".join(parts)):
            if candidate != code and (found := by_code.get(candidate)) is not None:
                return found
        if prefix and (found := by_number.get(".".join(parts))) is not None:
            return found
    return None


def _strip_level(code: str) -> str:
    """A code without its level prefix ("OS3" -> "3", "O.G.1.2" -> "1.2")."""
    return re.sub(r"^O\.?[GSO]\.?", "", code)


@dataclass
class _OrientationNode:
    number: str | None
    sort_rank: int = 0
    labels: list[str] = field(default_factory=list)
    provenance: list[Provenance] = field(default_factory=list)
    nodes: list[_ObjectiveNode] = field(default_factory=list)
    by_code: dict[str, _ObjectiveNode] = field(default_factory=dict)
    by_label: dict[str, _ObjectiveNode] = field(default_factory=dict)

    @property
    def label(self) -> str:
        # The most frequent full label, ties to the longest: summaries abbreviate, chapters don't.
        candidates = [lab for lab in self.labels if lab] or [f"Orientation {self.number}"]
        keyed = {fold(lab): lab for lab in sorted(candidates, key=len)}
        counts = {k: sum(1 for lab in candidates if fold(lab) == k) for k in keyed}
        best = max(keyed, key=lambda k: (counts[k] >= 2, len(k)))
        return keyed[best]

    def add_objective(self, node: _ObjectiveNode) -> _ObjectiveNode:
        known = self.by_code.get(node.code) if node.code else self.by_label.get(fold(node.label))
        if known is not None:
            known.provenance.extend(node.provenance)
            if not known.label:
                known.label = node.label
            return known
        self.nodes.append(node)
        if node.code:
            self.by_code[node.code] = node
        self.by_label[fold(node.label)] = node
        return node

    def tree(self) -> list[_ObjectiveNode]:
        """Hang every objective under its parent: by code first, else under the objective above it."""
        roots: list[_ObjectiveNode] = []
        for node in self.nodes:
            node.children = []
        for node in self.nodes:
            parent = _code_parent(node.code, self.by_code) if node.code else node.parent_hint
            (parent.children if parent is not None and parent is not node else roots).append(node)
        for node in self.nodes:
            node.children.sort(key=lambda n: _sort_key(n.code))
        return sorted(roots, key=lambda n: _sort_key(n.code))

    def freeze(self, id_: str) -> Orientation:
        label = self.label
        aliases = tuple(dict.fromkeys(lab for lab in self.labels if lab and fold(lab) != fold(label)))
        number = None if (self.number or "").startswith((TRANSVERSAL, "H:")) else self.number
        roots = [o for o in self.tree() if o.label]
        return Orientation(label=label, number=number, aliases=aliases,
                           objectives=tuple(o.freeze(0, f"{id_}.{n}") for n, o in enumerate(roots, 1)),
                           themes=themes_of(" ".join([label, *aliases])),
                           provenance=tuple(self.provenance[:10]), id=id_)


def _sort_key(code: str | None) -> tuple:
    """Codes in numeric order ("1.2" before "1.10"); uncoded objectives keep reading order."""
    if not code:
        return ((1,),)
    return ((0,), *((int(x), "") if x.isdigit() else (0, x) for x in re.findall(r"\d+|[A-Z]", code)))


def _prov(p: Passage) -> Provenance:
    return Provenance(p.id, p.page, p.line_start)


def match_orientation(text: str) -> tuple[str, str] | None:
    """(number, label as written) when `text` names an orientation, else None."""
    text = text.strip()
    if m := _first_match("transversal", text):
        return TRANSVERSAL + (m.group("num") or ""), clean_label(m.group("label") or "")
    if m := _first_match("orientation", text):
        label = clean_label(m.group("label") or "")
        # "Axe 1 du plan régional" goes on with a complement; "Axe 1 – Des quartiers …" with a label.
        separated = re.match(r"\s*[:.\-–—)/]", text[m.end("num"):]) is not None
        if len(label.split()) > _rules()["max_label_words"] or (_is_complement(label) and not separated):
            return None
        return _number(m.group("num")), label
    return None


class _Walker:
    """Reads the passages in order, keeping track of the current orientation and objective."""

    def __init__(self, passages: Sequence[Passage]) -> None:
        self.passages = passages
        self.orientations: dict[str, _OrientationNode] = {}
        self.current: _OrientationNode | None = None
        self.strategic: _ObjectiveNode | None = None
        self.list_mode: str | None = None  # "strategic" | "operational" after a lead-in
        # The last chapter heading that is not itself an orientation: when objectives follow it,
        # it is an unnumbered orientation ("QUARTIER APAISÉ" above "Objectif stratégique 1").
        self.last_heading: Passage | None = None
        self.row_labels = table_row_orientations(passages)
        # The passage of the orientation heading in force: a list of aims must follow it closely.
        self.opened_at: int | None = None
        # The code of the heading that announced the transversal axes, and the next one's number.
        self.transversal: tuple[str, int] | None = None

    def orientation(self, number: str) -> _OrientationNode:
        if number not in self.orientations:
            self.orientations[number] = _OrientationNode(number)
        return self.orientations[number]

    def run(self) -> list[Orientation]:
        for i, p in enumerate(self.passages):
            self.step(i, p)
        ordered = sorted(self.orientations.values(),
                         key=lambda o: (o.number.startswith(TRANSVERSAL), o.sort_rank, len(o.number), o.number))
        # Ids by position in the finished tree: the same extraction always numbers it the same way.
        return [o.freeze(f"o{n}") for n, o in enumerate(ordered, 1)]

    def step(self, i: int, p: Passage) -> None:
        text = p.text.strip()
        words = len(text.split())
        if i in self.row_labels:
            self._orientation_from_row(self.row_labels[i], p)
            return
        if p.kind == BlockKind.HEADING and self._announced_transversal(p):
            return
        if p.kind == BlockKind.LIST_ITEM and self.list_mode and self.current is not None:
            self._add_listed(text, p)
            return
        if self.list_mode == "numbered" and self.current is not None and (m := _NUMBERED_HEADING.match(text)):
            label = complete_label(self.passages, i, clean_label(m.group(2)))
            self.strategic = self.current.add_objective(_ObjectiveNode(label, m.group(1), "strategic", [_prov(p)]))
            return
        if self.list_mode == "numbered" and text[:1].islower():
            return  # the end of a numbered item the layout wrapped
        if self.list_mode and (p.kind == BlockKind.HEADING or words > 3):
            self.list_mode = None
        if p.kind == BlockKind.LIST_ITEM and self.list_mode is None and self._aims_list_starts(i):
            self.list_mode = "strategic" if self.strategic is None else "operational"
            self._add_listed(text, p)
            return
        if words > MAX_STRUCTURAL_WORDS or p.kind == BlockKind.TABLE_ROW:
            return
        found = match_orientation(text) or self._numbered_tree_top(i, p)
        if found:
            number, label = found
            if not label:
                label = self._label_after(i)
            if number == TRANSVERSAL:
                if not label:
                    return
                number = transversal_key(label)
            node = self.orientation(number)
            if label:
                node.labels.append(label)
            node.provenance.append(_prov(p))
            self.current, self.strategic, self.list_mode = node, None, None
            self.opened_at = i
            return
        if p.kind == BlockKind.HEADING and (p.heading_level or 9) <= 2:
            self.last_heading = p
        if self.current is None and _first_match("strategic_objective", text):
            if self.last_heading is not None and i - self.last_heading.index <= 6:
                self._orientation_from_heading(self.last_heading)
            elif (title := self._title_before(i)) is not None:
                self._orientation_from_heading(title)
        if self.current is None:
            # A deep code ("5.1.1"), or a code the word "Objectif" announces ("Objectif 1.1 :"),
            # names its orientation itself, even after a layout break (a table's column header
            # read as a heading). Missed there, the objective would take its label from a later
            # heading of that code, which another orientation's table may give to another goal.
            m = _first_match("coded_objective", text)
            if m and (m.group("code").count(".") >= 2 or fold(text).startswith("objectif")) \
                    and self.orientations.get(m.group("code").split(".")[0]):
                self.current = self.orientations[m.group("code").split(".")[0]]
            else:
                return
        if m := _first_match("strategic_objective", text):
            label = clean_label(m.group("label") or "") or self._label_after(i)
            if label:
                code = m.group("code")
                node = _ObjectiveNode(label, code, "strategic", [_prov(p)])
                self.strategic = self.current.add_objective(node)
                self.list_mode = None
            return
        if m := _first_match("operational_objective", text):
            label = clean_label(m.group("label") or "")
            if label and len(label.split()) > 2 and not _is_complement(label):
                self._add_coded(m.group("code"), label, "operational", p)
            else:
                self.list_mode = "operational"
            return
        if m := _first_match("coded_objective", text):
            label = clean_label(m.group("label"))
            self._add_coded(m.group("code"), complete_label(self.passages, i, label) if label else self._label_after(i),
                            None, p)
            return
        if _COUNTED_LEAD_IN.search(text) and p.kind != BlockKind.LIST_ITEM:
            self.list_mode = "numbered"
            return
        if _first_match("objective_lead_in", text) and p.kind != BlockKind.LIST_ITEM and words <= 12:
            self.list_mode = "strategic" if self.strategic is None else "operational"
            return
        if p.kind == BlockKind.HEADING and (p.heading_level or 9) <= 2:
            # A new part of the document, unless it is the chapter of an orientation named elsewhere.
            self.current, self.strategic = self._orientation_named_by(p), None

    def _add_listed(self, text: str, p: Passage) -> None:
        assert self.current is not None
        if m := _first_match("coded_objective", text):
            self._add_coded(m.group("code"), clean_label(m.group("label")), None, p)
            return
        label = _first_sentence(clean_label(text), _rules()["max_label_words"])
        if self.list_mode == "strategic":
            self.current.add_objective(_ObjectiveNode(label, None, "strategic", [_prov(p)]))
        else:
            self.current.add_objective(_ObjectiveNode(label, None, "operational", [_prov(p)], self.strategic))

    def _title_before(self, i: int) -> Passage | None:
        """The short line right above passage i when it reads as a title the reader did not take
        for a heading ("Enjeux et objectifs retenus pour le quartier" above "Objectif stratégique 1")."""
        before = self.passages[i - 1] if i else None
        if before is None or before.kind not in (BlockKind.PARAGRAPH, BlockKind.HEADING):
            return None
        text = before.text.strip()
        if len(text.split()) > 12 or text.endswith((".", ":", ";", ",")) or not text[:1].isupper():
            return None
        return before

    def _aims_list_starts(self, i: int) -> bool:
        """Does a list of aims start at passage i, right under the orientation in force ("PILIER 2 –
        CADRE DE VIE" above "– Achever la transformation urbaine …")? Every item must open on an
        infinitive and be short, and the heading must be the orientation's first: where a partner's
        or a commune's chapter names it again, the list under it is what that body will do."""
        if self.current is None or self.opened_at is None or len(self.current.provenance) > 1:
            return False
        if self.passages[i - 1].kind == BlockKind.LIST_ITEM:
            return False
        # Only short lead-ins ("En matière de santé :") and lists between the heading and here.
        between = self.passages[self.opened_at + 1:i]
        if any(q.kind == BlockKind.HEADING or (q.kind != BlockKind.LIST_ITEM and len(q.text.split()) > 12)
               for q in between):
            return False
        items = []
        for q in self.passages[i:]:
            if q.kind != BlockKind.LIST_ITEM:
                break
            items.append(q.text.strip())
        return all(_is_aim(item) for item in items)

    def _orientation_named_by(self, heading: Passage) -> _OrientationNode | None:
        """The unnumbered orientation whose chapter a heading opens: a table named it by its
        domains ("Développement économique, emploi, …") and the chapter's title carries the words
        of its first ("Stratégie de développement économique pour les quartiers")."""
        words = set(re.findall(r"[a-z]+", fold(heading.text)))
        for key, node in self.orientations.items():
            if not key.startswith("H:") or not node.labels:
                continue
            first = [w for w in re.findall(r"[a-z]+", fold(node.labels[0].split(",")[0])) if len(w) > 3]
            if len(first) >= 2 and set(first) <= words:
                node.provenance.append(_prov(heading))
                return node
        return None

    def _announced_transversal(self, p: Passage) -> bool:
        """Is heading p the announcement of the transversal axes, or the next of its sub-headings
        (then a transversal orientation)? Sub-headings are taken in sequence only: the chapter's
        own numbered lists ("1. Établir un diagnostic") are not axes."""
        text = p.text.strip()
        if m := _TRANSVERSAL_ANNOUNCEMENT.match(text):
            self.transversal = (m.group("code"), 1)
            self.current, self.strategic, self.list_mode = None, None, None
            return True
        if self.transversal is None:
            return False
        code, n = self.transversal
        m = re.match(rf"{code}\.(\d{{1,2}})\.?\s+(\S.*)$", text)
        if m is None or int(m.group(1)) != n or p.heading_level == 1:
            if m is not None or p.heading_level == 1:
                self.transversal = None
            return False
        self.transversal = (code, n + 1)
        label = clean_label(m.group(2))
        node = self.orientation(transversal_key(label))
        node.labels.append(label)
        node.provenance.append(_prov(p))
        self.current, self.strategic, self.list_mode = None, None, None
        return True

    def _numbered_tree_top(self, i: int, p: Passage) -> tuple[str, str] | None:
        """(number, label) of a heading numbered by a figure alone that heads a tree of coded
        objectives ("2. CADRE DE VIE" above "2.1 Lutter contre …") in a section that sets out the
        strategy: a numbered section elsewhere is a chapter, not an orientation."""
        m = _NUMBERED_HEADING.match(p.text.strip())
        if p.kind != BlockKind.HEADING or not m or m.group(1) in self.orientations:
            return None
        nxt = self.passages[i + 1].text.strip() if i + 1 < len(self.passages) else ""
        if not re.match(rf"{m.group(1)}\.1\b", nxt):
            return None
        before = self.passages[i - 1] if i else None
        context = [*p.section_path[-1:]]
        if before is not None and (before.kind == BlockKind.HEADING or before.text.rstrip().endswith(":")):
            context.append(before.text)
        if not any(_STRATEGY_WORDS.search(c) for c in context):
            return None
        return m.group(1), clean_label(m.group(2))

    def _orientation_from_row(self, row: RowOrientation, p: Passage) -> None:
        """A table's row: its orientation, numbered when it says its number ("Axe 2 : …", "A. …"),
        else named by its label; and the coded objective of its other cells, under it."""
        if row.label:
            self._row_orientation(row.label, row.number, p)
        if row.objective and self.current is not None:
            self.current.add_objective(_ObjectiveNode(clean_label(row.objective), row.objective_code, None, [_prov(p)]))

    def _row_orientation(self, cell: str, number: str | None, p: Passage) -> None:
        found = match_orientation(cell)
        if found and found[1] and not found[0].startswith(TRANSVERSAL):
            number, label = found
        else:
            label = clean_label(cell)
            number = _number(number) or "H:" + fold(label)
            if number not in self.orientations:
                unnumbered = sum(1 for k in self.orientations if k.startswith("H:"))
                self.orientations[number] = _OrientationNode(number, sort_rank=100 + unnumbered)
        node = self.orientation(number)
        node.labels.append(label)
        node.provenance.append(_prov(p))
        self.current, self.strategic, self.list_mode = node, None, None

    def _orientation_from_heading(self, heading: Passage) -> None:
        label = clean_label(heading.text)
        if label.isupper():
            label = label[0] + label[1:].lower()
        if not label or re.match(r"(partie|chapitre|titre|annexe)\b", fold(label)):
            return
        key = "H:" + fold(label)
        if key not in self.orientations:
            unnumbered = sum(1 for k in self.orientations if k.startswith("H:"))
            self.orientations[key] = _OrientationNode(key, sort_rank=100 + unnumbered)
        node = self.orientations[key]
        node.labels.append(label)
        node.provenance.append(_prov(heading))
        self.current, self.strategic = node, None

    def _label_after(self, i: int) -> str:
        """An orientation heading alone on its line: the label is the short paragraph after it."""
        for nxt in self.passages[i + 1:i + 3]:
            text = nxt.text.strip()
            if match_orientation(text) or _first_match("strategic_objective", text):
                return ""
            if nxt.kind in (BlockKind.PARAGRAPH, BlockKind.HEADING) and len(text.split()) <= 25 \
                    and not text.endswith(":") and not text.startswith("("):
                return clean_label(text)
            if text:
                return ""
        return ""

    def _add_coded(self, code: str | None, label: str, level: str | None, p: Passage) -> None:
        assert self.current is not None
        code = re.sub(r"\s", "", code or "") or None
        numbers = re.findall(r"\d+", code or "")
        if code and "." in code and numbers and not code.upper().startswith("O"):
            owner = self.orientations.get(numbers[0])
            if owner is None:
                return  # a numbered section of the document, not an objective of the strategy
            self.current = owner
        label = _cut_at_structure(label)
        hint = self.strategic if code is None or re.fullmatch(r"\d{1,2}[A-H]", code) is None else None
        node = self.current.add_objective(_ObjectiveNode(label, code, level, [_prov(p)], hint))
        if level == "strategic":
            self.strategic = node


def complete_label(passages: Sequence[Passage], i: int, label: str) -> str:
    """The label of passage i's coded heading, cut by the layout ("1.1.1 Diminuer les freins" +
    "liés à …"), completed by the next passage."""
    if i + 1 < len(passages) and not label.endswith((".", ";", "!", "?")):
        nxt = passages[i + 1].text.strip()
        if nxt[:1].islower():
            label = f"{label} {nxt}"
    # What follows the label's first sentence is the next table cell, not the label.
    return clean_label(_first_sentence(label, _rules()["max_label_words"]).rstrip("…"))


def _is_aim(item: str) -> bool:
    """Is a list item a short aim on an infinitive ("Soutenir la fonction parentale :")?"""
    words = re.findall(r"[a-z]+", fold(item))
    if not words or len(item.split()) > MAX_AIM_WORDS or re.search(r"[.!?]\s+[A-ZÀ-Ý]", item):
        return False
    first = words[0]
    return first.endswith(("er", "ir", "re")) and first not in _NOT_INFINITIVES


def transversal_key(label: str) -> str:
    """The key of an unnumbered transversal axis: its label's words without the article or the
    plural, so that "La jeunesse" and "Jeunesse", "L'égalité femmes/hommes" and "Égalité femme –
    homme" are one axis."""
    words = re.findall(r"[a-z0-9]+", _ARTICLE.sub("", fold(label)))
    return f"{TRANSVERSAL}:" + " ".join(w[:-1] if len(w) > 3 and w.endswith(("s", "x")) else w for w in words)[:30]


def _is_complement(label: str) -> bool:
    """Does the text after "Objectifs opérationnels" say whose they are ("du PTCS retenus …", "de
    l'axe 2") rather than what one is? Then the line names a column or a list, not an objective."""
    return re.match(r"(du|de|des|d')\b", fold(label)) is not None


def _cut_at_structure(label: str) -> str:
    """Drop what a table layout glued after a label: the next orientation's heading."""
    m = re.search(r"\s(?:orientation|pilier|axe)\s+\d", label, re.IGNORECASE)
    return label[: m.start()].strip() if m else label


def extract_orientations(document: Document, passages: Sequence[Passage]) -> list[Orientation]:
    """Every orientation of the contract with its objectives, in number order."""
    return _Walker(passages).run()


def objective_heading(heading: str) -> tuple[str | None, str | None]:
    """The code and the label of the objective a heading names ("1.1. Repérer les jeunes" ->
    ("1.1", "Repérer les jeunes")); (None, None) when it names none by code or level."""
    heading = heading.strip()
    m = _first_match("coded_objective", heading) or _first_match("strategic_objective", heading)
    if not m:
        return None, None
    code = re.sub(r"\s", "", m.group("code")) if m.groupdict().get("code") else None
    return code, clean_label(m.group("label") or "") or None
