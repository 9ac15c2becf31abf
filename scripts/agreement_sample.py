"""Draw the blind agreement sample: 10 % of the units of every annotated document, fixed seed.

    python scripts/agreement_sample.py tests/gold/units --out tests/gold/units/agreement

Writes `<doc>.sample.txt`, each sampled unit with its section and the four units before it (as
context, unlabelled), for a second annotator who never sees the first labels; the second
annotator writes `<doc>.labels2.tsv` in the format of the guide for the sampled uids only.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

SEED = 20261205
SHARE = 0.10


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("units_dir", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for f in sorted(args.units_dir.glob("*.units.jsonl")):
        doc = f.name.removesuffix(".units.jsonl")
        rows = [json.loads(line) for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
        rng = random.Random(f"{SEED}-{doc}")
        picked = sorted(rng.sample(range(len(rows)), max(1, round(len(rows) * SHARE))))
        out = []
        for i in picked:
            r = rows[i]
            out.append(f"=== {r['uid']} — section: {' > '.join(r['section_path']) or '-'}")
            for c in rows[max(0, i - 4):i]:
                out.append(f"   (context) {c['uid']} {c['kind']}: {c['text'][:200]}")
            out.append(f">> {r['uid']} L{r['line']} {r['kind']}: {r['text']}")
        (args.out / f"{doc}.sample.txt").write_text("\n".join(out) + "\n", encoding="utf-8")
        print(doc, len(picked))


if __name__ == "__main__":
    main()
