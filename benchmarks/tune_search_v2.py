"""Compare search settings on the blind gold set (tests/gold/search_v2): choose on DEV, report TEST.

Each candidate is an encoder spec (kg.search.encoder model spec) and Searcher settings; the index of a
built data directory is re-encoded for the spec (vectors come from, and go to, the embedding
cache, so only the first run of an encoder pays its encoding). Prints one line per candidate and
split, and writes every figure as JSON.

    python benchmarks/tune_search_v2.py --data /tmp/data-pool --cache /tmp/data-search/embeddings \
        --out /tmp/tune.json "builtin:e5-small" "builtin:e5-small@0.5+builtin:use-multilingual@0.5"

A candidate is `SPEC[;key=value...]`, keys being Searcher fields (dense_weight, fusion,
mention_boost, understand, expand, candidates) or `method` (hybrid | bm25 | dense).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _value(text: str):
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(text.lower(), text)


def parse_candidate(text: str) -> tuple[str, dict, str]:
    spec, *options = text.split(";")
    settings = dict(o.split("=", 1) for o in options)
    method = settings.pop("method", "hybrid")
    return spec, {k: _value(v) for k, v in settings.items()}, method


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("candidates", nargs="+")
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--cache", type=Path, required=True, help="embedding cache folder")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--split", default="dev", choices=["dev", "test", "all"],
                        help="questions to run (figures of the others are not computed)")
    args = parser.parse_args()

    from kg.build.pipeline import current_build
    from kg.search import gold as sg
    from kg.search.encoder import load_encoder
    from kg.search.index import SearchIndex
    from kg.search.searcher import Searcher
    from kg.search.understand import Understander

    build_dir = current_build(args.data)
    base = SearchIndex.load(build_dir / "index")
    understander = Understander.from_build(build_dir)
    questions = sg.load_gold()
    split = sg.load_split()
    if args.split != "all":
        keep = set(split[args.split])
        questions = [q for q in questions if q.id in keep]
    judgments = sg.load_judgments()
    indexes: dict[str, tuple] = {}
    results = json.loads(args.out.read_text()) if args.out and args.out.exists() else {}
    for text in args.candidates:
        spec, settings, method = parse_candidate(text)
        if spec not in indexes:
            t0 = time.time()
            encoder = load_encoder(spec, args.data / "models", cache_dir=args.cache)
            index = SearchIndex.build(base.records, encoder)
            indexes[spec] = (index, encoder)
            print(f"[{spec}: index in {time.time() - t0:.0f} s]", file=sys.stderr)
        index, encoder = indexes[spec]
        searcher = Searcher(index, encoder, understander=understander)
        for key, value in settings.items():
            setattr(searcher, key, value)
        t0 = time.time()
        result = sg.evaluate(searcher, questions, split, judgments, methods=(method,), condensed=True)
        seconds = time.time() - t0
        table = result["table"][method]
        figures = {name: table[name]["all"] | {g: table[name][g] for g in table[name] if g != "all"}
                   for name in table if name in ("dev", "test")}
        results[text] = {"figures": figures, "seconds_per_query": seconds / max(1, len(questions))}
        for name, t in figures.items():
            fr, en = t.get("fr", {}), t.get("en", {})
            print(f"{text:70} {name:4} S@1 {t['S@1']:.2f} S@5 {t['S@5']:.2f} MRR {t['MRR']:.2f} "
                  f"nDCG {t['nDCG@10']:.2f} A@5 {t['A@5']:.2f} | fr S@5 {fr.get('S@5', 0):.2f} "
                  f"MRR {fr.get('MRR', 0):.2f} | en S@5 {en.get('S@5', 0):.2f} MRR {en.get('MRR', 0):.2f} "
                  f"| fact A@5 {t.get('factual', {}).get('A@5', 0):.2f} | terr@5 {t.get('in-territory@5', 0):.2f}"
                  f" || condensed S@5 {t['S@5c']:.2f} MRR {t['MRRc']:.2f} nDCG {t['nDCG@10c']:.2f}",
                  flush=True)
        if args.out:
            args.out.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
