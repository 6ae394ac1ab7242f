"""The embedded store: the release's on-disk Oxigraph store, queried by a pool of worker processes.

Why processes: pyoxigraph has no query timeout and no cancellation. A query
that must be stopped (a cartesian product, a regex over everything) can only
be stopped by killing the process running it, which frees the CPU at once.
So every query runs in one of ``workers`` processes
(:mod:`scograph.store.query_worker`), each with the store opened read-only:

- **time limit**: the pool waits ``timeout`` seconds for the answer, then
  SIGKILLs the worker and starts a fresh one in the background; the caller gets
  :class:`QueryTimeout` at once (the web layer answers 503 before any result byte,
  since results come back whole).
- **concurrency bound**: at most ``workers`` queries run; at most ``max_queued``
  more wait, each at most ``queue_timeout`` seconds; anything beyond gets
  :class:`StoreBusy` immediately (429), a waiter that times out gets StoreBusy too.
- **result-size cap**: at most ``max_results`` rows or triples are serialized;
  :class:`QueryOutcome` says when the result was truncated.
- **memory cap**: each worker's address space is limited (``memory_mb``); a
  query that needs more kills its worker and gets :class:`QueryTimeout` (503),
  like one that runs too long.
- **guard**: :mod:`scograph.sparql.guard` refuses updates, SERVICE and remote
  FROM before a worker sees the query, for every caller (pages included).

A release never changes, so the same query always has the same answer: small
results are kept in a bounded in-memory LRU cache (``result_cache_bytes``,
0 to turn it off). A cached answer costs no worker and no engine time; the
pages, which ask the same few queries again and again, benefit most.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection

from scograph.release import Release
from scograph.sparql.guard import check_query
from scograph.store import query_worker
from scograph.store.cache import ResultCache, result_key
from scograph.store.base import (
    N_TRIPLES,
    SPARQL_JSON,
    QueryError,
    QueryOutcome,
    QueryRefused,
    QueryTimeout,
    Store,
    StoreBusy,
)

log = logging.getLogger("scograph.store")

# Kept for callers that imported the format tables from here.
RESULTS_FORMATS = query_worker.RESULTS_FORMATS
GRAPH_FORMATS = query_worker.GRAPH_FORMATS

#: How long a fresh worker may take to start (interpreter, imports, opening the store).
STARTUP_TIMEOUT = 60.0


@dataclass(frozen=True)
class PoolLimits:
    """The bounds of the query worker pool; the defaults suit a small public server."""

    workers: int = 4  # queries running at once (one process each)
    max_queued: int = 64  # queries waiting for a worker; beyond that: StoreBusy at once
    queue_timeout: float = 2.0  # seconds a query may wait for a worker
    timeout: float = 10.0  # default time limit of a query, in seconds
    max_results: int = 10_000  # default cap on rows / triples in a result
    isolate_network: bool = True  # workers run in an empty network namespace when the OS allows
    memory_mb: int = 2048  # address-space cap of a worker (RLIMIT_AS); 0: none


class _Worker:
    def __init__(self, process: subprocess.Popen, conn: Connection):
        self.process = process
        self.conn = conn
        self.pid = process.pid
        self.network_isolated = False

    def kill(self) -> None:
        try:
            self.process.kill()
            self.process.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self.conn.close()


def _start_process(store_path: str, isolate_network: bool, memory_mb: int) -> tuple[subprocess.Popen, Connection]:
    """A worker is a plain ``python -m scograph.store.query_worker``: a fresh interpreter
    (never a fork of a threaded server) that does not re-import the server's main module."""
    parent_end, child_end = socket.socketpair()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "scograph.store.query_worker", str(child_end.fileno()), store_path,
             "1" if isolate_network else "0", str(memory_mb)],
            pass_fds=(child_end.fileno(),),
            stdin=subprocess.DEVNULL,
        )
    except BaseException:
        parent_end.close()
        raise
    finally:
        child_end.close()
    return process, Connection(parent_end.detach())


class WorkerPool:
    """A fixed number of query worker processes, a bounded wait queue, and replacement of killed workers."""

    def __init__(self, store_path: str, limits: PoolLimits):
        self._store_path = store_path
        self._limits = limits
        self._idle: list[_Worker] = []
        self._all: set[_Worker] = set()
        self._starting = 0
        self._waiting = 0
        self._closed = False
        self._cond = threading.Condition()
        # Workers are started from this one long-lived thread: the kernel kills a
        # worker when the *thread* that started it exits (PR_SET_PDEATHSIG).
        self._spawner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="scograph-query-pool")
        with self._cond:
            self._starting = limits.workers
        for _ in range(limits.workers):
            self._spawner.submit(self._start_worker)

    # -- workers ------------------------------------------------------------------

    def _start_worker(self) -> None:
        attempts = 0
        while not self._closed:
            attempts += 1
            process = None
            try:
                process, parent_conn = _start_process(
                    self._store_path, self._limits.isolate_network, self._limits.memory_mb
                )
                worker = _Worker(process, parent_conn)
                if not parent_conn.poll(STARTUP_TIMEOUT):
                    raise RuntimeError(f"did not start within {STARTUP_TIMEOUT:.0f} s")
                _ready, pid, isolated = parent_conn.recv()
                worker.network_isolated = isolated
            except Exception as exc:  # keep trying, slowly: the pool must heal itself
                log.error("query worker failed to start (attempt %d): %s", attempts, exc)
                if process is not None:
                    process.kill()
                    process.wait()
                time.sleep(min(5.0, 0.2 * attempts))
                continue
            with self._cond:
                if self._closed:
                    worker.kill()
                    return
                self._starting -= 1
                self._all.add(worker)
                self._idle.append(worker)
                self._cond.notify()
            if self._limits.isolate_network and not isolated:
                log.warning("query worker %s could not leave the network namespace; relying on the query guard", pid)
            return

    def _replace(self, worker: _Worker) -> None:
        with self._cond:
            self._all.discard(worker)
            self._starting += 1
        self._spawner.submit(self._kill_and_start, worker)

    def _kill_and_start(self, worker: _Worker) -> None:
        worker.kill()
        self._start_worker()

    # -- the bound ---------------------------------------------------------------

    def _acquire(self) -> _Worker:
        limits = self._limits
        with self._cond:
            if self._closed:
                raise StoreBusy("the store is shutting down")
            if not self._idle:
                if self._waiting >= limits.max_queued:
                    raise StoreBusy(
                        f"{limits.workers} queries are running and {self._waiting} are waiting; try again shortly"
                    )
                # While workers are (re)starting, a query may wait for them a little longer.
                deadline = time.monotonic() + (
                    max(limits.queue_timeout, 10.0) if not self._all else limits.queue_timeout
                )
                self._waiting += 1
                try:
                    while not self._idle and not self._closed:
                        remaining = deadline - time.monotonic()
                        if remaining <= 0:
                            raise StoreBusy(f"no query slot became free within {limits.queue_timeout:g} s; try again shortly")
                        self._cond.wait(remaining)
                finally:
                    self._waiting -= 1
                if self._closed:
                    raise StoreBusy("the store is shutting down")
            return self._idle.pop()

    def _release(self, worker: _Worker) -> None:
        with self._cond:
            if self._closed:
                worker.kill()
                return
            self._idle.append(worker)
            self._cond.notify()

    # -- queries -------------------------------------------------------------------

    def run(self, request: dict, timeout: float) -> tuple:
        worker = self._acquire()
        try:
            worker.conn.send(request)
            if not worker.conn.poll(timeout):
                self._replace(worker)
                raise QueryTimeout(f"the query ran longer than the limit of {timeout:g} s and was stopped")
            reply = worker.conn.recv()
        except (EOFError, OSError):
            # The worker died during the query: almost always its memory cap (a failed
            # allocation aborts it). For the client this is a resource limit, like time.
            self._replace(worker)
            log.warning("query worker %s died during a query (memory limit %s MB?)", worker.pid, self._limits.memory_mb)
            raise QueryTimeout(
                "the query was stopped: it needed more memory than a query may use "
                f"({self._limits.memory_mb} MB)"
            ) from None
        except QueryTimeout:
            raise
        except BaseException:
            self._replace(worker)  # state unknown: do not reuse
            raise
        self._release(worker)
        return reply

    def status(self) -> dict:
        with self._cond:
            return {
                "workers": len(self._all),
                "idle": len(self._idle),
                "starting": self._starting,
                "waiting": self._waiting,
                "network_isolated": all(w.network_isolated for w in self._all) if self._all else None,
                "pids": sorted(w.pid for w in self._all),
            }

    def close(self) -> None:
        with self._cond:
            self._closed = True
            workers = list(self._all)
            self._all.clear()
            self._idle.clear()
            self._cond.notify_all()
        for worker in workers:
            worker.kill()
        self._spawner.shutdown(wait=False, cancel_futures=True)


class EmbeddedStore(Store):
    """The release's Oxigraph store behind the :class:`Store` interface, with every safety bound on."""

    def __init__(
        self,
        release: Release,
        *,
        workers: int = PoolLimits.workers,
        max_queued: int = PoolLimits.max_queued,
        queue_timeout: float = PoolLimits.queue_timeout,
        timeout: float = PoolLimits.timeout,
        max_results: int = PoolLimits.max_results,
        isolate_network: bool = PoolLimits.isolate_network,
        memory_mb: int = PoolLimits.memory_mb,
        result_cache_bytes: int = 64 * 1024 * 1024,
        result_cache_entry_bytes: int = 1024 * 1024,
    ):
        if workers < 1:
            raise ValueError("workers must be at least 1")
        if not release.store_path.is_dir():
            raise FileNotFoundError(f"{release.store_path} is missing: the release has no Oxigraph store")
        self._release = release
        self.limits = PoolLimits(workers, max_queued, queue_timeout, timeout, max_results, isolate_network, memory_mb)
        self._graphs = frozenset(release.graphs)
        self._pool: WorkerPool | None = None
        self._pool_lock = threading.Lock()
        self._pool_pid = 0
        self._cache = ResultCache(result_cache_bytes, result_cache_entry_bytes) if result_cache_bytes > 0 else None

    @property
    def version(self) -> str:
        return self._release.version

    @property
    def base_iri(self) -> str:
        return self._release.base_iri

    @property
    def release(self) -> Release:
        return self._release

    @property
    def graph_iris(self) -> frozenset[str]:
        """The named graphs of the release (what FROM / default-graph-uri may name)."""
        return self._graphs

    def _workers(self) -> WorkerPool:
        # Started on first use, in the process that uses it: a gunicorn worker
        # forked from the master must not inherit the master's pool (or its threads).
        pool = self._pool
        if pool is not None and self._pool_pid == os.getpid():
            return pool
        with self._pool_lock:
            if self._pool is None or self._pool_pid != os.getpid():
                self._pool = WorkerPool(str(self._release.store_path), self.limits)
                self._pool_pid = os.getpid()
            return self._pool

    def start(self) -> None:
        """Start the worker processes now rather than on the first query."""
        self._workers()

    def status(self) -> dict:
        status = self._workers().status()
        if self._cache is not None:
            status["result_cache"] = self._cache.status()
        return status

    def run(
        self,
        query: str,
        *,
        results_media_type: str = SPARQL_JSON,
        graph_media_type: str = N_TRIPLES,
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
        timeout: float | None = None,
        max_results: int | None = None,
    ) -> QueryOutcome:
        info = check_query(query, self._graphs)
        for graph in (*default_graph_uris, *named_graph_uris):
            if graph not in self._graphs:
                raise QueryRefused(f"<{graph}> is not a graph of this dataset")
        if results_media_type not in RESULTS_FORMATS:
            raise ValueError(f"unsupported results media type {results_media_type}")
        if graph_media_type not in GRAPH_FORMATS:
            raise ValueError(f"unsupported graph media type {graph_media_type}")
        effective_max = self.limits.max_results if max_results is None else max_results
        media_type = graph_media_type if info.returns_graph else results_media_type
        key = result_key(query, media_type, default_graph_uris, named_graph_uris, effective_max)
        if self._cache is not None:
            cached = self._cache.get(key)
            if cached is not None:
                return cached
        request = {
            "query": query,
            "results_media_type": results_media_type,
            "graph_media_type": graph_media_type,
            "default_graph_uris": tuple(default_graph_uris),
            "named_graph_uris": tuple(named_graph_uris),
            "max_results": effective_max,
            "query_has_dataset": bool(info.from_graphs or info.from_named_graphs),
        }
        reply = self._workers().run(request, self.limits.timeout if timeout is None else timeout)
        status = reply[0]
        if status == "query-error":
            raise QueryError(reply[1])
        if status == "error":
            raise RuntimeError(f"query failed in the worker: {reply[1]}")
        _ok, _form, answered_type, body, count, truncated = reply
        outcome = QueryOutcome(info.form, answered_type, body, count, truncated)
        if self._cache is not None:
            self._cache.put(key, outcome)
        return outcome

    def close(self) -> None:
        with self._pool_lock:
            if self._pool is not None:
                self._pool.close()
                self._pool = None
