"""The build's worker processes: one per core, forked once, killed with the build.

The validation workers are forked before the sources are read, so each starts
small, and exit when validation ends, so what their jobs allocated is freed;
the dump writers are forked after, sharing the parent's pages without
touching them (their inputs are files and small arguments). The search indexer,
which opens the release store, is spawned instead (``spawned_worker``).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import multiprocessing
import os
import signal
from concurrent.futures import ProcessPoolExecutor

_PR_SET_PDEATHSIG = 1


def cores() -> int:
    """Cores this process may run on (the affinity mask, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _die_with_parent(parent_pid: int) -> None:
    """Pool initializer: the kernel kills this process when the build that started it dies,
    however it dies (``kill -9`` included), so no worker runs on for nobody."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the pool's pipes closing still ends its loop
        return
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)


def worker_pool(workers: int | None = None, start: str = "fork") -> ProcessPoolExecutor:
    """A process pool of ``workers`` (default: one per core) that die with this process.

    fork, whatever the platform's default: the workers are then children of this
    process, which is what ``_die_with_parent`` checks (forkserver would be their parent).
    ``start="spawn"``: a fresh interpreter, still a child of this process (see ``spawned_worker``).
    """
    return ProcessPoolExecutor(
        max_workers=workers or cores(),
        mp_context=multiprocessing.get_context(start),
        initializer=_die_with_parent,
        initargs=(os.getpid(),),
    )


def _warm() -> int:
    # Imported here, while the parent reads the sources, not in the first validation job.
    import pyshacl  # noqa: F401

    import scograph.validate.fast  # noqa: F401

    return os.getpid()


def start_workers(pool: ProcessPoolExecutor) -> None:
    """Fork every worker now (a fork pool starts all of them on its first job) and let them import.

    The collector is frozen over the fork: a worker's garbage collections then never
    write to (and so never copy) the pages of objects it inherited from this process.
    """
    gc.freeze()
    try:
        pool.submit(_warm)
    finally:
        gc.unfreeze()


def return_free_memory() -> None:
    """Give the memory of freed objects back to the system (glibc keeps it otherwise)."""
    gc.collect()
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


@contextlib.contextmanager
def stage_pool():
    """Workers (one per core, started now) for one stage of the build.

    On failure the queued jobs are dropped and the workers stopped at once; waiting
    for minutes of dump writing that nobody will use is what ``with pool`` would do.
    """
    pool = worker_pool()
    start_workers(pool)
    with _stopped_at_once_on_failure(pool):
        yield pool


@contextlib.contextmanager
def _stopped_at_once_on_failure(pool):
    """Shut ``pool`` down when the block ends: waiting for its jobs if it succeeded, killing
    its workers at once (queued jobs dropped) if it failed."""
    try:
        yield
    except BaseException:
        processes = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.kill()
        raise
    else:
        pool.shutdown(wait=True)


def _ready() -> int:
    return os.getpid()


@contextlib.contextmanager
def spawned_worker():
    """One worker in a fresh interpreter (spawned, not forked), started now, for the build's
    jobs that open the release store (the search index).

    Not forked: RocksDB in a child forked from a process that has opened a store (a test
    run, a server) can wait forever on a lock whose holder was not copied by fork. Not a
    thread: its Python would share this process's GIL with the dumps' writer, which
    releases the GIL at every write and waits for it back. Started from the calling
    thread, which must outlive it (the kernel's parent-death signal follows the thread).
    """
    pool = worker_pool(1, start="spawn")
    pool.submit(_ready)
    with _stopped_at_once_on_failure(pool):
        yield pool
