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
- **byte cap**: answers are cut at ``max_result_bytes`` while the worker
  serializes them (truncated, as for rows), never built whole.
- **memory cap**: each worker's address space is limited (``memory_mb``); a
  query that needs more kills its worker and gets :class:`QueryTimeout` (503),
  like one that runs too long. A worker that dies otherwise (a signal, a
  crash) is told apart by its exit status: :class:`QueryCrashed` (500) says how.
- **network walls**: each worker cuts itself off the network (an empty network
  namespace, a seccomp filter; see :mod:`scograph.store.query_worker`); a
  worker that can raise neither fails to start unless ``require_network_wall``
  is off (``scograph serve --unsafe-allow-network``).
- **in memory when small**: a release of at most ``in_memory_quads`` quads is
  copied into each worker's memory at start (Oxigraph's in-memory store answers
  2.4-3.2x faster than RocksDB; about 0.5 KB a quad per worker, and a second a
  100,000 quads to start); larger ones are queried on disk.
- **guard**: :mod:`scograph.sparql.guard` refuses updates, SERVICE and remote
  FROM before a worker sees the query, for every caller (pages included).

A release never changes, so the same query always has the same answer: small
results are kept in a bounded in-memory LRU cache (``result_cache_bytes``,
0 to turn it off). A cached answer costs no worker and no engine time; the
pages, which ask the same few queries again and again, benefit most.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence

from scograph.release import Release
from scograph.sparql.guard import check_query, graph_form, screen
from scograph.store import query_worker
from scograph.store.cache import ResultCache, result_key
from scograph.store.base import (
    N_TRIPLES,
    SPARQL_JSON,
    QueryCrashed,
    QueryError,
    QueryOutcome,
    QueryRefused,
    QueryTimeout,
    Store,
    StoreUnavailable,
)
from scograph.store.pool import STARTUP_TIMEOUT, PoolLimits, WorkerPool, describe_exit, probe_network_walls

__all__ = ["EmbeddedStore", "PoolLimits", "WorkerPool", "STARTUP_TIMEOUT", "describe_exit", "probe_network_walls"]

# Kept for callers that imported the format tables from here.
RESULTS_FORMATS = query_worker.RESULTS_FORMATS
GRAPH_FORMATS = query_worker.GRAPH_FORMATS


#: Largest release copied into each query worker's memory: ~125 MB and ~2.5 s per worker at this size
#: (benchmarks/REPORT-endpoint.md, "Third pass"); the default dataset has ~4,200 quads.
DEFAULT_IN_MEMORY_QUADS = 250_000


def copied_into_memory(release: Release, in_memory_quads: int = DEFAULT_IN_MEMORY_QUADS) -> bool:
    """Whether the query workers of ``release`` query a copy in memory (a size not said is not guessed)."""
    return release.quads is not None and release.quads <= in_memory_quads


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
        network_walls: tuple[str, ...] = PoolLimits.network_walls,
        require_network_wall: bool = PoolLimits.require_network_wall,
        memory_mb: int = PoolLimits.memory_mb,
        max_result_bytes: int = PoolLimits.max_result_bytes,
        result_cache_bytes: int = 16 * 1024 * 1024,
        result_cache_entry_bytes: int = 1024 * 1024,
        in_memory_quads: int = DEFAULT_IN_MEMORY_QUADS,
    ):
        if workers < 1:
            raise ValueError("workers must be at least 1")
        if not release.store_path.is_dir():
            raise FileNotFoundError(f"{release.store_path} is missing: the release has no Oxigraph store")
        self._release = release
        if max_result_bytes < 1024:
            raise ValueError("max_result_bytes must be at least 1024")
        self.limits = PoolLimits(
            workers, max_queued, queue_timeout, timeout, max_results,
            tuple(network_walls), require_network_wall, memory_mb, max_result_bytes,
            in_memory=copied_into_memory(release, in_memory_quads),
        )
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

    @property
    def result_cache_budget(self) -> tuple[int, int] | None:
        """(bytes in all, bytes per entry) of the result cache; None when it is off.

        The web layer keeps its replayed answers (:mod:`scograph.web.fast_path`) within the same bounds."""
        if self._cache is None:
            return None
        return self._cache.max_bytes, self._cache.max_entry_bytes

    def _workers(self) -> WorkerPool:
        # Started on first use, in the process that uses it: a web worker
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
        # A query whose text shows nothing to refuse goes to the engine unread, which
        # tells its form (guard.screen); any other is read by the guard first.
        info = None if screen(query) else check_query(query, self._graphs)
        for graph in (*default_graph_uris, *named_graph_uris):
            if graph not in self._graphs:
                raise QueryRefused(f"<{graph}> is not a graph of this dataset")
        if results_media_type not in RESULTS_FORMATS:
            raise ValueError(f"unsupported results media type {results_media_type}")
        if graph_media_type not in GRAPH_FORMATS:
            raise ValueError(f"unsupported graph media type {graph_media_type}")
        effective_max = self.limits.max_results if max_results is None else max_results
        if info is None:  # the form is known after the run: the key holds both possible types
            media_type = f"{results_media_type} {graph_media_type}"
        else:
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
            "query_has_dataset": info is not None and bool(info.from_graphs or info.from_named_graphs),
            "max_bytes": self.limits.max_result_bytes,
        }
        reply = self._workers().run(request, self.limits.timeout if timeout is None else timeout)
        try:
            outcome = self._outcome(info.form if info is not None else None, reply, query)
        except QueryError:
            if info is None:  # the engine refused a query the guard did not read: the guard's words, if it has any
                check_query(query, self._graphs)
            raise
        if self._cache is not None:
            self._cache.put(key, outcome)
        return outcome

    @staticmethod
    def _outcome(form: str | None, reply: tuple, query: str) -> QueryOutcome:
        status = reply[0]
        if status == "query-error":
            raise QueryError(reply[1])
        if status == "error":
            raise RuntimeError(f"query failed in the worker: {reply[1]}")
        _ok, answered_form, answered_type, body, count, truncated = reply
        if form is None:
            form = answered_form if answered_form != "CONSTRUCT" else graph_form(query)
        return QueryOutcome(form, answered_type, body, count, truncated)

    def check(self, timeout: float) -> None:
        """Read the store through a worker, never the cache; StoreUnavailable says why it cannot."""
        request = {
            "query": "ASK { ?s ?p ?o }",
            "results_media_type": SPARQL_JSON,
            "graph_media_type": N_TRIPLES,
            "default_graph_uris": (),
            "named_graph_uris": (),
            "max_results": 1,
            "max_bytes": self.limits.max_result_bytes,
        }
        pool = self._workers()
        try:
            reply = pool.run(request, timeout / 2, wait=timeout / 2)  # both within ``timeout``
        except (QueryTimeout, QueryCrashed) as exc:
            raise StoreUnavailable(str(exc)) from None
        if reply[0] != "ok":
            raise StoreUnavailable(f"the store cannot be read: {reply[1]}")

    def close(self) -> None:
        with self._pool_lock:
            if self._pool is not None:
                self._pool.close()
                self._pool = None
