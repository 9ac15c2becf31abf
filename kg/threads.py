"""Native thread limits for answering queries.

A query is small work: one question to encode, one inner product over some thousand vectors.
Native libraries (FAISS and the e5 engine through OpenMP, numpy through OpenBLAS, torch) start
one thread per core by default, and on a shared machine those threads fight every other process
for the cores: measured on 2 cores with a load average near 4, a hybrid query took 260 ms (p50)
with default threads and 26 ms with one thread. OpenMP teams also spin while they wait, so one
busy core elsewhere stalls every parallel region.

`limit_query_threads()` is called by every entry point that answers queries (`contrats search`,
`compare`, `eval --search`, `serve`, the app) before the native libraries load: it sets the
usual variables (unless the user set them) and limits the libraries already loaded.
`CONTRATS_QUERY_THREADS` changes the count (default 1). Builds keep the default threads: they
encode thousands of passages, where threads pay.
"""

from __future__ import annotations

import sys

from ingest import environment

_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
              "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


def query_threads() -> int:
    try:
        return max(1, environment.whole("CONTRATS_QUERY_THREADS", 1) or 1)
    except ValueError:
        return 1


def set_thread_variables(n: int) -> int:
    """The environment variables native libraries read when they load (those the user set are kept)."""
    for name in _VARIABLES:
        environment.set_default(name, str(n))
    environment.set_default("OMP_WAIT_POLICY", "PASSIVE")  # waiting OpenMP threads sleep, not spin
    environment.set_default("TOKENIZERS_PARALLELISM", "false")
    return n


def limit_query_threads(threads: int | None = None) -> int:
    """Limit native threads for query answering; returns the count applied."""
    n = set_thread_variables(threads or query_threads())
    if "faiss" in sys.modules:
        sys.modules["faiss"].omp_set_num_threads(n)
    if "torch" in sys.modules:
        torch = sys.modules["torch"]
        torch.set_num_threads(n)
    if "numpy" in sys.modules:  # BLAS already loaded: limit it in place
        try:
            from threadpoolctl import threadpool_limits

            threadpool_limits(n)
        except Exception:  # pragma: no cover - threadpoolctl missing or a library it cannot drive
            pass
    return n
