"""A Dask cluster as the build's executor (the optional `[distributed]` extra).

`contrats build --dask ADDRESS` sends each document to the workers of a `dask.distributed`
scheduler (`tcp://host:8786`; `local` starts a cluster of one worker process per core on this
machine) through the client's `concurrent.futures` executor, the seam kg.build.document_pool already
takes. The workers need this package installed and the corpus, reference tables and data
directory's cache at the same paths (a shared file system): a document's results are written to
the cache folder by the worker that processed it.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import contextmanager


class DaskMissing(RuntimeError):
    pass


@contextmanager
def dask_executor(address: str, workers: int | None = None) -> Iterator[Executor]:
    """An Executor over the Dask scheduler at `address` ("local": a local cluster)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as e:
        raise DaskMissing("--dask needs the [distributed] extra: pip install 'contrats-kg[distributed]'") from e
    cluster = None
    if address == "local":
        # One single-threaded worker process per core: a document's reader holds the GIL.
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
        address = cluster.scheduler_address
    client = Client(address)
    try:
        yield client.get_executor()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
