"""The build's search-index stage on documents already in a build's cache: the whole-corpus way
(every passage, extraction and record in memory, then `SearchIndex.build`) against the streamed
one (kg.build.index_stage: a document at a time), in a fresh process each, with their peak memory,
time, and whether the two indexes are the same files.

    .venv/bin/python benchmarks/bench_index_stage.py /tmp/natdata359-w2/cache --out /tmp/idx --limit 30
    .venv/bin/python benchmarks/bench_index_stage.py /tmp/natdata359-w2/cache --out /tmp/idx

Both use the fast encoder (builtin:fr-word-vectors, built on the records' texts like a build,
into a models folder of their own) and no embedding cache. The documents are the cache's
folders, in the order of their names. After both, the index folders are compared file by file
(records.jsonl, dense.faiss, lexical/, terms, config) and a few questions are asked of each.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ["emploi des jeunes dans les quartiers", "rénovation urbaine et logement social",
             "santé mentale", "réussite éducative", "tranquillité publique et prévention de la délinquance"]


def _folders(cache: Path, limit: int | None) -> list[Path]:
    folders = sorted(p for p in cache.iterdir() if (p / "done").exists())
    return folders[:limit] if limit else folders


def run(mode: str, cache: Path, limit: int | None, out: Path) -> dict:
    sys.path.insert(0, str(ROOT))
    from kg.build.index_stage import DocumentFiles, build_document_index
    from kg.search.encoder import load_encoder

    folders = _folders(cache, limit)
    documents = [json.loads((f / "document.json").read_text(encoding="utf-8")) for f in folders]
    models = out / f"models-{mode}"

    def encoder_for(texts):
        return load_encoder("builtin:fr-word-vectors", models, corpus_texts=texts)

    cpu, wall = time.process_time(), time.perf_counter()
    if mode == "whole":
        from ingest.model import Passage
        from kg.jsonl import read_jsonl
        from kg.records import index_records, records_from_extraction_json
        from kg.search.index import SearchIndex

        passages = [p for f in folders for p in read_jsonl(f / "passages.jsonl")]
        extractions = [json.loads((f / "extraction.json").read_text(encoding="utf-8")) for f in folders]
        records = index_records([Passage.from_json(p) for p in passages], documents,
                                [records_from_extraction_json(x) for x in extractions])
        index = SearchIndex.build(records, encoder_for([r.text for r in records]))
        index.save(out / mode)
        config = index.config
    else:
        config = build_document_index(documents, [DocumentFiles(f / "passages.jsonl", f / "extraction.json")
                                                  for f in folders], encoder_for, out / mode)
    return {"mode": mode, "documents": len(folders), "records": config["count"], "faiss": config["faiss"],
            "cpu_s": round(time.process_time() - cpu, 1), "wall_s": round(time.perf_counter() - wall, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "load": round(os.getloadavg()[0], 2)}


def same_files(a: Path, b: Path) -> list[str]:
    """Files that differ (or exist on one side only) between two index folders."""
    differ = []
    for path in sorted(p for p in a.rglob("*") if p.is_file()):
        other = b / path.relative_to(a)
        if not other.exists() or not filecmp.cmp(path, other, shallow=False):
            differ.append(str(path.relative_to(a)))
    differ += [str(p.relative_to(b)) for p in b.rglob("*") if p.is_file() and not (a / p.relative_to(b)).exists()]
    return differ


def same_answers(out: Path) -> bool:
    sys.path.insert(0, str(ROOT))
    from kg.search.encoder import load_encoder
    from kg.search.index import SearchIndex

    answers = []
    for mode in ("whole", "streamed"):
        index = SearchIndex.load(out / mode)
        encoder = load_encoder("builtin:fr-word-vectors", out / f"models-{mode}")
        answers.append([[index.records[i].id for i in index.dense_scores(encoder.encode_queries([q])[0], None, 10)]
                        + [index.records[int(i)].id for i in index.lexical.scores(q).argsort()[-10:]]
                        for q in QUESTIONS])
    return answers[0] == answers[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cache", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--limit", type=int)
    parser.add_argument("--mode", choices=("whole", "streamed"), help=argparse.SUPPRESS)  # one child's run
    args = parser.parse_args()
    if args.mode:
        print(json.dumps(run(args.mode, args.cache, args.limit, args.out)))
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    for mode in ("whole", "streamed"):
        child = [sys.executable, __file__, str(args.cache), "--out", str(args.out), "--mode", mode]
        if args.limit:
            child += ["--limit", str(args.limit)]
        # One hash seed for both: bm25s orders its vocabulary by a set, so two processes with
        # random seeds write different (equivalent) lexical files even from the same texts.
        env = dict(os.environ, PYTHONHASHSEED="0")
        print(subprocess.run(child, check=True, capture_output=True, text=True, env=env).stdout.strip(), flush=True)
    differ = same_files(args.out / "whole", args.out / "streamed")
    print(json.dumps({"files_differ": differ, "same_answers": same_answers(args.out)}))
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
