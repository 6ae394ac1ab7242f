"""Slow clients ("slowloris"): sockets that trickle a request's headers and never finish them.

Used by tests/test_serve_process.py and benchmarks/server_bench.py against a real
``scograph serve`` on 127.0.0.1. Everything here is bounded: a fixed number of
sockets, one byte per socket per tick, and a deadline the caller gives.
"""

from __future__ import annotations

import select
import socket
import statistics
import threading
import time
from dataclasses import dataclass, field

import requests


class Tricklers:
    """``count`` connections that each send a request line, then one header byte per ``interval``.

    A background thread keeps them trickling until ``close()``; a socket the server
    closes (or answers, e.g. 408) is recorded with the time it took, and not reopened.
    """

    def __init__(self, host: str, port: int, count: int, *, interval: float = 1.0, path: str = "/healthz"):
        self.host, self.port, self.count, self.interval = host, port, count, interval
        self._head = f"GET {path} HTTP/1.1\r\nHost: {host}\r\n".encode()
        self._open: dict[socket.socket, float] = {}  # socket -> when it connected
        self.refused = 0  # connections the server did not accept at all
        self.closed_after: list[float] = []  # seconds from connecting to the server closing it
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._trickle, name="tricklers", daemon=True)

    def start(self) -> "Tricklers":
        for _ in range(self.count):
            sock = socket.socket()
            sock.settimeout(5)
            try:
                sock.connect((self.host, self.port))
                sock.sendall(self._head)
            except OSError:
                self.refused += 1
                sock.close()
                continue
            sock.setblocking(False)
            self._open[sock] = time.monotonic()
        self._thread.start()
        return self

    @property
    def still_open(self) -> int:
        with self._lock:
            return len(self._open)

    def _server_closed(self, sock: socket.socket) -> None:
        with self._lock:
            opened = self._open.pop(sock)
        self.closed_after.append(time.monotonic() - opened)
        sock.close()

    def _trickle(self) -> None:
        byte = 0
        while not self._stop.wait(self.interval):
            with self._lock:
                socks = list(self._open)
            poller = select.poll()  # no FD_SETSIZE limit, unlike select()
            for sock in socks:
                poller.register(sock, select.POLLIN)
            readable = {fd for fd, _event in poller.poll(0)}
            header_byte = b"X-Slow: "[byte % 8:byte % 8 + 1] if byte < 8 else b"a"
            byte += 1
            for sock in socks:
                if sock.fileno() in readable:  # the server answered (408/400) or closed: either way it let go
                    self._server_closed(sock)
                    continue
                try:
                    sock.send(header_byte)
                except BlockingIOError:
                    pass
                except OSError:  # reset / broken pipe: closed by the server
                    self._server_closed(sock)

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=self.interval + 5)
        with self._lock:
            for sock in self._open:
                sock.close()
            self._open.clear()


@dataclass
class Latencies:
    """Ordinary requests made while the slow clients are connected."""

    seconds: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def percentile(self, p: float) -> float:
        if not self.seconds:
            return float("nan")
        ordered = sorted(self.seconds)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))]

    def summary(self) -> str:
        if not self.seconds:
            return f"0 answered, {len(self.failures)} failed"
        return (
            f"{len(self.seconds)} answered, {len(self.failures)} failed; "
            f"p50 {self.percentile(0.5) * 1000:.1f} ms, p99 {self.percentile(0.99) * 1000:.1f} ms, "
            f"max {max(self.seconds) * 1000:.1f} ms, mean {statistics.fmean(self.seconds) * 1000:.1f} ms"
        )


def ordinary_requests(
    urls: list[str], *, count: int, timeout: float, pause: float = 0.02, deadline: float | None = None
) -> Latencies:
    """``count`` GETs (fewer if ``deadline`` seconds pass first), round-robin over ``urls``,
    each on a fresh connection (so each goes through the server's accept path, as a new visitor's does)."""
    out = Latencies()
    end = time.monotonic() + deadline if deadline is not None else float("inf")
    for i in range(count):
        if time.monotonic() >= end:
            break
        url = urls[i % len(urls)]
        t0 = time.perf_counter()
        try:
            response = requests.get(url, timeout=timeout, headers={"Connection": "close"})
            elapsed = time.perf_counter() - t0
            if response.status_code == 200:
                out.seconds.append(elapsed)
            else:
                out.failures.append(f"{url}: {response.status_code}")
        except requests.RequestException as exc:
            out.failures.append(f"{url}: {type(exc).__name__} after {time.perf_counter() - t0:.1f} s")
        time.sleep(pause)
    return out
