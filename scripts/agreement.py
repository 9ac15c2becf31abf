"""Agreement between the first annotation and the blind second one (tests/gold/units/agreement).

    python scripts/agreement.py

Cohen's kappa on the five labels and on commitment-or-proposal vs the rest, per document and over
all sampled units, and the share of units both call a commitment whose actor is the same body.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

from ingest.training.extraction import UnitLabel, same_actor

UNITS = Path(__file__).resolve().parent.parent / "tests" / "gold" / "units"


def read(path: Path) -> dict[str, dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return {r["uid"]: r for r in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)}


def kappa(a: list[str], b: list[str]) -> float:
    n = len(a)
    po = sum(x == y for x, y in zip(a, b, strict=True)) / n
    ca, cb = Counter(a), Counter(b)
    pe = sum(ca[k] * cb[k] for k in set(a) | set(b)) / (n * n)
    return (po - pe) / (1 - pe) if pe < 1 else 1.0


def main() -> None:
    all_a: list[str] = []
    all_b: list[str] = []
    actor_same = actor_n = 0
    print(f"{'document':30} {'units':>5} {'kappa':>6} {'kappa c/not':>11} {'raw agree':>9}")
    for second in sorted((UNITS / "agreement").glob("*.labels2.tsv")):
        doc = second.name.removesuffix(".labels2.tsv")
        first: dict[str, dict] = {}
        for f in sorted(UNITS.glob(f"{doc}.labels*.tsv")):
            first.update(read(f))
        b_rows = read(second)
        uids = [u for u in b_rows if u in first]
        a = [first[u]["label"] for u in uids]
        b = [b_rows[u]["label"] for u in uids]
        binary = lambda xs: ["c" if x in ("commitment", "proposal") else "o" for x in xs]  # noqa: E731
        print(f"{doc:30} {len(uids):5} {kappa(a, b):6.2f} {kappa(binary(a), binary(b)):11.2f} "
              f"{sum(x == y for x, y in zip(a, b, strict=True)) / len(uids):9.2f}")
        all_a += a
        all_b += b
        for u in uids:
            fa, fb = first[u], b_rows[u]
            if fa["label"] in ("commitment", "proposal") and fb["label"] in ("commitment", "proposal"):
                actor_n += 1

                class Org:  # the second annotator's actor, in the shape same_actor expects
                    name, aliases, type = fb["actor"], (), fb["actor_type"]

                lab = UnitLabel(u, u, 0, "", fa["label"], fa["actor"], fa["actor_type"], ())
                actor_same += same_actor(Org, lab)
    binary = lambda xs: ["c" if x in ("commitment", "proposal") else "o" for x in xs]  # noqa: E731
    print(f"{'ALL':30} {len(all_a):5} {kappa(all_a, all_b):6.2f} {kappa(binary(all_a), binary(all_b)):11.2f} "
          f"{sum(x == y for x, y in zip(all_a, all_b, strict=True)) / len(all_a):9.2f}")
    print(f"actor agreement where both say commitment/proposal: {actor_same}/{actor_n} = {actor_same / max(1, actor_n):.2f}")


if __name__ == "__main__":
    main()
