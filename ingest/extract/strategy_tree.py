"""The strategy as the walker builds it: orientation and objective nodes that gather every
mention of one orientation or objective, then freeze into the records of ingest.model.

All mentions that carry the same number are one orientation; one label is kept (the longest of
those written at least twice, else the longest) and the others become aliases. Objectives hang under an orientation by
position in the text and, when coded ("1.1.2", "1A", "O.G.1.1"), by their code: a code's parent is
the objective whose code is its prefix. Each gets an id by its place in the finished tree ("o2",
"o2.1.3"), which records use to name it (ingest.extract.strategy_index), since labels and codes
repeat across orientations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.extract.strategy_headings import TRANSVERSAL
from ingest.extract.themes import themes_of
from ingest.model import Objective, Orientation, Provenance
from ingest.normalise import fold


@dataclass
class ObjectiveNode:
    label: str
    code: str | None
    level: str | None  # None: decided by depth once the tree is built
    provenance: list[Provenance]
    parent_hint: ObjectiveNode | None = None  # the strategic objective above an uncoded item
    children: list[ObjectiveNode] = field(default_factory=list)

    def freeze(self, depth: int, id_: str) -> Objective:
        level = self.level or ("strategic", "operational", "other")[min(depth, 2)]
        return Objective(label=self.label, code=self.code, level=level,
                         children=tuple(c.freeze(depth + 1, f"{id_}.{n}") for n, c in enumerate(self.children, 1)),
                         themes=themes_of(self.label), provenance=tuple(self.provenance[:5]), id=id_)


def _code_parent(code: str, by_code: dict[str, ObjectiveNode]) -> ObjectiveNode | None:
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
class OrientationNode:
    number: str | None
    sort_rank: int = 0
    labels: list[str] = field(default_factory=list)
    provenance: list[Provenance] = field(default_factory=list)
    nodes: list[ObjectiveNode] = field(default_factory=list)
    by_code: dict[str, ObjectiveNode] = field(default_factory=dict)
    by_label: dict[str, ObjectiveNode] = field(default_factory=dict)

    @property
    def label(self) -> str:
        # The most frequent full label, ties to the longest: summaries abbreviate, chapters don't.
        candidates = [lab for lab in self.labels if lab] or [f"Orientation {self.number}"]
        keyed = {fold(lab): lab for lab in sorted(candidates, key=len)}
        counts = {k: sum(1 for lab in candidates if fold(lab) == k) for k in keyed}
        best = max(keyed, key=lambda k: (counts[k] >= 2, len(k)))
        return keyed[best]

    def add_objective(self, node: ObjectiveNode) -> ObjectiveNode:
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

    def tree(self) -> list[ObjectiveNode]:
        """Hang every objective under its parent: by code first, else under the objective above it."""
        roots: list[ObjectiveNode] = []
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

