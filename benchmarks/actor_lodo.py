"""The actor ranker alone, leave-one-document-out: a quick screen for a change of its features.

For each of the four annotated contracts, the ranker is trained on the three others and the dev
synthetic documents (the cached featurised documents of `benchmarks/unit_lodo.py`) and ranks the
candidates of the held-out contract's annotated commitments and proposals: "first" is the share
whose annotated body it ranks first (the partner the extractor would write), "commitments only"
leaves the proposals out, as the whole-document `right_partner` of `contrats eval
--cross-document` does. A minute a run once the documents are featurised, where the whole
screen retrains the unit classifier too.

`--blind` then trains one ranker on the four contracts and the dev documents, as `contrats train`
does, and reads it on the `test` openings and bodies (tests/gold/openings, tests/gold/bodies),
which nobody tuned on: read it once, after the choice made on the dev figures.

    .venv/bin/python benchmarks/actor_lodo.py [--blind] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


class _Ranker:
    """What ingest.extract.learned.rank_actors reads of a model: its ranker."""

    def __init__(self, actors) -> None:
        self.actors = actors


def ranker(docs: Sequence) -> _Ranker:
    from ingest.training.extraction import _fit_ranker, local_words, ranker_groups

    return _Ranker(_fit_ranker(ranker_groups(docs, local_words(docs)), 0.1))


def first(model: _Ranker, doc) -> tuple[int, int, int, int]:
    """(annotated actors, ranked first; the same for commitments only) on one document."""
    from unit_lodo import actor_counts

    n = actor_counts(model, doc)
    return n.total, n.first, n.commitments, n.commitments_first


def _blind(contracts, extra, key: str) -> dict:
    from ingest.training.extraction import prepare, synthetic_documents

    cache = Path(f"/tmp/actor_lodo-test-{key}.pkl")
    if cache.exists():
        tests = pickle.loads(cache.read_bytes())
    else:
        gold = ROOT / "tests" / "gold"
        tests = {name: [prepare(d) for d in synthetic_documents(gold / name, "test", for_training=False)]
                 for name in ("openings", "bodies")}
        cache.write_bytes(pickle.dumps(tests))
    model = ranker(contracts + extra)
    out = {}
    for name, docs in tests.items():
        counts = [first(model, d) for d in docs]
        total, right = sum(c[2] for c in counts), sum(c[3] for c in counts)
        per = [c[3] / c[2] for c in counts if c[2]]
        out[name] = {"commitments": total, "first_pooled": right / total, "first_mean": sum(per) / len(per)}
        print(f"test {name:9} commitments {total:4}  first (pooled) {right / total:.3f}  "
              f"(mean over documents) {sum(per) / len(per):.3f}", flush=True)
    return out


def main(argv: list[str] | None = None) -> None:
    import unit_lodo

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--blind", action="store_true", help="also read the test openings and bodies (once, after choosing)")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    key = f"{unit_lodo._key()}-s0"
    contracts, extra = unit_lodo._load(Path(f"/tmp/unit_lodo-{key}.pkl"))
    out: dict = {"lodo": {}}
    for held in contracts:
        model = ranker([d for d in contracts if d is not held] + extra)
        total, right, total_c, right_c = first(model, held)
        out["lodo"][held.document_id] = {"first": right / total, "first_commitments": right_c / total_c,
                                         "commitments": total_c}
        print(f"{held.document_id:32} first {right / total:.3f}  commitments only {right_c / total_c:.3f} "
              f"({total_c})", flush=True)
    rows = out["lodo"].values()
    out["mean"] = {k: sum(r[k] for r in rows) / len(rows) for k in ("first", "first_commitments")}
    print(f"mean first {out['mean']['first']:.3f}  commitments only {out['mean']['first_commitments']:.3f}")
    if args.blind:
        out["blind"] = _blind(contracts, extra, key)
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
