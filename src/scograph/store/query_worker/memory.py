"""A query worker's memory: its address-space cap, the check that it fits under it, and giving
freed memory back after a query (glibc keeps it otherwise)."""

from __future__ import annotations

import ctypes
import os
import resource


def _libc():
    try:
        return ctypes.CDLL(None)
    except OSError:
        return None


_LIBC = _libc()  # loaded once: a CDLL per query cost more than the trim itself

#: The heap is trimmed after a query that left the process this much larger than after the
#: last trim, or that failed (a trim costs ~0.06 ms, reading the resident size ~0.01 ms; a
#: query that builds 100 MB to answer 10 bytes must still give the 100 MB back).
TRIM_GROWTH_BYTES = 4 * 1024 * 1024
_PAGE_BYTES = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def open_statm() -> int | None:
    try:
        return os.open("/proc/self/statm", os.O_RDONLY | os.O_CLOEXEC)
    except (OSError, AttributeError):
        return None


def statm_bytes(statm: int | None, field: int) -> int | None:
    """One field of ``/proc/self/statm`` opened once (0: address space, 1: resident), in bytes; a
    pread at offset 0 reads it afresh (~2 us, against ~15 us for an open() each time). None where
    /proc is not there."""
    if statm is None:
        return None
    try:
        return int(os.pread(statm, 128, 0).split()[field]) * _PAGE_BYTES
    except (OSError, ValueError, IndexError):
        return None


def resident_bytes(statm: int | None) -> int | None:
    """This process's resident size; None where /proc is not there: then every query trims."""
    return statm_bytes(statm, 1)


def trim_heap() -> None:
    """Give freed memory back to the system after a query (glibc keeps it otherwise)."""
    try:
        _LIBC.malloc_trim(0)
    except AttributeError:  # no C library, or not glibc
        pass


def check_room(memory_mb: int, in_memory: bool, statm: int | None) -> None:
    """Fail the start, naming the options, when this worker already takes the address space the
    cap would allow: under the cap every allocation would then fail, and every query with it."""
    size = statm_bytes(statm, 0)
    if memory_mb <= 0 or size is None:  # no cap, or no /proc: nothing to compare
        return
    if size >= memory_mb * 1024 * 1024:
        fix = ("raise it, or lower --in-memory-quads so that the release is queried on disk" if in_memory
               else "raise it")
        where = " with the release copied into memory" if in_memory else ""
        raise MemoryError(
            f"a query worker{where} already takes {size >> 20} MiB of address space, more than the "
            f"{memory_mb} MiB a query worker may use (--query-memory-mb): {fix}"
        )


def limit_memory(megabytes: int) -> None:
    """Cap the address space: a query that would need more dies (Rust aborts on a failed
    allocation) instead of pushing the whole server into swap or the OOM killer."""
    if megabytes > 0:
        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
