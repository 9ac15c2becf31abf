"""Leave-one-document-out for the signatory reader: each annotated document read by a model
trained on all the others (thresholds chosen inside those others), micro and per document.

The documents are the four contracts and the dev openings (tests/gold/openings): the test
openings are never read here. A screen for changes of the reader's candidates, features or
labels; `contrats eval --openings test` is the blind measure, once a change is kept.

Candidates are featurised once, with the place words of all the documents left out (the words a
feature may not use are counted over every document, the held-out one included: a small leak
that only narrows the features).

    .venv/bin/python benchmarks/signatory_lodo.py [--json out.json] [--only SLUG ...]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    from ingest.training.signatories import (
        excluded_words,
        prepare,
        score,
        signatory_documents,
        train_signatories,
    )

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", type=Path)
    ap.add_argument("--only", nargs="*", default=None, help="hold out only these documents (all are trained on)")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    docs = signatory_documents(ROOT / "tests" / "gold", ROOT)
    prepare(docs, excluded_words(docs))
    print(f"{len(docs)} documents read in {time.perf_counter() - t0:.0f} s", flush=True)
    out: dict[str, list[int]] = {}
    for held in docs:
        if args.only and held.document_id not in args.only:
            continue
        model = train_signatories([d for d in docs if d is not held])
        out[held.document_id] = list(score(held, model))
        m, p, g = out[held.document_id]
        print(f"{held.document_id}: matched {m}  predicted {p}  gold {g}  P {m / p if p else 0:.2f}  "
              f"R {m / g if g else 0:.2f}", flush=True)

    def micro(keys) -> tuple[float, float, float]:
        m, p, g = (sum(out[k][i] for k in keys) for i in range(3))
        prec, rec = (m / p if p else 0.0), (m / g if g else 0.0)
        return prec, rec, (2 * prec * rec / (prec + rec) if prec + rec else 0.0)

    contracts = [k for k in out if not k.startswith(("cv20", "perr20"))]
    openings = [k for k in out if k not in contracts]
    summary = {"all": micro(out), "openings": micro(openings), "contracts": micro(contracts)}
    for name, (p, r, f) in summary.items():
        print(f"micro {name}: P {p:.3f}  R {r:.3f}  F1 {f:.3f}")
    print(f"({time.perf_counter() - t0:.0f} s)")
    if args.json:
        args.json.write_text(json.dumps({"documents": out, "micro": summary}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
