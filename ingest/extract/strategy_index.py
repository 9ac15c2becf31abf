"""Where a passage sits in the strategy that ingest.extract.structure read: the orientation and
objective in force there, by label and by id, and the records given those ids.

A passage's orientation is the orientation heading above it (else the one in force in reading
order); its objective, the nearest heading that names one by label or code. Codes and labels
repeat across orientations (each numbers its objectives from 1; a 2015 contract's communes'
tables list the same objectives): of the objectives a heading names, the one its code and its
words both name is taken, else its code's, the one under the passage's own orientation first
(`_choose`), else the first in the tree.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

from ingest.extract.strategy_headings import (
    MAX_STRUCTURAL_WORDS,
    TRANSVERSAL,
    clean_label,
    complete_label,
    match_orientation,
    objective_heading,
)
from ingest.model import BlockKind, Commitment, Indicator, Orientation, Passage, StrategyStep, walk_strategy
from ingest.normalise import fold

R = TypeVar("R", Commitment, Indicator)


@dataclass(frozen=True)
class Place:
    """Where a passage sits in the strategy: the orientation and objective in force there, by
    label (as records have always said it) and by id (Orientation.id, Objective.id)."""

    orientation: str | None = None
    objective: str | None = None
    orientation_id: str | None = None
    objective_id: str | None = None


def _orientation_key(o: Orientation) -> str:
    return o.number or f"{TRANSVERSAL}:{fold(o.label)[:30]}"


class StructureIndex:
    """Where a passage sits in the strategy (`place`, `locate`), and records given the ids of
    the orientation and objective they name (`with_ids`)."""

    def __init__(self, orientations: Sequence[Orientation], passages: Sequence[Passage]) -> None:
        self._by_number = {_orientation_key(o): o for o in orientations}
        self._passages = {p.id: p for p in passages}
        # Several objectives per label or code: a contract repeats them under several orientations.
        self._by_label: dict[str, list[StrategyStep]] = {}
        self._by_code: dict[str, list[StrategyStep]] = {}
        for step in walk_strategy(orientations):
            self._by_label.setdefault(fold(step.objective.label), []).append(step)
            if step.objective.code:
                self._by_code.setdefault(step.objective.code, []).append(step)
        # A coded heading the layout cut ("1.1. Améliorer les" + "capacités de repérage …") names
        # its objective by its whole label, as the tree read it.
        self._whole_label: dict[str, str] = {}
        for i, p in enumerate(passages):
            code, label = objective_heading(p.text) if p.kind == BlockKind.HEADING else (None, None)
            if code and label and (whole := complete_label(passages, i, label)) != label:
                self._whole_label.setdefault(p.text, whole)
        # Reading-order fallback: the orientation in force at each passage.
        self._running: dict[str, Orientation | None] = {}
        current: Orientation | None = None
        for p in passages:
            if len(p.text.split()) <= MAX_STRUCTURAL_WORDS and (found := match_orientation(p.text)):
                current = self._by_number.get(found[0])
            self._running[p.id] = current

    def place(self, passage: Passage) -> Place:
        orientation: Orientation | None = None
        named: tuple[list[StrategyStep], list[StrategyStep]] | None = None
        for heading in reversed(passage.section_path):
            if named is None:
                named = self._objectives_named(heading)
            if orientation is None and (found := match_orientation(heading)):
                orientation = self._by_number.get(found[0])
            if orientation:
                break
        if orientation is None:
            orientation = self._running.get(passage.id)
        step = _choose(named, orientation) if named else None
        objective = step.objective if step else None
        return Place(orientation.label if orientation else None, objective.label if objective else None,
                     orientation.id if orientation else None, objective.id if objective else None)

    def locate(self, passage: Passage) -> tuple[str | None, str | None]:
        """(orientation label, objective label) of `passage`."""
        place = self.place(passage)
        return place.orientation, place.objective

    def with_ids(self, records: Iterable[R]) -> list[R]:
        """Commitments or indicators given the ids of the orientation and objective of their
        passage; a label that is not its passage's keeps no id (the graph joins it by label)."""
        out = []
        for r in records:
            passage = self._passages.get(r.provenance.passage_id)
            if passage is None:
                out.append(r)
                continue
            place = self.place(passage)
            orientation_id = place.orientation_id if r.orientation == place.orientation else None
            if isinstance(r, Commitment):
                objective_id = place.objective_id if r.objective == place.objective else None
            else:  # an indicator names no objective: the one it sits under
                objective_id = place.objective_id
            out.append(replace(r, orientation_id=orientation_id, objective_id=objective_id))
        return out

    def _objectives_named(self, heading: str) -> tuple[list[StrategyStep], list[StrategyStep]] | None:
        """(the objectives a heading names by its code, those it names by its words); None when
        it names none."""
        if steps := self._by_label.get(fold(clean_label(heading))):
            return [], steps
        code, label = objective_heading(heading)
        if not code:
            return None
        label = self._whole_label.get(heading, label)
        by_code, by_words = self._by_code.get(code, []), self._by_label.get(fold(label or ""), [])
        return (by_code, by_words) if by_code or by_words else None


def _choose(named: tuple[list[StrategyStep], list[StrategyStep]], orientation: Orientation | None) -> StrategyStep:
    """Of the objectives a heading names, the one its code and its words both name, else its
    code's, under the passage's own orientation first. A code alone may be the wrong one: a table
    under orientation 6 numbered its row "1.1." for the words of objective 6.7.1.1; code and words
    together name an objective of another orientation rightly ("1.1.1 Diminuer les freins…" in a
    commune's table, below a heading the reader did not take for orientation 1)."""
    by_code, by_words = named
    worded = {id(s) for s in by_words}
    both = [s for s in by_code if id(s) in worded]

    def mine(steps: list[StrategyStep]) -> list[StrategyStep]:
        return [s for s in steps if s.orientation is orientation]

    return next(steps[0] for steps in (mine(both), mine(by_code), both, mine(by_words), by_code, by_words) if steps)


def strategy_labels(orientations: Sequence[Orientation]) -> list[str]:
    """Every orientation and objective label, aliases included."""
    return [*(lab for o in orientations for lab in (o.label, *o.aliases)),
            *(step.objective.label for step in walk_strategy(orientations))]
