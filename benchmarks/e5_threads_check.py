"""e5 passage vectors as a build computes them — torch imported first, the engine on two threads —
against the engine's own (the unpacked-weights hook off): cosine per passage.

Until 2026-12-07 night the hook handed the engine's parallel regions to another OpenMP runtime than
the one a process that had imported torch first binds the engine to (kg/search/e5_native.py): this
script measures what that did, on any checkout (`--checkout` for an older one).

    .venv/bin/python benchmarks/e5_threads_check.py [--checkout DIR] [--n 300]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

_ENCODE = """
import json, sys
import torch  # noqa: F401  (as a build: sentence-transformers loads torch before the engine runs)
import numpy as np
from kg.search import e5_native
from kg.search.e5_encoder import _engine
texts = json.loads(sys.stdin.read())
engine = _engine(2)
vectors = np.concatenate([np.asarray(engine.encode(texts[i:i + 32], is_query=False)).reshape(-1, 384)
                          for i in range(0, len(texts), 32)])
print(json.dumps({"kernel": e5_native.kernel(), "vectors": vectors.tolist()}))
"""


def _encode(checkout: Path, texts: list[str], **env: str) -> dict:
    out = subprocess.run([sys.executable, "-c", _ENCODE], input=json.dumps(texts), capture_output=True, text=True,
                         cwd=checkout, check=True, timeout=1800,
                         env=dict(os.environ, PYTHONPATH=str(checkout), OMP_NUM_THREADS="2", **env)).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkout", type=Path, default=ROOT, help="the code to measure (default: this checkout)")
    ap.add_argument("--n", type=int, default=300, help="passages (lines of 8 words or more of the Arras contract)")
    args = ap.parse_args(argv)
    lines = [line.strip() for line in (ROOT / "corpus" / "arras_2024_contrat-de-ville.txt").read_text(encoding="utf-8")
             .splitlines() if len(line.split()) >= 8]
    texts = lines[::max(1, len(lines) // args.n)][:args.n]
    hooked = _encode(args.checkout.resolve(), texts)
    shipped = _encode(ROOT, texts, CONTRATS_E5_UNPACKED="0")
    a, b = np.asarray(hooked["vectors"]), np.asarray(shipped["vectors"])
    cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    print(f"{len(texts)} passages; hook {hooked['kernel'] or 'refused'}; bit for bit: {np.array_equal(a, b)}; "
          f"cosine to the engine's own: mean {cos.mean():.4f}, min {cos.min():.4f}")


if __name__ == "__main__":
    main()
