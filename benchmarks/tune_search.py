"""Choose the search weights on the gold set, and say how much the choice flatters them.

Grid: the USE share of the encoder blend (word vectors + multilingual USE) × the dense weight of
the hybrid fusion. Each member encodes the build's index records once; a blend's vectors are
the members' vectors scaled and put end to end, exactly as `kg.search.encoder.EncoderBlend` makes them.
Prints hybrid R@5 / MRR per language for every setting, then a leave-one-question-out estimate:
for each question, the setting best on all the other questions gives that question's rank.

    .venv/bin/python benchmarks/tune_search.py --data data
    .venv/bin/python benchmarks/tune_search.py --data data --without-pooled   # first judgments only
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import kg.search.evaluate as ev  # noqa: E402
from kg.build.pipeline import current_build  # noqa: E402
from kg.search.encoder import BUILTIN_FR, BUILTIN_USE, load_encoder  # noqa: E402
from kg.search.index import SearchIndex, faiss_index  # noqa: E402
from kg.search.searcher import Searcher  # noqa: E402

SHARES = (0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 1.0)
WEIGHTS = (0.3, 0.4, 0.5, 0.6, 0.7)


def spec(share: float) -> str:
    if share == 0:
        return BUILTIN_FR
    if share == 1:
        return BUILTIN_USE
    return f"{BUILTIN_FR}@{1 - share:g}+{BUILTIN_USE}@{share:g}"


def score(rank: int | None) -> float:
    """R@5 + reciprocal rank: the two targets of the issue, equally weighted."""
    return (rank is not None and rank <= 5) + (1 / rank if rank else 0.0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=ROOT / "data")
    parser.add_argument("--gold", type=Path, default=ROOT / "tests" / "gold" / "search.jsonl")
    parser.add_argument("--default", default="0.5,0.6", help="the shipped setting, share,weight")
    parser.add_argument("--without-pooled", action="store_true",
                        help="only the judgments written before pooling (tests/gold/README.md)")
    args = parser.parse_args()

    build = current_build(args.data)
    index = SearchIndex.load(build / "index")
    models = args.data / "models"
    texts = [r.text for r in index.records]
    word_vectors = load_encoder(BUILTIN_FR, models).encode_passages(texts)
    use = load_encoder(BUILTIN_USE, models).encode_passages(texts)
    questions = ev.load_questions(args.gold, pooled=not args.without_pooled)
    ev.METHODS = ("hybrid",)  # the grid is about the fusion; one method keeps it fast

    ranks: dict[tuple[float, float], dict[str, int | None]] = {}
    print("| USE share | dense weight | French R@5 / MRR | English R@5 / MRR |")
    print("|---|---|---|---|")
    for share in SHARES:
        encoder = load_encoder(spec(share), models)
        vectors = np.hstack([np.sqrt(1 - share) * word_vectors, np.sqrt(share) * use])
        if share in (0.0, 1.0):
            vectors = word_vectors if share == 0 else use
        grid_index = copy.copy(index)
        grid_index.dense = faiss_index(np.ascontiguousarray(vectors, dtype=np.float32))
        for weight in WEIGHTS:
            result = ev.evaluate_search(Searcher(grid_index, encoder, dense_weight=weight), questions)
            ranks[(share, weight)] = {row["id"]: row["hybrid"] for row in result["questions"]}
            m = result["metrics"]["hybrid"]
            print(f"| {share:g} | {weight:g} | {m['fr']['R@5']:.2f} / {m['fr']['MRR']:.2f} "
                  f"| {m['en']['R@5']:.2f} / {m['en']['MRR']:.2f} |", flush=True)

    default = tuple(float(x) for x in args.default.split(","))
    ids = list(ranks[default])
    language = {q.id: q.lang for q in questions}
    held_out = {}
    for qid in ids:
        best = max(ranks, key=lambda s: (sum(score(ranks[s][o]) for o in ids if o != qid), s == default))
        held_out[qid] = ranks[best][qid]
    print()
    for lang in ("fr", "en"):
        chosen = [q for q in ids if language[q] == lang]

        def summary(rk: dict, chosen: list[str] = chosen) -> str:
            r5 = np.mean([rk[q] is not None and rk[q] <= 5 for q in chosen])
            mrr = np.mean([1 / rk[q] if rk[q] else 0.0 for q in chosen])
            return f"R@5 {r5:.2f} MRR {mrr:.2f}"

        print(f"{lang} (n={len(chosen)}): leave-one-question-out {summary(held_out)}; "
              f"default {default} {summary(ranks[default])}")


if __name__ == "__main__":
    main()
