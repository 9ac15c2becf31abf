"""How much of what the graph says of a neighbourhood a researcher has checked (the map's review
colouring, app_pages/map_view.py).

A neighbourhood's facts are its listing in each contract (the neighbourhood record) and the
commitments that name it; commitments for the whole contract are not counted (they are every
neighbourhood's, so they would colour every shape alike). Facts are matched to a neighbourhood
by QPV code: a commitment names neighbourhoods by name, resolved through its own document's
neighbourhoods (their names and aliases).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from ingest.normalise import fold
from kg.review.reviewing import Fact

REVIEWED = ("confirmed", "corrected", "added", "rejected")


@dataclass(frozen=True)
class ReviewShare:
    statuses: Counter = field(default_factory=Counter)  # unreviewed | confirmed | corrected | added | rejected

    @property
    def facts(self) -> int:
        return sum(self.statuses.values())

    @property
    def reviewed(self) -> int:
        return sum(self.statuses[s] for s in REVIEWED)

    @property
    def share(self) -> float | None:
        return self.reviewed / self.facts if self.facts else None


def _names(data: Mapping) -> set[str]:
    names = (data.get("name"), data.get("official_name"), *(data.get("aliases") or ()))
    return {fold(n) for n in names if n}


def neighbourhood_review_shares(facts: Iterable[Fact], status: Callable[[str], str]) -> dict[str, ReviewShare]:
    """QPV code -> the review statuses of the neighbourhood's facts; `status(fact_id)` gives a
    fact's status (kg.review.reviewing.status: the reviews since the build included)."""
    facts = list(facts)
    code_of: dict[tuple[str, str], str] = {}  # (document, folded name) -> code
    out: dict[str, ReviewShare] = {}
    for f in facts:
        if f.record == "neighbourhood" and f.data.get("code"):
            code = f.data["code"]
            for name in _names(f.data):
                code_of[f.document, name] = code
            out.setdefault(code, ReviewShare()).statuses[status(f.id)] += 1
    for f in facts:
        if f.record != "commitment":
            continue
        codes = {code_of.get((f.document, fold(n))) for n in f.data.get("neighbourhoods") or ()} - {None}
        for code in codes:
            out.setdefault(code, ReviewShare()).statuses[status(f.id)] += 1
    return out
