"""The build's worker processes: one per core, forked once, killed with the build.

Validation jobs and dump writers run in the same pool, forked before the
sources are read so that each worker starts small (its memory is its own job's,
not a copy-on-write share of the parent's) and so that the whole process tree
stays within what one build needs.
"""

from __future__ import annotations

import ctypes
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


def worker_pool(workers: int | None = None) -> ProcessPoolExecutor:
    """A process pool of ``workers`` (default: one per core) that die with this process.

    fork, whatever the platform's default: the workers are then children of this
    process, which is what ``_die_with_parent`` checks (forkserver would be their parent).
    """
    return ProcessPoolExecutor(
        max_workers=workers or cores(),
        mp_context=multiprocessing.get_context("fork"),
        initializer=_die_with_parent,
        initargs=(os.getpid(),),
    )


def _warm() -> int:
    # Imported here, while the parent reads the sources, not in the first validation job.
    import pyshacl  # noqa: F401

    import scograph.validate_fast  # noqa: F401

    return os.getpid()


def start_workers(pool: ProcessPoolExecutor) -> None:
    """Fork every worker now (a fork pool starts all of them on its first job) and let them import."""
    pool.submit(_warm)
