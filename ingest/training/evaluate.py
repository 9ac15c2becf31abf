"""Precision and recall of extraction against the annotated gold set (tests/gold/extraction).

Gold files are written by reading the documents (schema in tests/gold/README.md). Records are
matched one-to-one, greedily by similarity: names with accent-folded fuzzy matching, texts by
word containment, commitments and indicators only inside the line ranges the annotator covered
exhaustively ("scope") and near the same line, so that a commitment repeated elsewhere does not
count twice.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz

from ingest.extract.from_json import orientation_from_json
from ingest.model import Objective, walk_strategy
from ingest.normalise import fold

# Types that name a single body in a territory: the type is enough to know the partner.
_SINGLETON_TYPES = {"caf", "cpam", "region", "department", "france_travail", "epci", "caisse_des_depots",
                    "bpifrance", "mission_locale"}


@dataclass(frozen=True)
class Score:
    matched: int
    predicted: int
    gold: int
    extra: dict[str, float] | None = None

    @property
    def precision(self) -> float:
        return self.matched / self.predicted if self.predicted else (1.0 if not self.gold else 0.0)

    @property
    def recall(self) -> float:
        return self.matched / self.gold if self.gold else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", fold(text or "")).strip()


def _words(text: str) -> set[str]:
    return {w for w in _key(text).split() if len(w) > 2}


def name_similarity(a: Sequence[str], b: Sequence[str]) -> float:
    return max((fuzz.token_set_ratio(_key(x), _key(y)) / 100 for x in a for y in b if x and y), default=0.0)


def text_similarity(a: str, b: str) -> float:
    return _word_similarity(_words(a), _words(b))


def match(predicted: Sequence[Any], gold: Sequence[Any], similarity: Callable[[Any, Any], float],
          threshold: float) -> list[tuple[Any, Any]]:
    """Greedy one-to-one matching, best pairs first."""
    pairs = [(similarity(p, g), i, j) for i, p in enumerate(predicted) for j, g in enumerate(gold)]
    return _greedy([(s, i, j) for s, i, j in pairs if s >= threshold], predicted, gold)


def _greedy(pairs: list[tuple[float, int, int]], predicted: Sequence[Any], gold: Sequence[Any]) -> list[tuple[Any, Any]]:
    """Best-scoring pairs first, each record used once."""
    used_p: set[int] = set()
    used_g: set[int] = set()
    out = []
    for _, i, j in sorted(pairs, reverse=True):
        if i not in used_p and j not in used_g:
            used_p.add(i)
            used_g.add(j)
            out.append((predicted[i], gold[j]))
    return out


def match_texts(predicted: Sequence[dict], gold: Sequence[dict], threshold: float = 0.6,
                window: int = 60) -> list[tuple[dict, dict]]:
    """`match` for texts with lines: only pairs within `window` lines are compared (a 300-page
    contract has thousands of units; comparing every pair would take minutes)."""
    import bisect

    pw = [_words(p["text"]) for p in predicted]
    gw = [_words(g["text"]) for g in gold]
    order = sorted(range(len(gold)), key=lambda j: gold[j].get("line") or 0)
    lines = [gold[j].get("line") or 0 for j in order]
    pairs = []
    for i, p in enumerate(predicted):
        line = p.get("line")
        if line is None:
            js = range(len(gold))
        else:
            lo, hi = bisect.bisect_left(lines, line - window), bisect.bisect_right(lines, line + window)
            js = [order[k] for k in range(lo, hi)] + [j for j in range(len(gold)) if gold[j].get("line") is None]
        for j in js:
            s = _word_similarity(pw[i], gw[j])
            if s >= threshold:
                pairs.append((s, i, j))
    return _greedy(pairs, predicted, gold)


def _word_similarity(wa: set[str], wb: set[str]) -> float:
    if not wa or not wb:
        return 0.0
    containment = len(wa & wb) / min(len(wa), len(wb))
    balance = min(len(wa), len(wb)) / max(len(wa), len(wb))
    return containment * (0.5 + 0.5 * min(1.0, balance * 2))


def _in_scope(line: int | None, scope: Any) -> bool:
    if scope in (None, "all"):
        return True
    if line is None:
        return False
    return any(a <= line <= b for a, b in scope)


def _objectives(orientations: list[dict]) -> list[Objective]:
    """Every objective of the tree, in the order of the one walk of it (`walk_strategy`)."""
    return [step.objective for step in walk_strategy(orientation_from_json(o) for o in orientations)]


def evaluate(predicted: dict, gold: dict) -> dict[str, Score]:
    """Scores per record type for one document (predicted = `contrats extract --json` output).

    A record type the gold file does not list is not annotated there (the excerpts of contract
    bodies in tests/gold/bodies have no signatories, no QPV list): it is not scored, never
    counted as "nothing to find"."""
    scope = gold.get("scope", {})
    gold = {"neighbourhoods": None, "signatories": None, "orientations": None, **gold}
    scores: dict[str, Score] = {}

    def names(d: dict) -> list[str]:
        return [d.get("name") or "", *(d.get("aliases") or [])]

    pn, gn = predicted["neighbourhoods"], gold["neighbourhoods"]
    if gn is not None:
        scores["neighbourhoods"] = Score(len(match(pn, gn, lambda p, g: name_similarity(names(p), names(g)), 0.85)),
                                         len(pn), len(gn))

    def sig_sim(p: dict, g: dict) -> float:
        if p.get("type") != g.get("type"):
            return 0.0
        if p.get("type") in _SINGLETON_TYPES | {"state"}:
            return max(0.9, name_similarity([p["name"]], [g["name"]]))
        return name_similarity([p["name"]], [g["name"]])

    ps, gs = predicted["signatories"], gold["signatories"]
    if gs is not None:
        scores["signatories"] = Score(len(match(ps, gs, sig_sim, 0.8)), len(ps), len(gs))

    po, go = predicted["orientations"], gold["orientations"]
    if go is None:
        return _commitments_and_indicators(predicted, gold, scope, scores)
    scores["orientations"] = Score(
        len(match(po, go, lambda p, g: name_similarity([p["label"], *p.get("aliases", [])],
                                                       [g["label"], *g.get("aliases", [])]), 0.8)),
        len(po), len(go))

    def obj_sim(p: Objective, g: Objective) -> float:
        s = name_similarity([p.label], [g.label])
        if p.code and g.code and _key(p.code) == _key(g.code):
            s = max(s, 0.5 + s / 2)
        return s

    pob, gob = _objectives(po), _objectives(go)
    scores["objectives"] = Score(len(match(pob, gob, obj_sim, 0.85)), len(pob), len(gob))
    return _commitments_and_indicators(predicted, gold, scope, scores)


def _commitments_and_indicators(predicted: dict, gold: dict, scope: dict, scores: dict[str, Score]) \
        -> dict[str, Score]:
    pc = [c for c in predicted["commitments"]
          if c.get("kind", "commitment") == "commitment" and _in_scope(c.get("line"), scope.get("commitments"))]
    gc = [c for c in gold["commitments"] if c.get("kind", "commitment") == "commitment"]
    pairs = match_texts(pc, gc)
    right = sum(1 for p, g in pairs if _same_partner(p, g))
    scores["commitments"] = Score(len(pairs), len(pc), len(gc),
                                  {"right_partner": right / len(pairs) if pairs else 0.0})

    pi = [i for i in predicted["indicators"] if _in_scope(i.get("line"), scope.get("indicators"))]
    gi = gold["indicators"]
    scores["indicators"] = Score(len(match_texts(pi, gi)), len(pi), len(gi))
    return scores


def _same_partner(p: dict, g: dict) -> bool:
    return same_partner(p.get("partner") or "", p.get("partner_type"), g.get("partner") or "", g.get("partner_type"))


def same_partner(name: str, type_: str | None, gold_name: str, gold_type: str | None) -> bool:
    """Is an extracted partner the annotated one? The same type; for a type with one body per
    contract (the CAF, the Région, the State…) that is enough, else the names must match."""
    if type_ != gold_type:
        return False
    if type_ in _SINGLETON_TYPES or type_ == "state":
        return True
    return name_similarity([name], [gold_name]) >= 0.7


def load_gold(folder: Path) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))}


def format_report(results: dict[str, dict[str, Score]]) -> str:
    lines = [f"{'document':28} {'record type':15} {'P':>6} {'R':>6} {'F1':>6} {'pred':>5} {'gold':>5}  notes"]
    for doc, scores in results.items():
        for kind, s in scores.items():
            note = ", ".join(f"{k}={v:.2f}" for k, v in (s.extra or {}).items())
            lines.append(f"{doc:28} {kind:15} {s.precision:6.2f} {s.recall:6.2f} {s.f1:6.2f} "
                         f"{s.predicted:5} {s.gold:5}  {note}")
    return "\n".join(lines)


def extract_for_gold(gold: dict, root: Path, reference_csv: Path | None = None) -> dict:
    """Run the extractor on the document a gold file annotates (its `source`, relative to `root`)."""
    from ingest.corpus import ingest_file
    from ingest.extract.pipeline import extract
    from ingest.extract.to_json import extraction_to_json

    ingested = ingest_file(root / gold["source"])
    return extraction_to_json(extract(ingested.document, ingested.passages, reference_csv=reference_csv))


def scores_to_json(results: dict[str, dict[str, Score]]) -> dict:
    return {d: {k: {"precision": s.precision, "recall": s.recall, "f1": s.f1,
                    "predicted": s.predicted, "gold": s.gold, **(s.extra or {})}
                for k, s in r.items()} for d, r in results.items()}


@dataclass(frozen=True)
class MeanScore(Score):
    """A macro average: the mean of each document's precision, recall and F1 (counts summed)."""

    p: float = 0.0
    r: float = 0.0
    f: float = 0.0

    @property
    def precision(self) -> float:
        return self.p

    @property
    def recall(self) -> float:
        return self.r

    @property
    def f1(self) -> float:
        return self.f


def overall(results: dict[str, dict[str, Score]], macro: bool = False) -> dict[str, Score]:
    """Scores per record type over every document: micro (counts summed) or macro (mean per document).

    Micro: the right-partner share is re-weighted by each document's matches.
    """
    if macro:
        kinds = dict.fromkeys(k for r in results.values() for k in r)
        out: dict[str, Score] = {}
        for kind in kinds:
            ss = [r[kind] for r in results.values() if kind in r]
            extra = None
            if any(s.extra and "right_partner" in s.extra for s in ss):
                extra = {"right_partner": sum((s.extra or {}).get("right_partner", 0.0) for s in ss) / len(ss)}
            out[kind] = MeanScore(sum(s.matched for s in ss), sum(s.predicted for s in ss), sum(s.gold for s in ss),
                                  extra, sum(s.precision for s in ss) / len(ss), sum(s.recall for s in ss) / len(ss),
                                  sum(s.f1 for s in ss) / len(ss))
        return out
    counts: dict[str, list[float]] = {}  # kind -> [matched, predicted, gold, right partners]
    for scores in results.values():
        for kind, s in scores.items():
            c = counts.setdefault(kind, [0, 0, 0, 0.0])
            c[0] += s.matched
            c[1] += s.predicted
            c[2] += s.gold
            c[3] += (s.extra or {}).get("right_partner", 0.0) * s.matched
    with_partner = {kind for scores in results.values() for kind, s in scores.items()
                    if s.extra and "right_partner" in s.extra}
    return {kind: Score(int(m), int(p), int(g),
                        {"right_partner": r / m if m else 0.0} if kind in with_partner else None)
            for kind, (m, p, g, r) in counts.items()}
