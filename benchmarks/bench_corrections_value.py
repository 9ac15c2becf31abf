"""What researchers' corrections teach the extractor: a simulated-reviewer experiment (issue 15.4).

No researcher has reviewed this project's documents yet, so the reviews are simulated from the
complete annotations (an "oracle" reviewer, as in active-learning studies): for each of the
other contracts, the reviewer meets K units and confirms, rejects or re-assigns each as the
annotation says: either the K the model is most sure are commitments (what the app shows first:
"top"), or the K it is least sure of, around its threshold (the "À vérifier" list: "uncertain").
Each contract is then extracted by a model that never saw it (leave-one-document-out), trained on

  openings          the dev openings of other territories only (no contract of this genre's length)
  top-K/uncertain-K the openings + K reviewed units of each other contract (partial labels,
                    as kg.review.training makes them)
  complete          the openings + the other contracts completely annotated (the headline LODO)

Run: .venv/bin/python benchmarks/bench_corrections_value.py [K ...]   (default K = 300)
Reports commitments P / R / F1 and right partner, macro over the four held-out contracts.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.training.evaluate import evaluate, load_gold, overall  # noqa: E402
from ingest.training.extraction import annotated_documents, prepare, synthetic_documents, train  # noqa: E402
from ingest.training.held_out import _empty_gold, extract_document, gold_with_units  # noqa: E402

GOLD = ROOT / "tests" / "gold"
QPV = ROOT / "reference" / "qpv_2024_communes_full.csv"


def reviewed(doc, model, k: int, policy: str = "top"):
    """k units of `doc` with their annotated labels: those the model is most sure are commitments
    ("top"), or those closest to its threshold ("uncertain")."""
    p = [sum(model.units.proba(v.features, v.vector).get(c, 0.0) for c in ("commitment", "proposal")) for v in doc.views]
    threshold = model.thresholds.get("commitment", 0.5)
    order = (lambda i: -p[i]) if policy == "top" else (lambda i: abs(p[i] - threshold))
    top = sorted(range(len(p)), key=order)[:k]
    top.sort()
    return replace(doc, document_id=f"{doc.document_id}~reviewed", views=[doc.views[i] for i in top],
                   gold_labels=[doc.gold_labels[i] for i in top], gold_actors=[doc.gold_actors[i] for i in top],
                   group="corrections", complete=False)


def main(ks: list[int]) -> None:
    t0 = time.time()
    contracts = [prepare(d) for d in annotated_documents(GOLD, ROOT)]
    openings = [prepare(d) for d in synthetic_documents(GOLD / "openings")]
    golds = load_gold(GOLD / "extraction")
    results: dict[str, dict[str, dict]] = {}
    for held in contracts:
        others = [d for d in contracts if d.document_id != held.document_id]
        gold = gold_with_units(golds.get(held.document_id, _empty_gold(held)), held.labels)
        base = train(openings)
        configs = {"openings": base, "complete": train(others + openings)}
        for k in ks:
            for policy in ("top", "uncertain"):
                configs[f"{policy}-{k}"] = train(openings + [reviewed(d, base, k, policy) for d in others])
        for name, model in configs.items():
            results.setdefault(name, {})[held.document_id] = evaluate(
                extract_document(held.source, QPV, model), gold)
            c = results[name][held.document_id]["commitments"]
            print(f"{held.document_id:30} {name:13} P {c.precision:.2f} R {c.recall:.2f} F1 {c.f1:.2f} "
                  f"partner {(c.extra or {}).get('right_partner', 0.0):.2f}", flush=True)
    print(f"\nmacro over {len(contracts)} held-out contracts ({time.time() - t0:.0f} s):")
    summary = {}
    for name, per_doc in results.items():
        c = overall(per_doc, macro=True)["commitments"]
        summary[name] = {"precision": round(c.precision, 3), "recall": round(c.recall, 3), "f1": round(c.f1, 3),
                         "right_partner": round((c.extra or {}).get("right_partner", 0.0), 3)}
        print(f"  {name:13} P {c.precision:.2f} R {c.recall:.2f} F1 {c.f1:.2f} partner {(c.extra or {}).get('right_partner', 0.0):.2f}")
    print(json.dumps(summary))


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [300])
