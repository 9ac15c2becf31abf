"""Per-document work in worker processes: in parallel, and one crash costs one document.

Reading a PDF runs MuPDF's C code, and a malformed file can make it crash the whole process
(a segmentation fault is no Python exception: nothing in-process can catch it). So every
document is processed in a worker process. The pool is sized to the cores (`--workers`), and
the executor is a seam: any `concurrent.futures.Executor` (a Dask client's `get_executor()`
spreads a national build over machines) can take the pool's place.

When a worker dies, `ProcessPoolExecutor` fails every document it still held, whichever one
killed it. Those documents are then run again one at a time, each in a process of its own: the
ones that finish are kept, and the one that crashes again is reported with its signal, one line.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

T = TypeVar("T")
_CONTEXT = "spawn"  # a fresh interpreter: forking a parent that loaded OpenMP or torch can deadlock


def default_workers() -> int:
    """The cores this process may use (a container's CPU set, not the host's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


class WorkerCrashed(Exception):
    """The process working on an item died without an answer (a signal, or a hard exit)."""

    def __init__(self, exitcode: int | None) -> None:
        if exitcode is not None and exitcode < 0:
            try:
                name = signal.Signals(-exitcode).name
            except ValueError:
                name = f"signal {-exitcode}"
            cause = f"the reader crashed ({name})"
        elif exitcode is None:
            cause = "the worker process did not answer"
        else:
            cause = f"the worker process exited with status {exitcode}"
        super().__init__(cause)
        self.exitcode = exitcode


def run_each(job: Callable[[Any], T], items: Sequence[Any], workers: int | None = None,
             executor: Executor | None = None) -> Iterator[tuple[int, T | BaseException]]:
    """Yield (position, result or exception) for every item as it finishes.

    `job` must be picklable (a module-level function or a functools.partial of one) and should
    turn its expected failures into results itself; an exception it raises, or the death of its
    process (WorkerCrashed), is yielded in place of a result, never raised.
    """
    if not items:
        return
    if executor is not None:
        yield from _gather(executor, job, list(enumerate(items)))
        return
    workers = max(1, min(workers or default_workers(), len(items)))
    lost: list[tuple[int, Any]] = []
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(_CONTEXT),
                             initializer=watch_parent, initargs=(os.getpid(),)) as pool:
        for n, outcome in _gather(pool, job, list(enumerate(items))):
            if isinstance(outcome, BrokenProcessPool):
                lost.append((n, items[n]))
            else:
                yield n, outcome
    for n, item in sorted(lost, key=lambda x: x[0]):
        yield n, _alone(job, item)


PARENT_POLL_SECONDS = 1.0


def watch_parent(parent: int) -> None:
    """In a worker: exit as soon as the process that started it is gone.

    A build killed outright (SIGKILL, the kernel's out-of-memory killer) cannot stop its pool, and a
    pool worker waiting for its next document never learns that nobody will send one: it stayed
    alive, holding its models (0.7 GB each), until the machine restarted. The worker is
    re-parented when its parent dies, which a thread of its own notices within a second."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_SECONDS)
        os._exit(1)

    if os.getppid() != parent:  # already gone before the worker started
        os._exit(1)
    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _gather(executor: Executor, job: Callable, numbered: list[tuple[int, Any]]) -> Iterator[tuple[int, Any]]:
    futures: dict[Future, int] = {}
    for n, item in numbered:
        try:
            futures[executor.submit(job, item)] = n
        except BrokenProcessPool as e:  # the pool broke while we were still submitting
            yield n, e
    for future in as_completed(futures):
        try:
            yield futures[future], future.result()
        except BaseException as e:  # handed to the caller as this item's outcome
            yield futures[future], e


def _alone(job: Callable[[Any], T], item: Any) -> T | BaseException:
    """Run `job(item)` in a process of its own, to learn whether this item is the one that kills."""
    ctx = multiprocessing.get_context(_CONTEXT)
    receive, send = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child, args=(job, item, send, os.getpid()), daemon=True)
    process.start()
    send.close()
    try:
        outcome = receive.recv()
    except EOFError:  # the child died before answering
        process.join()
        return WorkerCrashed(process.exitcode)
    finally:
        receive.close()
    process.join()
    return outcome


def _child(job: Callable, item: Any, send, parent: int) -> None:
    watch_parent(parent)
    try:
        outcome = job(item)
    except BaseException as e:  # sent back as the outcome
        outcome = e
    send.send(outcome)
    send.close()
