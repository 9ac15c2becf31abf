"""The strategy of a contract: orientations (piliers, axes…) and their objectives, as a hierarchy,
read by walking the passages in order.

Contracts repeat their orientations many times (in the summary, in each partner's chapter, in
each commune's chapter), sometimes with a shortened or reworded label: the walker keeps track of
the orientation and objective in force and hands every mention to the tree
(ingest.extract.strategy_tree), which merges them. What a line is comes from
ingest.extract.strategy_headings; orientations laid out as a table's rows, from
ingest.extract.strategy_tables.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ingest.extract.strategy_headings import (
    MAX_STRUCTURAL_WORDS,
    TRANSVERSAL,
    clean_label,
    complete_label,
    first_match,
    first_sentence,
    is_complement,
    match_orientation,
    max_label_words,
    orientation_number,
    transversal_key,
)
from ingest.extract.strategy_tables import RowOrientation, table_row_orientations
from ingest.extract.strategy_tree import ObjectiveNode, OrientationNode
from ingest.model import BlockKind, Document, Orientation, Passage, Provenance
from ingest.normalise import fold

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


def _prov(p: Passage) -> Provenance:
    return Provenance(p.id, p.page, p.line_start)


class _Walker:
    """Reads the passages in order, keeping track of the current orientation and objective."""

    def __init__(self, passages: Sequence[Passage]) -> None:
        self.passages = passages
        self.orientations: dict[str, OrientationNode] = {}
        self.current: OrientationNode | None = None
        self.strategic: ObjectiveNode | None = None
        self.list_mode: str | None = None  # "strategic" | "operational" after a lead-in
        # The last chapter heading that is not itself an orientation: when objectives follow it,
        # it is an unnumbered orientation ("QUARTIER APAISÉ" above "Objectif stratégique 1").
        self.last_heading: Passage | None = None
        self.row_labels = table_row_orientations(passages)
        # The passage of the orientation heading in force: a list of aims must follow it closely.
        self.opened_at: int | None = None
        # The code of the heading that announced the transversal axes, and the next one's number.
        self.transversal: tuple[str, int] | None = None

    def orientation(self, number: str) -> OrientationNode:
        if number not in self.orientations:
            self.orientations[number] = OrientationNode(number)
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
            self.strategic = self.current.add_objective(ObjectiveNode(label, m.group(1), "strategic", [_prov(p)]))
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
        if self.current is None and first_match("strategic_objective", text):
            if self.last_heading is not None and i - self.last_heading.index <= 6:
                self._orientation_from_heading(self.last_heading)
            elif (title := self._title_before(i)) is not None:
                self._orientation_from_heading(title)
        if self.current is None:
            # A deep code ("5.1.1"), or a code the word "Objectif" announces ("Objectif 1.1 :"),
            # names its orientation itself, even after a layout break (a table's column header
            # read as a heading). Missed there, the objective would take its label from a later
            # heading of that code, which another orientation's table may give to another goal.
            m = first_match("coded_objective", text)
            if m and (m.group("code").count(".") >= 2 or fold(text).startswith("objectif")) \
                    and self.orientations.get(m.group("code").split(".")[0]):
                self.current = self.orientations[m.group("code").split(".")[0]]
            else:
                return
        if m := first_match("strategic_objective", text):
            label = clean_label(m.group("label") or "") or self._label_after(i)
            if label:
                code = m.group("code")
                node = ObjectiveNode(label, code, "strategic", [_prov(p)])
                self.strategic = self.current.add_objective(node)
                self.list_mode = None
            return
        if m := first_match("operational_objective", text):
            label = clean_label(m.group("label") or "")
            if label and len(label.split()) > 2 and not is_complement(label):
                self._add_coded(m.group("code"), label, "operational", p)
            else:
                self.list_mode = "operational"
            return
        if m := first_match("coded_objective", text):
            label = clean_label(m.group("label"))
            self._add_coded(m.group("code"), complete_label(self.passages, i, label) if label else self._label_after(i),
                            None, p)
            return
        if _COUNTED_LEAD_IN.search(text) and p.kind != BlockKind.LIST_ITEM:
            self.list_mode = "numbered"
            return
        if first_match("objective_lead_in", text) and p.kind != BlockKind.LIST_ITEM and words <= 12:
            self.list_mode = "strategic" if self.strategic is None else "operational"
            return
        if p.kind == BlockKind.HEADING and (p.heading_level or 9) <= 2:
            # A new part of the document, unless it is the chapter of an orientation named elsewhere.
            self.current, self.strategic = self._orientation_named_by(p), None

    def _add_listed(self, text: str, p: Passage) -> None:
        assert self.current is not None
        if m := first_match("coded_objective", text):
            self._add_coded(m.group("code"), clean_label(m.group("label")), None, p)
            return
        label = first_sentence(clean_label(text), max_label_words())
        if self.list_mode == "strategic":
            self.current.add_objective(ObjectiveNode(label, None, "strategic", [_prov(p)]))
        else:
            self.current.add_objective(ObjectiveNode(label, None, "operational", [_prov(p)], self.strategic))

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

    def _orientation_named_by(self, heading: Passage) -> OrientationNode | None:
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
            self.current.add_objective(ObjectiveNode(clean_label(row.objective), row.objective_code, None, [_prov(p)]))

    def _row_orientation(self, cell: str, number: str | None, p: Passage) -> None:
        found = match_orientation(cell)
        if found and found[1] and not found[0].startswith(TRANSVERSAL):
            number, label = found
        else:
            label = clean_label(cell)
            number = orientation_number(number) or "H:" + fold(label)
            if number not in self.orientations:
                unnumbered = sum(1 for k in self.orientations if k.startswith("H:"))
                self.orientations[number] = OrientationNode(number, sort_rank=100 + unnumbered)
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
            self.orientations[key] = OrientationNode(key, sort_rank=100 + unnumbered)
        node = self.orientations[key]
        node.labels.append(label)
        node.provenance.append(_prov(heading))
        self.current, self.strategic = node, None

    def _label_after(self, i: int) -> str:
        """An orientation heading alone on its line: the label is the short paragraph after it."""
        for nxt in self.passages[i + 1:i + 3]:
            text = nxt.text.strip()
            if match_orientation(text) or first_match("strategic_objective", text):
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
        node = self.current.add_objective(ObjectiveNode(label, code, level, [_prov(p)], hint))
        if level == "strategic":
            self.strategic = node


def _is_aim(item: str) -> bool:
    """Is a list item a short aim on an infinitive ("Soutenir la fonction parentale :")?"""
    words = re.findall(r"[a-z]+", fold(item))
    if not words or len(item.split()) > MAX_AIM_WORDS or re.search(r"[.!?]\s+[A-ZÀ-Ý]", item):
        return False
    first = words[0]
    return first.endswith(("er", "ir", "re")) and first not in _NOT_INFINITIVES


def _cut_at_structure(label: str) -> str:
    """Drop what a table layout glued after a label: the next orientation's heading."""
    m = re.search(r"\s(?:orientation|pilier|axe)\s+\d", label, re.IGNORECASE)
    return label[: m.start()].strip() if m else label


def extract_orientations(document: Document, passages: Sequence[Passage]) -> list[Orientation]:
    """Every orientation of the contract with its objectives, in number order."""
    return _Walker(passages).run()

