"""The comparison's "nothing found" floor of an encoder, recalibrated on the blind gold's dev half.

`contrats compare` keeps a hit that shares no word with the question only when its cosine reaches
the encoder's floor (kg.search.encoder.DENSE_FLOORS). Floors live on each encoder's own cosine scale, so
each is set to keep the same share of relevant (question, passage) pairs: 79 %, the share the word
vectors' 0.55 kept on the first gold set. Prints the floor per encoder.

    python benchmarks/calibrate_floors.py --data /tmp/data-pool --cache /tmp/data-search/embeddings \
        builtin:e5-small builtin:use-multilingual
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

KEEP = 0.79


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("encoders", nargs="+")
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument("--sample", type=int, default=0, help="at most this many pairs (0: all)")
    args = parser.parse_args()

    from kg.build.pipeline import current_build
    from kg.search import gold as sg
    from kg.search.encoder import load_encoder
    from kg.search.index import SearchIndex
    from kg.search.searcher import detect_language, translate_query

    records = SearchIndex.load(current_build(args.data) / "index").records
    locator = sg.QuoteLocator(records)
    position_of = {r.id: i for i, r in enumerate(records) if r.record_type == "passage"}
    judgments = sg.load_judgments()
    dev = set(sg.load_split()["dev"])
    pairs = []
    for q in sg.load_gold():
        if q.id in dev:
            used = translate_query(q.query) if detect_language(q.query) == "en" else q.query
            for i in sg.question_grades(q, locator, records, judgments, position_of):
                pairs.append((used, records[i].text))
    if args.sample and len(pairs) > args.sample:
        pairs = random.Random(0).sample(pairs, args.sample)
    for spec in args.encoders:
        encoder = load_encoder(spec, args.data / "models", cache_dir=args.cache)
        queries = sorted({p[0] for p in pairs})
        qv = dict(zip(queries, encoder.encode_queries(queries), strict=True))
        pv = encoder.encode_passages([p[1] for p in pairs])
        cosines = np.array([qv[q] @ v for (q, _), v in zip(pairs, pv, strict=True)])
        floor = float(np.quantile(cosines, 1 - KEEP))
        print(f"{spec}: {len(pairs)} relevant pairs, cosine median {np.median(cosines):.3f}, "
              f"floor keeping {KEEP:.0%}: {floor:.3f}")


if __name__ == "__main__":
    main()
