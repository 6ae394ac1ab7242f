"""The query worker pool: processes started, watched, killed and replaced (used by :mod:`scograph.store.embedded`).

A worker is a fresh ``python -m scograph.store.query_worker`` talking over an
AF_UNIX socket pair. The pool bounds how many queries run and wait, kills a
worker past its time limit, and tells why a worker died from its exit status
and the last lines of its stderr (which it reads, logs and keeps): the memory
cap, a crash (SIGSEGV: a stack overflow), a kill from outside. A worker that
cannot start (a store that cannot be opened, no network wall it could raise)
is retried in the background, and its cause is kept in ``last_start_error``
so that queries and ``/healthz`` say why instead of waiting.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from scograph.store import channel, query_worker
from scograph.store.base import QueryCrashed, QueryTimeout, StoreBusy, StoreUnavailable

log = logging.getLogger("scograph.store")
worker_log = logging.getLogger("scograph.store.worker")

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
    network_walls: tuple[str, ...] = query_worker.WALLS  # walls each worker raises, when the host allows
    require_network_wall: bool = True  # a worker that raised none counts as failed to start
    memory_mb: int = 2048  # address-space cap of a worker (RLIMIT_AS); 0: none
    max_result_bytes: int = query_worker.DEFAULT_MAX_BYTES  # cap on a serialized answer
    in_memory: bool = False  # each worker copies the store into memory (see EmbeddedStore)


class _Worker:
    def __init__(self, process: subprocess.Popen, conn: channel.Channel, stderr: _StderrTail):
        self.process = process
        self.conn = conn
        self.pid = process.pid
        self.stderr = stderr
        self.walls: tuple[str, ...] = ()

    def kill(self) -> None:
        try:
            self.process.kill()
            self.process.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self.conn.close()

    def exit_reason(self, memory_mb: int) -> tuple[str, bool]:
        """Why the worker died, once it has: (reason for the log and the client, was it the memory cap)."""
        try:
            code = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return "it stopped answering", False
        self.stderr.finish(timeout=1.0)
        return describe_exit(code, self.stderr.text(), memory_mb)


def describe_exit(returncode: int, stderr: str, memory_mb: int) -> tuple[str, bool]:
    """A worker's exit, in words: (reason, whether it was the memory cap).

    Measured with pyoxigraph 0.5: a failed allocation under RLIMIT_AS prints
    "memory allocation of N bytes failed" and aborts (SIGABRT); a stack overflow
    (a query nested thousands deep) is a bare SIGSEGV; SIGKILL comes from outside
    (the kernel's OOM killer, an operator)."""
    stack = "a stack overflow, most often from a deeply nested query"
    if "overflowed its stack" in stderr:  # Rust's own report, then SIGABRT
        return f"it crashed: {stack}", False
    if returncode == -signal.SIGSEGV:
        return f"it crashed (SIGSEGV), most often {stack}", False
    if returncode == -signal.SIGKILL:
        return "it was killed (SIGKILL) from outside, e.g. by the kernel's out-of-memory killer", False
    if "memory allocation of" in stderr or "MemoryError" in stderr:
        return f"it ran out of memory (cap {memory_mb} MB)", True
    if returncode < 0:
        number = -returncode
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        if number == signal.SIGABRT and memory_mb > 0:
            return f"it aborted (SIGABRT), most likely at its memory cap of {memory_mb} MB", True
        return f"it died from {name}", False
    last = stderr.strip().splitlines()[-1] if stderr.strip() else ""
    return f"it exited with status {returncode}" + (f": {last}" if last else ""), False


class _StderrTail:
    """Reads a worker's stderr: every line goes to the log, the last few are kept for its exit reason."""

    def __init__(self, stream, pid: int):
        self._lines: deque[str] = deque(maxlen=20)
        self._logged = 0
        self._thread = threading.Thread(target=self._read, args=(stream, pid), daemon=True,
                                        name=f"scograph-query-worker-{pid}-stderr")
        self._thread.start()

    #: Lines a worker may log per query (a Rust backtrace is ~80); the rest are only kept.
    LOGGED_LINES = 12

    def _read(self, stream, pid: int) -> None:
        with stream:
            for raw in stream:
                line = raw.decode("utf-8", "replace").rstrip()
                if not line:
                    continue
                self._lines.append(line[:2000])
                self._logged += 1
                if self._logged <= self.LOGGED_LINES:
                    worker_log.warning("query worker %s: %s", pid, line[:2000])
                elif self._logged == self.LOGGED_LINES + 1:
                    worker_log.warning("query worker %s: (further lines not logged)", pid)

    def clear(self) -> None:
        """Forget earlier lines (a query's exit reason is read from what it printed) and log anew."""
        self._lines.clear()
        self._logged = 0

    def finish(self, timeout: float) -> None:
        self._thread.join(timeout)

    def text(self) -> str:
        return "\n".join(self._lines)


def _start_process(
    store_path: str, walls: tuple[str, ...], memory_mb: int, in_memory: bool = False,
) -> tuple[subprocess.Popen, channel.Channel]:
    """A worker is a plain ``python -m scograph.store.query_worker``: a fresh interpreter
    (never a fork of a threaded server) that does not re-import the server's main module."""
    parent_end, child_fd = channel.pair()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "scograph.store.query_worker", str(child_fd), store_path,
             ",".join(walls) or "-", str(memory_mb), *(["--in-memory"] if in_memory else [])],
            pass_fds=(child_fd,),
            stdin=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
    except BaseException:
        parent_end.close()
        raise
    finally:
        os.close(child_fd)
    return process, parent_end


def probe_network_walls(walls: tuple[str, ...] = query_worker.WALLS) -> dict:
    """Which network walls a query worker can raise on this host: ``{"up": [...], "refused": [...]}``.

    Run in a throw-away process, since a wall, once raised, is for good."""
    done = subprocess.run(
        [sys.executable, "-m", "scograph.store.query_worker", "--probe", ",".join(walls) or "-"],
        capture_output=True, stdin=subprocess.DEVNULL, timeout=STARTUP_TIMEOUT, check=False,
    )
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [f"exit status {done.returncode}"]
        return {"up": [], "refused": [f"the probe failed: {reason[0]}"]}
    return json.loads(done.stdout)


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
        self.last_start_error: str | None = None  # why the last worker failed to start; None once one did
        self._cond = threading.Condition()
        # Workers are started from this one long-lived thread: the kernel kills a
        # worker when the *thread* that started it exits (PR_SET_PDEATHSIG).
        self._spawner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="scograph-query-pool")
        with self._cond:
            self._starting = limits.workers
        for _ in range(limits.workers):
            self._spawner.submit(self._start_worker)

    # -- workers ------------------------------------------------------------------

    def _start_one(self) -> _Worker:
        """Start one worker and wait for its "ready"; raise with the cause if it does not come."""
        limits = self._limits
        process, parent_conn = _start_process(
            self._store_path, limits.network_walls, limits.memory_mb, limits.in_memory,
        )
        assert process.stderr is not None
        worker = _Worker(process, parent_conn, _StderrTail(process.stderr, process.pid))
        try:
            if not parent_conn.poll(STARTUP_TIMEOUT):
                raise RuntimeError(f"it did not start within {STARTUP_TIMEOUT:.0f} s")
            try:
                message, _body = parent_conn.recv()
            except (EOFError, OSError):
                raise RuntimeError(worker.exit_reason(limits.memory_mb)[0]) from None
            if message[0] == "failed":
                raise RuntimeError(message[1])
            _ready, _pid, walls, refused = message
            worker.walls = tuple(walls)
            if not walls:
                if limits.require_network_wall:
                    raise RuntimeError("it could raise no network wall (" + "; ".join(refused) + ")")
                log.warning(
                    "query worker %s HAS FULL NETWORK ACCESS (--unsafe-allow-network): %s; only the query guard "
                    "stands between a query and the network", process.pid, "; ".join(refused),
                )
        except BaseException:
            worker.kill()
            raise
        return worker

    def _start_worker(self) -> None:
        attempts = 0
        while not self._closed:
            attempts += 1
            try:
                worker = self._start_one()
            except Exception as exc:  # keep trying, slowly: the pool must heal itself
                self.last_start_error = str(exc) or type(exc).__name__
                log.error("query worker failed to start (attempt %d): %s", attempts, self.last_start_error)
                time.sleep(min(5.0, 0.2 * attempts))
                continue
            self.last_start_error = None
            with self._cond:
                if self._closed:
                    worker.kill()
                    return
                self._starting -= 1
                self._all.add(worker)
                self._idle.append(worker)
                self._cond.notify()
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

    def _acquire(self, wait: float | None = None) -> _Worker:
        limits = self._limits
        with self._cond:
            if self._closed:
                raise StoreBusy("the store is shutting down")
            if not self._idle and not self._all and self.last_start_error is not None:
                # No worker is alive and the last one could not start: say why, at once.
                raise StoreUnavailable(f"no query worker can start: {self.last_start_error}")
            if not self._idle:
                if self._waiting >= limits.max_queued:
                    raise StoreBusy(
                        f"{limits.workers} queries are running and {self._waiting} are waiting; try again shortly"
                    )
                # While workers are (re)starting, a query may wait for them a little longer.
                if wait is None:
                    wait = max(limits.queue_timeout, 10.0) if not self._all else limits.queue_timeout
                deadline = time.monotonic() + wait
                self._waiting += 1
                try:
                    while not self._idle and not self._closed:
                        remaining = deadline - time.monotonic()
                        if remaining <= 0:
                            if not self._all:
                                raise StoreUnavailable(
                                    "no query worker is running yet"
                                    + (f"; the last one failed to start: {self.last_start_error}" if self.last_start_error else "")
                                )
                            raise StoreBusy(f"no query slot became free within {wait:g} s; try again shortly")
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

    def run(self, request: dict, timeout: float, wait: float | None = None) -> tuple:
        """Run ``request`` on a worker; ``wait``: seconds to wait for one (default: the queue timeout)."""
        worker = self._acquire(wait)
        try:
            worker.stderr.clear()
            worker.conn.send(request)
            if not worker.conn.poll(timeout):
                self._replace(worker)
                raise QueryTimeout(f"the query ran longer than the limit of {timeout:g} s and was stopped")
            reply, body = worker.conn.recv()
            if reply[0] == "ok-bytes":  # the answer's bytes came after the reply, never pickled
                _status, form, media_type, count, truncated = reply
                reply = ("ok", form, media_type, body, count, truncated)
        except (EOFError, OSError):
            # The worker died during the query. Its exit status says how: the memory
            # cap (a resource limit for the client, like time) or a crash.
            reason, memory = worker.exit_reason(self._limits.memory_mb)
            self._replace(worker)
            log.warning("query worker %s died during a query: %s", worker.pid, reason)
            if memory:
                raise QueryTimeout(
                    "the query was stopped: it needed more memory than a query may use "
                    f"({self._limits.memory_mb} MB)"
                ) from None
            raise QueryCrashed(f"the process running the query died: {reason}") from None
        except QueryTimeout:
            raise
        except BaseException:
            self._replace(worker)  # state unknown: do not reuse
            raise
        self._release(worker)
        return reply

    def status(self) -> dict:
        with self._cond:
            status = {
                "workers": len(self._all),
                "idle": len(self._idle),
                "starting": self._starting,
                "waiting": self._waiting,
                "network_isolated": all(w.walls for w in self._all) if self._all else None,
                "network_walls": sorted({wall for w in self._all for wall in w.walls}),
                "pids": sorted(w.pid for w in self._all),
            }
        if self.last_start_error is not None:
            status["last_start_error"] = self.last_start_error
        return status

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
