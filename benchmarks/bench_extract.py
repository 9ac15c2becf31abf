"""Extraction time per document with the learned model (issue 11: a 300-page contract < 30 s).

    .venv/bin/python benchmarks/bench_extract.py corpus/*.txt

Prints, per document: units, ingest seconds, extraction seconds (the French morphologizer loaded
once per process, timed apart), and the machine's load average before and after, since this
machine is shared and a figure without its load means little.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path


def main() -> None:
    from ingest.corpus import ingest_file
    from ingest.extract.pipeline import extract
    from ingest.extract.unit_features import _nlp
    from ingest.units import units_of

    print(f"load average before: {os.getloadavg()}")
    t = time.perf_counter()
    _nlp()
    print(f"spaCy morphologizer load: {time.perf_counter() - t:.1f} s (once per process)")
    reference = Path("reference/qpv_2024_communes_full.csv")
    for name in sys.argv[1:]:
        t = time.perf_counter()
        ingested = ingest_file(Path(name))
        t_ingest = time.perf_counter() - t
        t = time.perf_counter()
        x = extract(ingested.document, ingested.passages, reference_csv=reference)
        t_extract = time.perf_counter() - t
        print(f"{ingested.document.id:30} {len(units_of(ingested.passages)):6} units  {len(ingested.document.text):8} chars  "
              f"ingest {t_ingest:5.1f} s  extract {t_extract:5.1f} s  ({len(x.commitments)} commitments)")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
