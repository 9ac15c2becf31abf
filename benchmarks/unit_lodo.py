"""Unit-level leave-one-document-out: a quick screen for a change of the unit classifier.

`contrats eval --cross-document` extracts each held-out contract whole (minutes per contract);
this script scores the two passes of the unit classifier on the annotated units directly, with
the featurised documents cached, so that a variant of the training (C, the second pass's inputs)
costs minutes. Each contract is scored by a model trained on the three others and the dev
synthetic documents, at the threshold that training chose out of fold (never read on the held-out
contract) and, for reading only, at a grid of thresholds.

A screen, not the figure reported: units of kind commitment and proposal count together, and the
extractor's own filters (possibilities, duplicates) are not applied. Confirm a kept change with
`contrats eval --cross-document`.

    .venv/bin/python benchmarks/unit_lodo.py [--c 0.5] [--sentence-weight 3] [--class-weight balanced]
        [--cache FILE] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

COMMIT = ("commitment", "proposal")


def _load(cache: Path):
    from ingest.training.extraction import SYNTHETIC_SETS, annotated_documents, prepare, synthetic_documents

    if cache.exists():
        return pickle.loads(cache.read_bytes())
    gold = ROOT / "tests" / "gold"
    contracts = [prepare(d) for d in annotated_documents(gold, ROOT)]
    extra = [prepare(d) for name in SYNTHETIC_SETS if (gold / name / "README.md").exists()
             for d in synthetic_documents(gold / name)]
    cache.write_bytes(pickle.dumps((contracts, extra)))
    return contracts, extra


def _key() -> str:
    """The build's own pipeline version (the code of ingest/, its data files) and the gold files:
    a cache made by other code or other annotations is never read."""
    import hashlib

    from kg.build.pipeline import pipeline_version

    h = hashlib.sha256(pipeline_version().encode())
    for path in sorted((ROOT / "tests" / "gold").rglob("*")):
        if path.is_file() and path.parent.name in ("units", "openings", "bodies", "extraction"):
            h.update(path.name.encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:12]


def _scores(probs, labels, th: float) -> tuple[float, float, float]:
    tp = fp = fn = 0
    for p, lab in zip(probs, labels, strict=True):
        pred, gold = sum(p.get(k, 0.0) for k in COMMIT) >= th, lab in COMMIT
        tp, fp, fn = tp + (pred and gold), fp + (pred and not gold), fn + (gold and not pred)
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    return prec, rec, (2 * prec * rec / (prec + rec) if prec + rec else 0.0)


@dataclass(frozen=True)
class ActorCounts:
    """On one document's annotated commitments and proposals with an actor: how many, how many have
    their body among the ranker's candidates, how many it ranks first; and the last two for the
    commitments alone (what `contrats eval --cross-document`'s right partner counts)."""

    total: int
    among: int
    first: int
    commitments: int
    commitments_first: int


def actor_counts(model, doc) -> ActorCounts:
    """The ranker (`model.actors`, read by ingest.extract.learned.rank_actors) on one featurised
    document, judged as the evaluation judges a partner (ingest.training.extraction.same_actor)."""
    from ingest.extract.learned import rank_actors
    from ingest.training.extraction import same_actor

    total = among = first = total_c = first_c = 0
    for view, actor, label in zip(doc.views, doc.gold_actors, doc.gold_labels, strict=True):
        if actor is None:
            continue
        ranked = rank_actors(model, view)
        ok = bool(ranked) and same_actor(ranked[0][1], actor)
        total, first = total + 1, first + ok
        among += any(same_actor(c.organisation, actor) for c in view.candidates)
        if label == "commitment":
            total_c, first_c = total_c + 1, first_c + ok
    return ActorCounts(total, among, first, total_c, first_c)


def _partner(model, held) -> tuple[float, float]:
    """The share of the held-out contract's annotated actors among the candidates, and ranked first."""
    n = actor_counts(model, held)
    return (n.among / n.total, n.first / n.total) if n.total else (0.0, 0.0)


def main(argv: list[str] | None = None) -> int:
    from ingest.extract.learned import unit_probabilities
    from ingest.training.extraction import train

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--c", type=float, default=0.5, help="inverse regularisation of the unit classifier")
    ap.add_argument("--cache", type=Path, default=None,
                    help="featurised documents (default: /tmp/unit_lodo-<key>.pkl, keyed by the pipeline's code "
                         "and the gold files, so a change of either featurises again)")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--sentence-weight", type=float, default=None,
                    help="the weight of each unit's sentence vector (ingest/extract/sentence_vectors.py) in its "
                         "vector; default: the shipped setting (unit_features.SENTENCE_WEIGHT)")
    ap.add_argument("--class-weight", choices=("none", "balanced"), default=None,
                    help="the unit classifier's class weights; default: the shipped setting "
                         "(ingest/training/extraction.py CLASS_WEIGHT)")
    args = ap.parse_args(argv)
    from ingest.training import extraction

    if args.class_weight is not None:
        extraction.CLASS_WEIGHT = None if args.class_weight == "none" else "balanced"  # read by _fit()

    if args.sentence_weight is not None:
        extraction.SENTENCE_WEIGHT = args.sentence_weight  # read by prepare() and train()
    t0 = time.perf_counter()
    key = f"{_key()}-s{extraction.SENTENCE_WEIGHT:g}"
    contracts, extra = _load(args.cache or Path(f"/tmp/unit_lodo-{key}.pkl"))
    print(f"featurised documents ready in {time.perf_counter() - t0:.0f} s", flush=True)
    out = {}
    for held in contracts:
        others = [d for d in contracts if d is not held] + extra
        model = train(others, c_units=args.c)
        probs = unit_probabilities(model, held.views)
        th = model.thresholds.get("commitment", 0.5)
        grid = {str(g): _scores(probs, held.gold_labels, g) for g in (0.3, 0.4, 0.5, 0.6, 0.7)}
        among, first = _partner(model, held)
        out[held.document_id] = {"threshold": th, "at_threshold": _scores(probs, held.gold_labels, th),
                                 "grid": grid, "partner_among_candidates": among, "partner_first": first}
        p, r, f = out[held.document_id]["at_threshold"]
        print(f"{held.document_id}: th {th:.2f}  P {p:.3f}  R {r:.3f}  F1 {f:.3f}   "
              + "  ".join(f"@{g} {v[2]:.3f}" for g, v in grid.items())
              + f"   partner among {among:.3f} first {first:.3f}", flush=True)
    mean = [sum(v["at_threshold"][k] for v in out.values()) / len(out) for k in range(3)]
    partner = sum(v["partner_first"] for v in out.values()) / len(out)
    print(f"mean: P {mean[0]:.3f}  R {mean[1]:.3f}  F1 {mean[2]:.3f}  partner first {partner:.3f}"
          f"  ({time.perf_counter() - t0:.0f} s)")
    if args.json:
        args.json.write_text(json.dumps({"c": args.c, "documents": out, "mean": mean, "partner_first": partner},
                                        indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
