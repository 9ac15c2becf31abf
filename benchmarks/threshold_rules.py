"""Decision thresholds read held out: how each way of choosing a threshold on the training side
does on the contract left out.

For each of the four annotated contracts, a model is trained on the three others and the dev
synthetic documents (as `benchmarks/unit_lodo.py` does, on its cached featurised documents); the
out-of-fold probabilities its training chose thresholds on are kept beside the held-out contract's
own. Each rule then picks a threshold from the training side only, and is scored on the held-out
contract, unit by unit (units of kind commitment and proposal count together, as in the screen).
The oracle row — the held-out contract's own best threshold — is for reading, never a choice.

A dev measure: the rules are compared on the four contracts the features were chosen on.

    .venv/bin/python benchmarks/threshold_rules.py [--class indicator] [--probs saved.pkl] [--json out.json]

`--probs` saves the probabilities on the first run (4 trainings, 10-40 min) and reads them after.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

GRID = tuple(round(0.1 + 0.025 * k, 3) for k in range(25))  # 0.10 … 0.70
CLASSES = {"commitment": ("commitment", "proposal"), "indicator": ("indicator",)}
Fold = dict  # {"labels", "probs", "oof": [(labels, probs), …] of the training contracts}


def _counts(probs: Sequence[dict[str, float]], labels: Sequence[str], th: float,
            classes: tuple[str, ...]) -> tuple[int, int, int]:
    tp = fp = fn = 0
    for p, lab in zip(probs, labels, strict=True):
        pred, gold = sum(p.get(k, 0.0) for k in classes) >= th, lab in classes
        tp, fp, fn = tp + (pred and gold), fp + (pred and not gold), fn + (gold and not pred)
    return tp, fp, fn


def _f(tp: int, fp: int, fn: int, beta: float = 1.0) -> float:
    b2 = beta * beta
    return (1 + b2) * tp / ((1 + b2) * tp + b2 * fn + fp) if tp else 0.0


def _prf(c: tuple[int, int, int]) -> tuple[float, float, float]:
    tp, fp, fn = c
    return (tp / (tp + fp) if tp + fp else 0.0, tp / (tp + fn) if tp + fn else 0.0, _f(*c))


def rules(classes: tuple[str, ...]) -> dict[str, Callable[[list], float]]:
    """Each rule: the training side's (labels, probabilities) per contract -> a threshold."""
    def mean_f(oof: list, beta: float, floor: float) -> float:
        grid = [t for t in GRID if t >= floor]
        return max(grid, key=lambda t: sum(_f(*_counts(p, lab, t, classes), beta) for lab, p in oof) / len(oof))

    def pooled(oof: list) -> float:
        def f(t: float) -> float:
            c = [_counts(p, lab, t, classes) for lab, p in oof]
            return _f(*(sum(x[i] for x in c) for i in range(3)))
        return max(GRID, key=f)

    return {"mean F1, grid from 0.20 (the commitments' rule)": lambda oof: mean_f(oof, 1.0, 0.2),
            "mean F1, grid from 0.10 (the indicators' rule)": lambda oof: mean_f(oof, 1.0, 0.1),
            "F1 of the pooled units": pooled,
            "mean F0.5 (precision weighs double)": lambda oof: mean_f(oof, 0.5, 0.1),
            "fixed 0.30": lambda oof: 0.30, "fixed 0.35": lambda oof: 0.35, "fixed 0.50": lambda oof: 0.50}


def collect(cache: Path) -> dict[str, Fold]:
    """Per held-out contract: its labels and probabilities, and the out-of-fold ones of the
    training contracts (captured from the training's own threshold choice)."""
    import unit_lodo

    from ingest.extract.learned import unit_probabilities
    from ingest.training import extraction

    contracts, extra = unit_lodo._load(cache)
    seen: dict = {}
    choose = extraction.choose_thresholds

    def spy(docs, probs):
        seen["oof"] = [(list(d.gold_labels), probs[id(d)]) for d in docs if not d.group and id(d) in probs]
        return choose(docs, probs)

    extraction.choose_thresholds = spy
    try:
        out = {}
        for held in contracts:
            model = extraction.train([d for d in contracts if d is not held] + extra)
            out[held.document_id] = {"labels": list(held.gold_labels), "probs": unit_probabilities(model, held.views),
                                     "oof": seen["oof"], "shipped": model.thresholds}
            print(f"{held.document_id}: trained", flush=True)
        return out
    finally:
        extraction.choose_thresholds = choose


def compare(folds: dict[str, Fold], classes: tuple[str, ...]) -> dict[str, dict]:
    """Rule -> held-out contract -> (threshold, (P, R, F1))."""
    def scored(th: float, f: Fold) -> tuple[float, tuple[float, float, float]]:
        return th, _prf(_counts(f["probs"], f["labels"], th, classes))

    def best(f: Fold) -> float:
        return max(GRID, key=lambda t: _f(*_counts(f["probs"], f["labels"], t, classes)))

    table = {name: {doc: scored(rule(f["oof"]), f) for doc, f in folds.items()}
             for name, rule in rules(classes).items()}
    table["oracle (held-out, for reading only)"] = {doc: scored(best(f), f) for doc, f in folds.items()}
    return table


def main(argv: list[str] | None = None) -> int:
    import unit_lodo

    from ingest.training import extraction

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--class", dest="cls", choices=sorted(CLASSES), default="commitment")
    ap.add_argument("--probs", type=Path, help="save the folds' probabilities here, or read them if it exists")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    if args.probs and args.probs.exists():
        folds = pickle.loads(args.probs.read_bytes())
    else:
        key = f"{unit_lodo._key()}-s{extraction.SENTENCE_WEIGHT:g}"
        folds = collect(Path(f"/tmp/unit_lodo-{key}.pkl"))
        if args.probs:
            args.probs.write_bytes(pickle.dumps(folds))
    table = compare(folds, CLASSES[args.cls])
    for name, per in table.items():
        mean = [sum(v[1][k] for v in per.values()) / len(per) for k in range(3)]
        print(f"{name:45s} P {mean[0]:.3f} R {mean[1]:.3f} F1 {mean[2]:.3f} | "
              + "  ".join(f"{doc[:10]} t{th:.3f} {p:.2f}/{r:.2f}" for doc, (th, (p, r, _)) in per.items()))
    if args.json:
        args.json.write_text(json.dumps(table, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
