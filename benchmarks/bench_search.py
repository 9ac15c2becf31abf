"""Search benchmark: encoding throughput, index build time, search latency, memory.

Run on the shipped corpus, then on a synthetic national-scale corpus made by recombining the
corpus passages (sentences shuffled between passages, territory names replaced) up to
`--scale` passages. Prints a Markdown table with the load average (1 min) before and after each
row, since the machine is shared.

    .venv/bin/python benchmarks/bench_search.py --scale 400000
    .venv/bin/python benchmarks/bench_search.py --data /tmp/benchdata --scale 0   # a build's own records

With `--data`, the shipped row uses the records of that build's index (passages, commitments and
objectives, as `contrats search` sees them) instead of ingesting the corpus afresh. The built-in
encoder is built into a temporary folder (never into the project's `data/models`).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _timing import p50_p95, search_latencies  # noqa: E402

from ingest.corpus import Ingested, ingest_paths  # noqa: E402
from kg.config import DEFAULT_MODEL  # noqa: E402
from kg.search.encoder import load_encoder  # noqa: E402
from kg.search.index import IndexRecord, SearchIndex  # noqa: E402
from kg.search.searcher import Filters, Searcher  # noqa: E402

QUERIES = [
    "comment attirer des médecins dans les quartiers", "accès aux soins", "décrochage scolaire",
    "clause d'insertion dans les marchés publics", "soutien à la parentalité", "mobilité des jeunes",
    "rénovation urbaine et relogement", "tranquillité publique médiation", "inclusion numérique des seniors",
    "school dropout prevention", "childcare for single mothers", "conseils citoyens participation",
    "transition écologique précarité énergétique", "création d'entreprise dans les QPV",
    "apprentissage du français pour les adultes", "violences faites aux femmes",
]


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def corpus_records() -> list[IndexRecord]:
    records = []
    for result in ingest_paths([ROOT / "corpus"]):
        if isinstance(result, Ingested):
            meta = result.document.meta
            for p in result.passages:
                records.append(IndexRecord(id=p.id, record_type="passage", text=p.text, document=p.document_id,
                                           territory=meta.territory_short, generation=meta.generation,
                                           line=p.line_start))
    return records


def build_records(data_dir: Path) -> list[IndexRecord]:
    """The records of the current build's index in `data_dir`: what `contrats search` searches."""
    folder = (data_dir / "current").resolve() / "index"
    with (folder / "records.jsonl").open(encoding="utf-8") as f:
        return [IndexRecord.from_json(json.loads(line)) for line in f if line.strip()]


def synthetic(records: list[IndexRecord], n: int, seed: int = 7) -> list[IndexRecord]:
    """`n` passages for ~385 renamed territories, each mixing sentences of two real passages."""
    rng = random.Random(seed)
    sentences = [s for r in records for s in r.text.split(". ") if len(s) > 30]
    out = []
    for i in range(n):
        k = rng.randint(1, 4)
        text = ". ".join(rng.sample(sentences, k))
        territory = f"T{i % 385:03d}"
        out.append(IndexRecord(id=f"syn#{i}", record_type="passage", text=text, document=f"{territory}-2024",
                               territory=territory, generation="2024"))
    return out


def measure(records: list[IndexRecord], encoder, label: str) -> dict:
    load_before = os.getloadavg()[0]
    t = time.perf_counter()
    vectors = encoder.encode_passages([r.text for r in records[:20000]])
    encode_rate = min(len(records), 20000) / (time.perf_counter() - t)
    del vectors
    t = time.perf_counter()
    index = SearchIndex.build(records, encoder)
    build_s = time.perf_counter() - t
    searcher = Searcher(index, encoder)
    lat = search_latencies(searcher, QUERIES, Filters(territories=(records[0].territory,)))
    with tempfile.TemporaryDirectory() as tmp:
        index.save(Path(tmp) / "index")
        size = sum(f.stat().st_size for f in (Path(tmp) / "index").rglob("*") if f.is_file()) / 1e6
    row = {"corpus": label, "records": len(records), "encode/s": encode_rate, "build s": build_s,
           "index MB": size, "faiss": index.config["faiss"], "rss MB": rss_mb()}
    for method, values in lat.items():
        row[f"{method} p50 ms"], row[f"{method} p95 ms"] = p50_p95(values)
    row["load 1m before/after"] = f"{load_before:.1f}/{os.getloadavg()[0]:.1f}"
    return row


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=int, default=400_000)
    parser.add_argument("--data", type=Path, default=None,
                        help="a data directory with a build: use its index records for the shipped row")
    parser.add_argument("--models", type=Path, default=None,
                        help="where to build the built-in encoder (default: a temporary folder)")
    parser.add_argument("--model", default=DEFAULT_MODEL, help=f"encoder spec (default {DEFAULT_MODEL})")
    args = parser.parse_args()
    records = build_records(args.data) if args.data else corpus_records()
    with tempfile.TemporaryDirectory() as tmp:
        encoder = load_encoder(args.model, args.models or Path(tmp),
                               corpus_texts=[r.text for r in records])
    label = f"shipped corpus ({'build index records' if args.data else 'passages'})"
    rows = [measure(records, encoder, label)]
    if args.scale:
        rows.append(measure(synthetic(records, args.scale), encoder, f"synthetic x{args.scale}"))
    keys = list(rows[0])
    print("| " + " | ".join(keys) + " |")
    print("|" + "---|" * len(keys))
    for row in rows:
        print("| " + " | ".join(f"{row[k]:.1f}" if isinstance(row[k], float) else str(row[k]) for k in keys) + " |")


if __name__ == "__main__":
    main()
