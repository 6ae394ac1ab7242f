"""What runs in each HTTP worker process: its own store (and so its own query pool), its logging,
and the WSGI app granian calls; the worker dies with the main process and closes its store on exit."""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys

from scograph.release import Release
from scograph.serve.options import ServeOptions
from scograph.sparql.protocol import FORM_OVERHEAD, FORM_SLACK
from scograph.store.base import Store
from scograph.web.app import create_app
from scograph.web.body_gate import BodyGate


def make_store(options: ServeOptions, release: Release | None) -> Store:
    """The store an HTTP worker process answers from (created in that process)."""
    if options.store_url:
        from scograph.store.remote import RemoteStore  # issue 5; imported only when asked for

        return RemoteStore(
            options.store_url,
            base_iri=release.base_iri if release is not None else None,
            query_timeout=options.web.query_timeout,
            max_results=options.web.max_results,
            max_concurrent_queries=options.query_workers_per_process,
            max_response_bytes=options.web.max_result_bytes,
            result_cache_bytes=int(options.result_cache_mb * 1024 * 1024),
        )
    from scograph.store.embedded import EmbeddedStore

    assert release is not None
    store = EmbeddedStore(
        release,
        workers=options.query_workers_per_process,
        max_queued=options.queued_per_process,
        queue_timeout=options.queue_timeout,
        timeout=options.web.query_timeout,
        max_results=options.web.max_results,
        result_cache_bytes=int(options.result_cache_mb * 1024 * 1024),
        memory_mb=options.query_memory_mb,
        max_result_bytes=options.web.max_result_bytes,
        require_network_wall=not options.unsafe_allow_network,
        in_memory_quads=options.in_memory_quads,
    )
    store.start()
    return store


def configure_logging(level: str) -> None:
    # A record per query: skip what no line of ours prints (the caller's file and line, which
    # walk the stack; the thread and multiprocessing names), the logging HOWTO's optimisations.
    logging._srcfile = None
    logging.logThreads = False
    logging.logMultiprocessing = False
    logger = logging.getLogger("scograph")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s [%(process)d] %(name)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(level.upper())
    logger.propagate = False


_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent_pid: int) -> None:
    """Ask the kernel to SIGTERM this worker when the main process dies, however it dies
    (``kill -9`` included), so that no worker keeps the port and its query pool alive."""
    # Until granian installs the worker's own handlers, the fork carries the main process's,
    # which would swallow a SIGTERM sent while the app is still loading: die of it instead.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux
        return
    if os.getppid() != parent_pid:  # the parent died before the request took effect
        os._exit(1)


_STORES: list[Store] = []


def worker_app(options: ServeOptions, release: Release | None, parent_pid: int):
    """The WSGI app of one worker process, with its own store and query pool (runs in the worker)."""
    _die_with_parent(parent_pid)
    configure_logging(options.log_level)
    store = make_store(options, release)
    _STORES.append(store)
    # Search reads the local release's index file, also with --store URL (publish leaves it local).
    index = release.search_index_path if release is not None else None
    return BodyGate(
        create_app(store, options.web, search_index=index),
        slots=options.threads_per_process // 2,  # the other half always free for requests without a body
        max_bytes=FORM_OVERHEAD * options.web.max_query_bytes + FORM_SLACK,  # the largest body the app accepts
    )


def wsgi_worker(cores: tuple[int, ...] | None, worker_id: int, *args, **kwargs) -> None:
    """granian's WSGI worker (``worker_id`` counts from 1), on its core when ``cores`` are given,
    then closing the store (its query workers) when the worker exits."""
    from granian.server.mp import MPServer

    if cores:
        # Before the app loads: its threads and query workers inherit the affinity.
        os.sched_setaffinity(0, {cores[(worker_id - 1) % len(cores)]})
    try:
        MPServer._spawn_wsgi_worker(worker_id, *args, **kwargs)
    finally:
        while _STORES:
            _STORES.pop().close()
