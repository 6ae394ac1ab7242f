"""What ``scograph serve`` is asked for, and what follows from it: processes, query workers and
threads per process (the reasons are in :mod:`scograph.serve`), and the HTTP limits granian keeps."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

from scograph.pool import cores as count_usable_cores
from scograph.web.app import WebConfig

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
    pin_cores: bool = True  # each HTTP worker process and its query workers on a core of their own
    log_level: str = "info"
    # The cores this server may use (its affinity), counted once where the options are made: a
    # web process pinned to one core must not recount them when it sizes its query pool.
    usable_cores: int = field(default_factory=count_usable_cores)

    @property
    def processes(self) -> int:
        """One per core this process may use (its affinity: in a container limited to two of a
        host's 64 cores, two), at most one per query slot."""
        if self.workers is not None:
            return self.workers
        return max(1, min(self.usable_cores, self.web.max_concurrent_queries))

    @property
    def query_workers_per_process(self) -> int:
        return max(1, math.ceil(self.web.max_concurrent_queries / self.processes))

    @property
    def queued_per_process(self) -> int:
        return max(0, math.ceil(self.max_queued_queries / self.processes))

    def process_cores(self) -> tuple[int, ...] | None:
        """The core of each HTTP worker process (the i-th process on the i-th, modulo), or None to
        let the kernel place them: when asked not to pin, or when there are fewer processes than
        cores (a pinned process would leave a core idle that its query workers could use).

        Why pin (benchmarks/REPORT-endpoint.md, "Third pass"): a request crosses from the web
        process to a query worker and back; on one core the two hand it over without a move
        between caches, and the kernel stops migrating them (~1,900 moves in 10 s, one thread)."""
        try:
            cores = tuple(sorted(os.sched_getaffinity(0)))
        except (AttributeError, OSError):  # not Linux
            return None
        if not self.pin_cores or len(cores) < 2 or self.processes < len(cores):
            return None
        return cores

    @property
    def threads_per_process(self) -> int:
        if self.threads is not None:
            return self.threads
        return self.query_workers_per_process + self.queued_per_process + 4
