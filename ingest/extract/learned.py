"""Commitments and indicators decided by the learned model, unit by unit.

Every unit (ingest/units.py) is classified commitment / proposal / objective / indicator / none
with a probability; a commitment's actor is the best-ranked of its candidates (subject, lead-in,
partner line, chapter, table operator, contract holder). Each record keeps its probability as
`confidence`, so a researcher can sort or filter on it and see what the model was unsure of.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence

from ingest.extract.commitment_language import is_possibility
from ingest.extract.indicators import inline_measures, split_measures
from ingest.extract.linear_model import ExtractionModel
from ingest.extract.themes import themes_of
from ingest.extract.unit_features import ActorContext, UnitView
from ingest.model import Commitment, CommitmentKind, Document, Indicator, Passage, Provenance
from ingest.normalise import fold
from ingest.units import Unit

Locate = Callable[[Passage], tuple[str | None, str | None]]
COMMITMENT_LABELS = ("commitment", "proposal")
PROPOSAL_FRAME = ("h0_cue=proposal", "hx_cue=proposal", "lead_cue=proposal")  # unit_features' context cues
DEFAULT_THRESHOLDS = {"commitment": 0.5, "indicator": 0.5}
# Within this margin below the decision threshold, a unit is reported as uncertain (not dropped).
UNCERTAIN_MARGIN = 0.1
# The confidence of an indicator read from a clause that names itself one ("Indicateurs : a ; b"),
# whatever the model thought of the unit around it (a commitment, most often).
INLINE_INDICATOR_CONFIDENCE = 0.7
# "Les indicateurs suivis seront : a ; b ; c", "Les parties suivent : a, b et c": a lead-in, then
# the measures.
_LEAD_THEN_ITEMS = re.compile(r"^(?P<lead>[^:]{3,160}):\s*(?P<rest>.+)$", re.DOTALL)


def unit_probabilities(model: ExtractionModel, views: Sequence[UnitView]) -> list[dict[str, float]]:
    return model.unit_probabilities(views)


def rank_actors(model: ExtractionModel, view: UnitView) -> list[tuple[float, object]]:
    """Candidates with a probability each (softmax of the ranker's scores), best first."""
    context = ActorContext.of(view.unit)
    scored = [(model.actors.scores(c.features(context))[0], c.organisation) for c in view.candidates]
    if not scored:
        return []
    top = max(s for s, _ in scored)
    exp = [(math.exp(s - top), o) for s, o in scored]
    total = sum(e for e, _ in exp)
    return sorted(((e / total, o) for e, o in exp), key=lambda t: -t[0])


def _text_key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", fold(text)).strip()[:240]


class LearnedExtractor:
    """Reads the unit views of one document (ingest/extract/pipeline.py's `unit_views`, which
    training featurises with too) with the model."""

    def __init__(self, model: ExtractionModel, document: Document, views: Sequence[UnitView],
                 locate: Locate, neighbourhood_names: Sequence[str] = ()) -> None:
        self.model = model
        self.document = document
        self.views = views
        self.locate = locate
        self.names = {fold(n): n for n in neighbourhood_names if n and len(n) >= 4}
        self.thresholds = {**DEFAULT_THRESHOLDS, **model.thresholds}

    def run(self) -> tuple[list[Commitment], list[Indicator], list[Commitment]]:
        """(commitments, indicators, uncertain commitments) in reading order."""
        views = self.views
        probs = unit_probabilities(self.model, views)
        commitments: list[Commitment] = []
        uncertain: list[Commitment] = []
        indicators: list[Indicator] = []
        seen: set[str] = set()
        last_commitment: Commitment | None = None
        for view, p in zip(views, probs, strict=True):
            u = view.unit
            p_commit = sum(p.get(k, 0.0) for k in COMMITMENT_LABELS)
            p_indicator = p.get("indicator", 0.0)
            inline = inline_measures(u.text)
            if p_indicator >= self.thresholds["indicator"] and p_indicator > p_commit:
                items = inline or _listed_measures(u.text)
                for item in items or [u.text]:
                    indicators.append(self._indicator(u, p_indicator, len(indicators) + 1, last_commitment, item))
                continue
            # A commitment (or any unit) that ends with its own indicators: "…; Indicateur : nombre de …".
            pending = inline
            if p_commit >= max(0.05, self.thresholds["commitment"] - UNCERTAIN_MARGIN) and len(u.text.split()) >= 2:
                key = _text_key(u.text)
                if key in seen:
                    continue
                record = self._commitment(view, p, p_commit, len(commitments) + len(uncertain) + 1)
                if record is None:
                    continue
                # What a body merely could do is never a commitment (tests/gold/GUIDE.md): the model
                # leans on the words around it, so the guide's rule has the last word; the unit is
                # kept for review among the uncertain ones.
                if p_commit >= self.thresholds["commitment"] and not is_possibility(u.text):
                    seen.add(key)
                    commitments.append(record)
                    last_commitment = record
                else:
                    uncertain.append(record)
                self._inline(u, pending, p_indicator, indicators, last_commitment)
                continue
            if p_indicator >= self.thresholds["indicator"] and not pending:
                indicators.append(self._indicator(u, p_indicator, len(indicators) + 1, last_commitment))
            self._inline(u, pending, p_indicator, indicators, last_commitment)
        return commitments, indicators, uncertain

    def _inline(self, u: Unit, items: Sequence[str], p: float, out: list[Indicator], last: Commitment | None) -> None:
        confidence = max(p, INLINE_INDICATOR_CONFIDENCE)
        for item in items:
            out.append(self._indicator(u, confidence, len(out) + 1, last, item))

    def _commitment(self, view: UnitView, p: dict[str, float], p_commit: float, n: int) -> Commitment | None:
        ranked = rank_actors(self.model, view)
        if not ranked:
            return None
        actor_p, actor = ranked[0]
        u = view.unit
        orientation, objective = self.locate(u.passage)
        themes = themes_of(u.text) or themes_of(objective or "") or themes_of(orientation or "")
        # Proposals are rare in any one contract, so the model seldom learns them; but the guide's
        # definition is the frame ("pistes d'action", "propositions des habitants" above the unit),
        # which the proposal cues of ingest/data/commitment_cues.yaml name.
        framed = any(k in view.features for k in PROPOSAL_FRAME)
        kind = CommitmentKind.PROPOSAL if framed or p.get("proposal", 0) > p.get("commitment", 0) \
            else CommitmentKind.COMMITMENT
        return Commitment(
            id=f"{self.document.id}/c{n}", partner=actor, text=u.text, kind=kind,
            orientation=orientation, objective=objective, neighbourhoods=self._scope(u), themes=themes,
            provenance=Provenance(u.passage.id, u.passage.page, u.passage.line_start),
            confidence=round(p_commit, 3), partner_confidence=round(actor_p, 3),
        )

    def _indicator(self, u: Unit, p: float, n: int, last: Commitment | None, text: str | None = None) -> Indicator:
        orientation, _ = self.locate(u.passage)
        near = last is not None and last.provenance.line is not None and \
            0 <= u.passage.line_start - last.provenance.line <= 60
        return Indicator(text=text or u.text, orientation=orientation, commitment=last.id if near and last else None,
                         provenance=Provenance(u.passage.id, u.passage.page, u.passage.line_start),
                         confidence=round(p, 3))

    def _scope(self, u: Unit) -> tuple[str, ...]:
        # A neighbourhood named in the unit, or in the sub-section heading it sits under
        # ("Engagement spécifique pour le quartier X"), restricts the commitment to it.
        places = [u.text, *(u.passage.section_path[-1:])]
        out = []
        for text in places:
            folded = fold(text)
            out.extend(name for key, name in self.names.items()
                       if (len(key) >= 8 or len(key.split()) >= 2)
                       and re.search(rf"(?<![a-z]){re.escape(key)}(?![a-z])", folded))
        return tuple(dict.fromkeys(out))


def _listed_measures(text: str) -> list[str]:
    """An indicator unit that lists several measures after a lead-in ("Les parties suivent : a ; b ;
    c"): the measures, when there are two or more; else nothing (the unit is one indicator)."""
    m = _LEAD_THEN_ITEMS.match(text.strip())
    if not m:
        return []
    items = split_measures(m.group("rest"))
    return items if len(items) >= 2 else []
