"""Agreement between the writers' annotations of tests/gold/bodies and the blind second annotations
in agreement/: units aligned as training aligns them (ingest.training.extraction.prepare), Cohen's kappa over
the five labels and over commitment-or-proposal against the rest, and each disagreement.

    .venv/bin/python tests/gold/bodies/agreement_kappa.py
"""

import json
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from ingest.training.extraction import AnnotatedDocument, UnitLabel, prepare  # noqa: E402

COMMITTING = ("commitment", "proposal")


def unit_labels(gold: dict) -> list[UnitLabel]:
    out = [UnitLabel(f"g{n}", "", c["line"], c["text"], c.get("kind", "commitment"), c["partner"],
                     c.get("partner_type"), tuple(c.get("neighbourhoods") or ()))
           for n, c in enumerate(gold.get("commitments", []))]
    out += [UnitLabel(f"i{n}", "", i["line"], i["text"], "indicator", None, None, ())
            for n, i in enumerate(gold.get("indicators", []))]
    out += [UnitLabel(f"o{n}", "", o["line"], o["text"], "objective", None, None, ())
            for n, o in enumerate(gold.get("objectives", []))]
    return out


def kappa(a: list[str], b: list[str]) -> tuple[float, float]:
    """Cohen's kappa and raw agreement of two label sequences of the same units."""
    n = len(a)
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    ca, cb = Counter(a), Counter(b)
    expected = sum(ca[k] * cb[k] for k in set(ca) | set(cb)) / n / n
    return (observed - expected) / (1 - expected), observed


def main() -> None:
    first: list[str] = []
    second: list[str] = []
    for path in sorted((HERE / "agreement").glob("*.json")):
        slug = path.stem
        text = HERE / f"{slug}.txt"
        a = prepare(AnnotatedDocument(slug, text, unit_labels(json.loads((HERE / f"{slug}.json").read_text()))))
        b = prepare(AnnotatedDocument(slug, text, unit_labels(json.loads(path.read_text()))))
        k, agree = kappa(a.gold_labels, b.gold_labels)
        print(f"{slug}: {len(a.gold_labels)} units, kappa {k:.3f}, agreement {agree:.3f}")
        for x, y, view in zip(a.gold_labels, b.gold_labels, a.views, strict=True):
            if x != y:
                print(f"    {x} / {y} | {view.unit.text[:100]}")
        first += a.gold_labels
        second += b.gold_labels
    k, agree = kappa(first, second)
    print(f"all: {len(first)} units, kappa (5 labels) {k:.3f}, agreement {agree:.3f}")
    k, agree = kappa([x in COMMITTING for x in first], [y in COMMITTING for y in second])
    print(f"commitment-or-proposal against the rest: kappa {k:.3f}, agreement {agree:.3f}")


if __name__ == "__main__":
    main()
