"""``scograph serve``: the app under granian, on the current release (built first if there is none).

How the processes combine (measured on 2 cores, see benchmarks/REPORT-endpoint.md):

- The SPARQL engine runs in the query worker processes, outside any GIL,
  so engine work already spreads over every core. What does not spread is
  the web side: Flask dispatch and the response policies are Python under
  one GIL per process (~0.35 ms of CPU per ``/healthz`` in all, granian
  included), so one process serves on one core at a time.
- So by default there is **one granian worker process per core** (capped by
  ``--max-concurrent-queries``), each **owning its share of the query pool**,
  created in that process: ``ceil(max_concurrent / processes)`` query workers
  and ``ceil(max_queued / processes)`` queue places. The total bound stays what
  was asked for; a shared pool across processes would need a broker process and
  one more hop per query, which costs more than the bound's coarseness.
  The price: a process whose share is busy refuses (429) even if the other
  has room, and ``/healthz`` shows the pool of the process that answered.
  ``--workers 1`` gives one exact, server-wide bound.
- With a process for every core, each is kept on a core of its own with its
  query workers (``ServeOptions.process_cores``, ``--no-pin-cores`` to stop it).
- Threads per process (granian's "blocking threads", the ones that run the
  WSGI app) = its running + queued queries + 4 spare (pages, ``/healthz``), so
  that requests are refused by the pool's bound (fast 429), not left waiting.

Why granian (benchmarks/REPORT-endpoint.md, "HTTP server"): it reads requests
in Rust (hyper, tokio) and hands a thread only a complete request head, so a
client that trickles its headers costs a socket, not a thread; it closes any
connection that has not sent a whole head within ``HEADER_READ_TIMEOUT``
(idle keep-alive ones included) and refuses a head over ``MAX_HEAD_BYTES``
(431). Bodies are limited by the app (413, ``--max-query-bytes``); a body is
streamed to its thread, so at most half the threads may wait on slow bodies
(``web/body_gate.py``). Under gunicorn gthread 200 clients trickling their
headers held every thread and starved the server.

No timeout kills a web worker for being busy: a query past its limit is stopped
by the pool (its process is killed), never by the server killing the worker
with every other request in it. On SIGTERM/SIGINT the main process asks each
worker to stop and waits up to ``graceful_timeout`` (above the query time limit)
for its requests to finish; a worker closes its store (and so its query workers)
when it exits. Workers die with the main process however it dies (kill -9
included: PR_SET_PDEATHSIG), and query workers with their web worker.

granian applies no forwarding header (``X-Forwarded-Proto``/``-Host``,
``Forwarded``, ``X-Script-Name``: the WSGI scheme, host and ``SCRIPT_NAME``
are those of the connection), so there is nothing to switch off here: whether a
proxy is trusted stays the app's decision alone (``--trust-forwarded-headers``, see
:mod:`scograph.web.origin`).

The modules: :mod:`~scograph.serve.options` (what is asked for, and the processes and
threads that follow), :mod:`~scograph.serve.checks` (what is checked before anything
starts), :mod:`~scograph.serve.server` (granian's main process) and
:mod:`~scograph.serve.worker` (what runs in each HTTP worker process).
"""

from __future__ import annotations

from dataclasses import replace

from scograph.config import Settings
from scograph.release import Release, ReleaseNotFound, current_release
from scograph.serve.checks import (
    PortInUse,
    ServeError,
    check_network_walls,
    check_port,
    check_remote,
    origin_line,
    with_public_url,
)
from scograph.serve.options import (
    BACKLOG,
    CONNECTIONS_PER_PROCESS,
    HEADER_READ_TIMEOUT,
    MAX_HEAD_BYTES,
    ServeOptions,
)
from scograph.serve.server import ScographServer
from scograph.serve.worker import make_store

__all__ = [
    "BACKLOG", "CONNECTIONS_PER_PROCESS", "HEADER_READ_TIMEOUT", "MAX_HEAD_BYTES", "PortInUse",
    "ScographServer", "ServeError", "ServeOptions", "check_port", "ensure_release", "make_store",
    "origin_line", "serve", "with_public_url",
]


def ensure_release(settings: Settings, log_line=lambda msg: None) -> Release:
    """The current release of ``settings.build_dir``, built first if there is none
    (or if it was built for another base IRI than the one asked for)."""
    try:
        release = current_release(settings.build_dir)
        if release.base_iri == settings.base_iri:
            return release
        log_line(f"the current release uses {release.base_iri}; building one for {settings.base_iri}")
    except ReleaseNotFound:
        log_line(f"no release in {settings.build_dir}: building one")
    from scograph.build import build

    return build(settings, log=log_line)


def serve(options: ServeOptions, settings: Settings, log_line=lambda msg: None) -> None:
    options = replace(options, port=check_port(options.host, options.port))
    options = with_public_url(options)
    if options.store_url:
        try:  # a local release, if any, tells the base IRI; the data comes from the remote store
            release: Release | None = current_release(settings.build_dir)
        except ReleaseNotFound:
            release = None
        check_remote(options, release)
    else:
        release = ensure_release(settings, log_line)
        check_network_walls(options, log_line)
    if release is not None:
        log_line(f"serving release {release.version} ({release.path}) on http://{options.host}:{options.port}/")
    else:
        log_line(f"serving {options.store_url} on http://{options.host}:{options.port}/")
    log_line(origin_line(options, release.base_iri if release is not None else None))
    ScographServer(options, release).run()
