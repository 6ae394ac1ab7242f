"""granian, configured from Python: the main process of ``scograph serve`` and its worker processes."""

from __future__ import annotations

import functools
import logging
import os

from scograph.release import Release
from scograph.serve.options import BACKLOG, CONNECTIONS_PER_PROCESS, HEADER_READ_TIMEOUT, MAX_HEAD_BYTES, ServeOptions
from scograph.serve.worker import worker_app, wsgi_worker


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
            "scograph.serve:app",  # only named in granian's log lines; the app comes from worker_app
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
        loader = functools.partial(worker_app, o, self.release, os.getpid())
        spawn = functools.partial(wsgi_worker, o.process_cores())
        server.serve(spawn_target=spawn, target_loader=loader, wrap_loader=False)


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
