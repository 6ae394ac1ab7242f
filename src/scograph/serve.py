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
"""

from __future__ import annotations

import ctypes
import errno
import functools
import logging
import math
import os
import signal
import socket
import sys
from dataclasses import dataclass, field, replace

from scograph.config import Settings
from scograph.release import Release, ReleaseNotFound, current_release
from scograph.sparql.protocol import FORM_OVERHEAD, FORM_SLACK
from scograph.store.base import Store
from scograph.web.app import WebConfig, create_app
from scograph.web.body_gate import BodyGate

log = logging.getLogger("scograph.serve")

#: The request line and headers together may not exceed this (431 beyond); longer queries must be POSTed.
MAX_HEAD_BYTES = 16 * 1024
#: Seconds a client has to send a request's line and headers before its connection is closed.
HEADER_READ_TIMEOUT = 10.0
#: Connections waiting to be accepted, per worker process.
BACKLOG = 2048
#: Connections one worker process holds at once (granian's "backpressure"); more wait in the
#: backlog. Each costs a tokio task and its buffers, not a thread: slow clients are cheap to hold.
CONNECTIONS_PER_PROCESS = 2048


@dataclass(frozen=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int | None = None  # HTTP worker processes; None: one per core, at most one per query slot
    threads: int | None = None  # per worker process; None: enough for the query bound
    web: WebConfig = field(default_factory=WebConfig)
    max_queued_queries: int = 64
    queue_timeout: float = 2.0
    store_url: str | None = None  # a remote SPARQL endpoint instead of the embedded store
    result_cache_mb: float = 16.0  # per worker process (and as much for replayed answers); 0: both off
    query_memory_mb: int = 2048  # address-space cap of each query worker; 0: none
    in_memory_quads: int = 250_000  # releases up to this size are queried from memory (EmbeddedStore)
    unsafe_allow_network: bool = False  # serve even if query workers cannot be cut off the network
    log_level: str = "info"

    @property
    def processes(self) -> int:
        if self.workers is not None:
            return self.workers
        return max(1, min(os.cpu_count() or 1, self.web.max_concurrent_queries))

    @property
    def query_workers_per_process(self) -> int:
        return max(1, math.ceil(self.web.max_concurrent_queries / self.processes))

    @property
    def queued_per_process(self) -> int:
        return max(0, math.ceil(self.max_queued_queries / self.processes))

    @property
    def threads_per_process(self) -> int:
        if self.threads is not None:
            return self.threads
        return self.query_workers_per_process + self.queued_per_process + 4


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


def _configure_logging(level: str) -> None:
    logger = logging.getLogger("scograph")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s [%(process)d] %(name)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(level.upper())
    logger.propagate = False


class ScographServer:
    """granian, configured from Python: no config file, no re-import of a module path.

    The main process runs no app: it starts ``processes`` worker processes (forked
    from its main thread; each listens on the port itself, with SO_REUSEPORT),
    respawns one that crashes, and stops them on SIGTERM/SIGINT, each finishing
    its requests within ``graceful_timeout``.
    """

    def __init__(self, options: ServeOptions, release: Release | None):
        self.options = options
        self.release = release

    @property
    def graceful_timeout(self) -> int:
        # A worker asked to stop finishes its running queries (each stopped at the
        # query time limit at the latest) before it is killed.
        return max(10, int(self.options.web.query_timeout) + 5)

    def run(self) -> None:
        from granian.constants import HTTPModes, Interfaces
        from granian.http import HTTP1Settings
        from granian.log import LogLevels
        from granian.server.mp import MPServer

        o = self.options
        server = MPServer(
            "scograph.serve:app",  # only named in granian's log lines; the app comes from _worker_app
            address=o.host,
            port=o.port,
            interface=Interfaces.WSGI,
            http=HTTPModes.http1,
            websockets=False,
            workers=o.processes,
            blocking_threads=o.threads_per_process,
            backlog=BACKLOG,
            backpressure=CONNECTIONS_PER_PROCESS,
            http1_settings=HTTP1Settings(
                header_read_timeout=int(HEADER_READ_TIMEOUT * 1000),
                keep_alive=True,
                max_buffer_size=MAX_HEAD_BYTES,
            ),
            log_level=LogLevels(o.log_level),
            log_dictconfig=_granian_log_config(),
            log_access=False,  # the app logs one line per query with its duration
            respawn_failed_workers=True,
            workers_kill_timeout=self.graceful_timeout,
        )
        _raise_open_files_limit(o.processes * (CONNECTIONS_PER_PROCESS + BACKLOG) + 256)
        loader = functools.partial(_worker_app, o, self.release, os.getpid())
        server.serve(spawn_target=_wsgi_worker, target_loader=loader, wrap_loader=False)


def _raise_open_files_limit(wanted: int) -> None:
    """Lift the soft limit on open files towards ``wanted`` (at most the hard limit): a
    default of 1024 would stop a worker accepting connections long before its backpressure."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        if soft != resource.RLIM_INFINITY and soft < target:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ImportError, ValueError, OSError):  # not POSIX, or not allowed: keep what we have
        pass


def _granian_log_config() -> dict:
    """granian's own lines on stderr, in the format of scograph's (one log stream)."""
    return {
        "formatters": {
            "generic": {"()": "logging.Formatter", "fmt": "%(asctime)s [%(process)d] granian %(levelname)s %(message)s"},
        },
        "filters": {"deliberate_threads": {"()": _DeliberateThreads}},
        "handlers": {
            "console": {
                "formatter": "generic", "class": "logging.StreamHandler", "stream": "ext://sys.stderr",
                "filters": ["deliberate_threads"],
            },
        },
        "loggers": {"_granian": {"handlers": ["console"], "level": "INFO", "propagate": False}},
    }


class _DeliberateThreads(logging.Filter):
    """Drop granian's start-up warning that threads outnumber cores: ours wait on query
    workers, not on the CPU, and their number is the query bound (see the module docstring)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Python threads, which seems quite high" not in record.getMessage()


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


def _worker_app(options: ServeOptions, release: Release | None, parent_pid: int):
    """The WSGI app of one worker process, with its own store and query pool (runs in the worker)."""
    _die_with_parent(parent_pid)
    _configure_logging(options.log_level)
    store = make_store(options, release)
    _STORES.append(store)
    # Search reads the local release's index file, also with --store URL (publish leaves it local).
    index = release.search_index_path if release is not None else None
    return BodyGate(
        create_app(store, options.web, search_index=index),
        slots=options.threads_per_process // 2,  # the other half always free for requests without a body
        max_bytes=FORM_OVERHEAD * options.web.max_query_bytes + FORM_SLACK,  # the largest body the app accepts
    )


def _wsgi_worker(*args, **kwargs) -> None:
    """granian's WSGI worker, then closing the store (its query workers) when the worker exits."""
    from granian.server.mp import MPServer

    try:
        MPServer._spawn_wsgi_worker(*args, **kwargs)
    finally:
        while _STORES:
            _STORES.pop().close()


class ServeError(Exception):
    """The server cannot start; ``str()`` says why in a sentence for the user."""


class PortInUse(ServeError):
    """Another program (or another ``scograph serve``) listens on the asked-for port."""


def check_port(host: str, port: int) -> int:
    """The port to listen on; fails in one sentence, before anything else happens, if
    ``host:port`` cannot be listened on.

    granian's workers bind with SO_REUSEPORT, so a second server on a taken port
    could otherwise start and share it silently; this probe binds without it.
    Port 0 is resolved to one free port here, since each worker binding port 0
    itself would get a port of its own.
    """
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise ServeError(f"cannot listen on {host}: {exc.strerror}") from None
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server will: TIME_WAIT is no obstacle
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PortInUse(
                    f"port {port} on {host} is already in use: stop the program listening there or choose another --port"
                ) from None
            raise ServeError(f"cannot listen on port {port} on {host}: {exc.strerror}") from None
        return probe.getsockname()[1]


def _check_remote(options: ServeOptions, release: Release | None) -> None:
    """Open the remote store once before the server starts, so a wrong URL is one clear
    error message rather than every worker process failing to boot with a traceback."""
    try:
        store = make_store(options, release)
    except Exception as exc:  # the remote store's own message names the URL and the fix
        raise ServeError(f"cannot use --store {options.store_url}: {exc}") from None
    store.close()


def with_public_url(options: ServeOptions) -> ServeOptions:
    """``options`` with the public URL filled in when none was given (see ``default_public_url``)."""
    from scograph.web.origin import default_public_url

    web = options.web
    if web.public_url is not None or web.trust_forwarded_headers:
        return options
    return replace(options, web=replace(web, public_url=default_public_url(options.host, options.port)))


def _origin_line(options: ServeOptions, base_iri: str | None) -> str:
    web = options.web
    if web.trust_forwarded_headers:
        return "absolute URLs (sitemap, sd:endpoint) follow the proxy's X-Forwarded-* headers (--trust-forwarded-headers)"
    return f"absolute URLs (sitemap, sd:endpoint) use {web.public_url or base_iri} (--public-url to change)"


def _check_network_walls(options: ServeOptions, log_line) -> None:
    """Refuse to serve when query workers could reach the network, unless told it is acceptable."""
    from scograph.store.embedded import probe_network_walls

    walls = probe_network_walls()
    if walls["up"]:
        log_line(f"query workers are cut off the network by: {', '.join(walls['up'])}")
        return
    refused = "; ".join(walls["refused"])
    if not options.unsafe_allow_network:
        raise ServeError(
            f"query workers cannot be cut off the network on this host ({refused}), so a query that "
            "slipped past the query guard could reach any address this machine can; allow user namespaces "
            "or seccomp for this process, or start with --unsafe-allow-network to serve with the guard alone"
        )
    log_line(
        f"WARNING: --unsafe-allow-network: query workers HAVE FULL NETWORK ACCESS ({refused}); "
        "only the query guard stops a query from reaching other machines"
    )


def serve(options: ServeOptions, settings: Settings, log_line=lambda msg: None) -> None:
    options = replace(options, port=check_port(options.host, options.port))
    options = with_public_url(options)
    if options.store_url:
        try:  # a local release, if any, tells the base IRI; the data comes from the remote store
            release: Release | None = current_release(settings.build_dir)
        except ReleaseNotFound:
            release = None
        _check_remote(options, release)
    else:
        release = ensure_release(settings, log_line)
        _check_network_walls(options, log_line)
    if release is not None:
        log_line(f"serving release {release.version} ({release.path}) on http://{options.host}:{options.port}/")
    else:
        log_line(f"serving {options.store_url} on http://{options.host}:{options.port}/")
    log_line(_origin_line(options, release.base_iri if release is not None else None))
    ScographServer(options, release).run()
