"""Pool the top passages of several search systems for blind judging (tests/gold/search_v2).

For every question of `questions.jsonl`, the top `--k` passages of each system are merged,
de-duplicated and shuffled with a fixed seed, and written WITHOUT the system names:

    pool.jsonl          {"qid", "query", "lang", "document", "passage_id", "text"}  (for the judge)
    pool_systems.json   {"<qid> <passage_id>": [system, ...]}                       (kept from the judge)

Systems are named on the command line:

    bm25                      BM25 alone (the index's lexical part, with the query's translation
                              and thesaurus expansion as the product does it)
    hybrid                    the product's default search (the built index, as configured)
    hybrid:SPEC               the hybrid with another model spec / settings (see `searcher_for`)
    dense:MODEL               one encoder alone over the passages (e.g. dense:builtin:use-multilingual)
    LABEL=SYSTEM              the system under another name in pool_systems.json: the product's
                              `hybrid` of another day ("hybrid-e5=hybrid") is another system

Re-running with a new system adds it: pairs already in the pool keep their lines (and their
judgments); pairs not seen before are appended (shuffled among themselves), and
`pool_unjudged.jsonl` lists every pooled pair that `judgments.jsonl` does not grade yet, which
is what the judge has to grade before the new system's figures are reported.

    python benchmarks/pool_search.py --data /tmp/data-pool --out tests/gold/search_v2 \
        bm25 dense:builtin:fr-word-vectors dense:builtin:use-multilingual hybrid
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SEED = 17


def load_questions(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def passage_searcher(base, model: str, data_dir: Path):
    """A searcher over the passage records of `base` whose dense part is `model` alone."""
    from kg.config import load_settings
    from kg.search.encoder import load_encoder
    from kg.search.index import SearchIndex
    from kg.search.searcher import Searcher

    records = [r for r in base.index.records if r.record_type == "passage"]
    encoder = load_encoder(model, data_dir / "models", cache_dir=load_settings(data_dir).embeddings_dir)
    index = SearchIndex.build(records, encoder)
    return Searcher(index, encoder)


def searcher_for(system: str, data_dir: Path):
    from kg.config import load_settings
    from kg.facade import Build

    base = Build.current(load_settings(data_dir)).searcher()
    if system in ("bm25", "hybrid"):
        return base, system
    kind, _, model = system.partition(":")
    if kind == "dense":
        return passage_searcher(base, model, data_dir), "dense"
    raise SystemExit(f"unknown system {system!r}")


def top_passages(searcher, method: str, query: str, k: int) -> list:
    from kg.search.searcher import Filters

    hits = searcher.search(query, k=k, filters=Filters(record_types=("passage",)), method=method)
    return [h.record for h in hits]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("systems", nargs="+")
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=ROOT / "tests/gold/search_v2")
    parser.add_argument("--questions", type=Path, default=None)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    questions = load_questions(args.questions or args.out / "questions.jsonl")

    pool_path, systems_path = args.out / "pool.jsonl", args.out / "pool_systems.json"
    old_lines = load_questions(pool_path) if pool_path.exists() else []
    systems_of: dict[str, list[str]] = (json.loads(systems_path.read_text(encoding="utf-8"))
                                        if systems_path.exists() else {})
    seen = {f"{d['qid']} {d['passage_id']}" for d in old_lines}

    new_lines: dict[str, list[dict]] = {}
    for given in args.systems:
        system, _, spec = given.partition("=")
        searcher, method = searcher_for(spec or system, args.data)
        for q in questions:
            for r in top_passages(searcher, method, q["query"], args.k):
                key = f"{q['id']} {r.passage_id or r.id}"
                names = systems_of.setdefault(key, [])
                if system not in names:
                    names.append(system)
                if key not in seen:
                    seen.add(key)
                    new_lines.setdefault(q["id"], []).append(
                        {"qid": q["id"], "query": q["query"], "lang": q["lang"], "document": r.document,
                         "passage_id": r.passage_id or r.id, "text": r.text})
        print(f"{system}: pooled", file=sys.stderr)

    rng = random.Random(args.seed)
    appended = []
    for q in questions:  # question order, passages shuffled within each question
        lines = new_lines.get(q["id"], [])
        rng.shuffle(lines)
        appended.extend(lines)
    with pool_path.open("a" if old_lines else "w", encoding="utf-8") as f:
        for d in appended:
            f.write(json.dumps(d, ensure_ascii=False) + "\n")
    systems_path.write_text(json.dumps(dict(sorted(systems_of.items())), ensure_ascii=False, indent=0),
                            encoding="utf-8")

    judgments_path = args.out / "judgments.jsonl"
    judged = {f"{d['qid']} {d['passage_id']}" for d in load_questions(judgments_path)} \
        if judgments_path.exists() else set()
    unjudged = [d for d in old_lines + appended if f"{d['qid']} {d['passage_id']}" not in judged]
    if judged or old_lines:
        with (args.out / "pool_unjudged.jsonl").open("w", encoding="utf-8") as f:
            for d in unjudged:
                f.write(json.dumps(d, ensure_ascii=False) + "\n")
    print(f"{len(appended)} new pairs ({len(old_lines) + len(appended)} pooled, {len(unjudged)} not judged yet)",
          file=sys.stderr)


if __name__ == "__main__":
    main()
