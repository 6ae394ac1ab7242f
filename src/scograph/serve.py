"""``scograph serve``: the app under gunicorn, on the current release (built first if there is none).

How the processes combine (measured on 2 cores, see benchmarks/REPORT-endpoint.md):

- The SPARQL engine runs in the query worker processes, outside any GIL,
  so engine work already spreads over every core. What does not spread is
  the web side: HTTP parsing, Flask dispatch and the response policies cost
  ~0.7 ms of Python per request, and one process does that on one core at a
  time (a single gthread process tops out near 1.4k requests/s here).
- So by default there is **one gunicorn process per core** (capped by
  ``--max-concurrent-queries``), each a ``gthread`` worker **owning its share
  of the query pool**: ``ceil(max_concurrent / processes)`` query workers and
  ``ceil(max_queued / processes)`` queue places. The total bound stays what was
  asked for; a shared pool across processes would need a broker process and
  one more hop per query, which costs more than the bound's coarseness.
  The price: a process whose share is busy refuses (429) even if the other
  has room, and ``/healthz`` shows the pool of the process that answered.
  ``--workers 1`` gives one exact, server-wide bound.
- Threads per process = its running + queued queries + 4 spare (pages,
  ``/healthz``), so that requests are refused by the pool's bound (fast 429)
  rather than left waiting in gunicorn's accept queue with no limit.

gunicorn's own worker timeout is set well above the query time limit: a
query past its limit is stopped by the pool (its process is killed), never by
gunicorn killing the web worker with every other request in it.

gunicorn trusts no peer's forwarding headers (``X-Forwarded-Proto``,
``SCRIPT_NAME``: by default it believes them from 127.0.0.1): whether a proxy
is trusted is the app's decision alone (``--trust-forwarded-headers``, see
:mod:`scograph.web.origin`).
"""

from __future__ import annotations

import logging
import math
import os
import sys
from dataclasses import dataclass, field, replace

from gunicorn.app.base import BaseApplication

from scograph.config import Settings
from scograph.release import Release, ReleaseNotFound, current_release
from scograph.store.base import Store
from scograph.web.app import WebConfig, create_app

log = logging.getLogger("scograph.serve")

#: gunicorn refuses request lines longer than this (its maximum); longer queries must be POSTed.
MAX_REQUEST_LINE = 8190


@dataclass(frozen=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int | None = None  # gunicorn processes; None: one per core, at most one per query slot
    threads: int | None = None  # per gunicorn process; None: enough for the query bound
    web: WebConfig = field(default_factory=WebConfig)
    max_queued_queries: int = 64
    queue_timeout: float = 2.0
    store_url: str | None = None  # a remote SPARQL endpoint instead of the embedded store
    result_cache_mb: float = 64.0  # per gunicorn process; 0 turns the result cache off
    query_memory_mb: int = 2048  # address-space cap of each query worker; 0: none
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
    """The store a gunicorn worker process answers from (created in that process)."""
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


class ScographServer(BaseApplication):
    """gunicorn, configured from Python: no config file, no re-import of a module path."""

    def __init__(self, options: ServeOptions, release: Release | None):
        self.options = options
        self.release = release
        super().__init__()

    def load_config(self) -> None:
        o = self.options
        settings = {
            "bind": f"[{o.host}]:{o.port}" if ":" in o.host else f"{o.host}:{o.port}",
            "workers": o.processes,
            "worker_class": "gthread",
            "threads": o.threads_per_process,
            "timeout": max(30, int(o.web.query_timeout * 3) + 10),
            "graceful_timeout": 10,
            "keepalive": 5,
            "limit_request_line": MAX_REQUEST_LINE,
            "preload_app": False,  # each worker process builds its own store and query pool
            "accesslog": None,  # the app logs one line per query with its duration
            "errorlog": "-",
            "loglevel": o.log_level,
            "proc_name": "scograph",
            "worker_exit": _close_store,
            # No peer may set the scheme or SCRIPT_NAME/PATH_INFO through headers; the app decides (origin.py).
            "forwarded_allow_ips": "",
            "forwarder_headers": "",
            "secure_scheme_headers": {},
        }
        if "control_socket_disable" in self.cfg.settings:  # gunicorn >= 25.1: no shared ~/.gunicorn socket
            settings["control_socket_disable"] = True
        for key, value in settings.items():
            self.cfg.set(key, value)

    def load(self):
        _configure_logging(self.options.log_level)
        store = make_store(self.options, self.release)
        # Search reads the local release's index file, also with --store URL (publish leaves it local).
        index = self.release.search_index_path if self.release is not None else None
        app = create_app(store, self.options.web, search_index=index)
        _APPS.append(app)
        return app


_APPS: list = []


def _close_store(server, worker) -> None:
    for app in _APPS:
        app.extensions["scograph.store"].close()


class ServeError(Exception):
    """The server cannot start; ``str()`` says why in a sentence for the user."""


def _check_remote(options: ServeOptions, release: Release | None) -> None:
    """Open the remote store once before gunicorn starts, so a wrong URL is one clear
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
