"""Benchmark: the HTTP server under the same app, previous (gunicorn gthread) against current (granian).

    python benchmarks/server_bench.py [--build-dir DIR] [--seconds 2] [--rounds 2] [--slow-sockets 500] [--json OUT]

Both servers run the same Flask app on the same release with ``scograph serve``'s
defaults (one process per core, each owning its share of the query pool, every
safety bound on). ``gunicorn gthread`` is started with the configuration
``scograph serve`` used before it moved to granian (kept here, in
``_run_gunicorn``, for this comparison only).

Two measurements, servers alternated round by round:

1. **Throughput and latency** with ``wrk`` (Debian's ``wrk``: a C load generator
   that is not the bottleneck) at concurrency 8 and 32 for ``/healthz``, a cached
   example query and an HTML page; requests/s, p99, and the server's CPU per
   request (user + system time of the whole process tree, from /proc).
2. **Slow clients**: ``--slow-sockets`` connections trickle header bytes (one a
   second, never finishing) while ordinary requests are made one after another
   on fresh connections; answered / failed, p50 / p99.

Bounded: about ``3 x 2 x 2 x rounds x seconds`` for wrk plus ~40 s of slow clients.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO))

CONCURRENCIES = (8, 32)
PAGE = "/"  # the home page: cheap to render, so the server's share shows (the document page takes ~75 ms of app time)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(url: str, process: subprocess.Popen, limit: float = 90.0) -> None:
    import requests

    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            health = requests.get(url, timeout=2).json()
            if health["queries"]["idle"] == health["queries"]["workers"] > 0:
                return
        except (requests.RequestException, ValueError, KeyError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} not ready within {limit:.0f} s")


# -- the previous server, for comparison ---------------------------------------------------------


def _run_gunicorn(build_dir: Path, port: int, worker_class: str, threads: int | None) -> None:
    """``scograph serve`` as it was configured under gunicorn (gthread), same app and store;
    ``threads`` and ``worker_class`` vary it (more threads; gevent: a greenlet per connection)."""
    from gunicorn.app.base import BaseApplication

    from scograph.release import current_release
    from scograph.serve import ServeOptions, make_store
    from scograph.serve.worker import configure_logging
    from scograph.web.app import create_app

    options = ServeOptions(port=port, log_level="warning", threads=threads)
    release = current_release(build_dir)
    stores = []

    class Gunicorn(BaseApplication):
        def load_config(self) -> None:
            o = options
            for key, value in {
                "bind": f"{o.host}:{o.port}",
                "workers": o.processes,
                "worker_class": worker_class,
                "worker_connections": 2048,  # gevent: greenlets per process
                "threads": o.threads_per_process,
                "timeout": max(30, int(o.web.query_timeout * 3) + 10),
                "graceful_timeout": 10,
                "keepalive": 5,
                "limit_request_line": 8190,
                "preload_app": False,
                "accesslog": None,
                "errorlog": "-",
                "loglevel": o.log_level,
                "worker_exit": lambda server, worker: [s.close() for s in stores],
            }.items():
                self.cfg.set(key, value)
            if "control_socket_disable" in self.cfg.settings:
                self.cfg.set("control_socket_disable", True)

        def load(self):
            configure_logging(options.log_level)
            store = make_store(options, release)
            stores.append(store)
            return create_app(store, options.web)

    Gunicorn().run()


class Server:
    def __init__(self, name: str, command: list[str], port: int, log: Path):
        self.name, self.port = name, port
        self.url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(command, stdout=log.open("wb"), stderr=subprocess.STDOUT)
        wait_ready(self.url + "/healthz", self.process)
        time.sleep(0.5)

    def cpu_seconds(self) -> float:
        """User + system CPU of the server's whole process tree so far (query workers included)."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for pid in [self.process.pid, *_descendants(self.process.pid)]:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
        return total

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def gunicorn(name: str, build_dir: Path, tmp: Path, worker_class: str = "gthread", threads: int = 0) -> Server:
    port = free_port()
    command = [sys.executable, __file__, "_gunicorn", str(build_dir), str(port), worker_class, str(threads)]
    return Server(name, command, port, tmp / f"gunicorn-{worker_class}-{threads}.log")


def granian(build_dir: Path, tmp: Path) -> Server:
    port = free_port()
    command = [str(Path(sys.executable).with_name("scograph")), "serve", "--build-dir", str(build_dir),
               "--port", str(port), "--log-level", "warning"]
    return Server("granian (scograph serve)", command, port, tmp / "granian.log")


# -- wrk -----------------------------------------------------------------------------------------

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def wrk(url: str, concurrency: int, seconds: float, headers: dict[str, str]) -> dict:
    binary = shutil.which("wrk")
    if binary is None:
        raise SystemExit("wrk is required: apt-get install wrk")
    command = [binary, "-t", "2", "-c", str(concurrency), "-d", f"{int(seconds)}s", "--latency", "--timeout", "10s"]
    for key, value in headers.items():
        command += ["-H", f"{key}: {value}"]
    out = subprocess.run([*command, url], capture_output=True, text=True, timeout=seconds + 30).stdout
    requests_done = int(re.search(r"(\d+) requests in", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "requests": requests_done,
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p99_ms": float(p99.group(1)) * _UNITS[p99.group(2)],
        "errors": (int(non_2xx.group(1)) if non_2xx else 0) + (sum(map(int, errors.groups())) if errors else 0),
    }


def targets() -> list[tuple[str, str, dict[str, str]]]:
    from scograph.examples import example_queries

    example = example_queries()[0]
    return [
        ("/healthz", "/healthz", {}),
        (f"cached query `{example.slug}`", f"/sparql?query={quote(example.query)}", {"Accept": "application/sparql-results+json"}),
        ("page `/`", PAGE, {"Accept": "text/html"}),
    ]


def measure_wrk(servers: list[Server], seconds: float, rounds: int) -> list[dict]:
    rows = []
    for label, path, headers in targets():
        for server in servers:  # warm: caches, page cache, first-request costs
            wrk(server.url + path, 8, 1, headers)
        for concurrency in CONCURRENCIES:
            runs: dict[str, list[dict]] = {s.name: [] for s in servers}
            for round_index in range(rounds):
                for server in servers if round_index % 2 == 0 else list(reversed(servers)):
                    cpu = server.cpu_seconds()
                    result = wrk(server.url + path, concurrency, seconds, headers)
                    result["cpu_ms_per_request"] = (server.cpu_seconds() - cpu) * 1000 / max(1, result["requests"])
                    runs[server.name].append(result)
                    print(f"{label} c={concurrency} {server.name}: {result}", file=sys.stderr)
            for name, got in runs.items():
                rows.append({
                    "target": label, "concurrency": concurrency, "server": name,
                    "rps": sum(r["rps"] for r in got) / len(got),
                    "p99_ms": max(r["p99_ms"] for r in got),
                    "cpu_ms_per_request": sum(r["cpu_ms_per_request"] for r in got) / len(got),
                    "errors": sum(r["errors"] for r in got),
                })
    return rows


# -- slow clients --------------------------------------------------------------------------------


def measure_slow_clients(servers: list[Server], sockets: int, seconds: float) -> list[dict]:
    from tests.slow_clients import Tricklers, ordinary_requests

    rows = []
    for index, server in enumerate(servers):
        if index:
            time.sleep(12)  # let the previous server's slow sockets clear (header timeout / closed)
        slow = Tricklers("127.0.0.1", server.port, sockets).start()
        try:
            time.sleep(1.0)
            opened = slow.still_open
            got = ordinary_requests([server.url + "/healthz", server.url + "/"], count=10_000, timeout=5, deadline=seconds)
        finally:
            slow.close()
        rows.append({
            "server": server.name, "slow_sockets": opened, "refused": slow.refused,
            "answered": len(got.seconds), "failed": len(got.failures),
            "p50_ms": got.percentile(0.5) * 1000, "p99_ms": got.percentile(0.99) * 1000,
            "first_failure": got.failures[0] if got.failures else "",
        })
        print(f"slow clients {server.name}: {rows[-1]}", file=sys.stderr)
    return rows


# -- report --------------------------------------------------------------------------------------


def render(wrk_rows: list[dict], slow_rows: list[dict], args) -> str:
    lines = [] if not wrk_rows else [
        f"wrk, `-t 2`, {args.rounds} rounds of {args.seconds:g} s per cell, servers alternated; "
        "requests/s averaged over rounds, p99 the worst round's; CPU per request = the server tree's "
        "user + system time / requests.",
        "",
        "| target | c | server | requests/s | p99 ms | server CPU ms/request | errors |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for r in wrk_rows:  # (none with --no-wrk)
        lines.append(f"| {r['target']} | {r['concurrency']} | {r['server']} | {r['rps']:.0f} | {r['p99_ms']:.1f} | "
                     f"{r['cpu_ms_per_request']:.2f} | {r['errors']} |")
    if slow_rows:
        lines += [
            "",
            f"Slow clients: {args.slow_sockets} sockets trickling one header byte a second; meanwhile "
            f"ordinary GETs (`/healthz`, `/`), one after another on fresh connections, for {args.slow_seconds:g} s, "
            "5 s client timeout.",
            "",
            "| server | slow sockets open | answered | failed | p50 ms | p99 ms | first failure |",
            "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
        ]
        for r in slow_rows:
            lines.append(f"| {r['server']} | {r['slow_sockets']} | {r['answered']} | {r['failed']} | "
                         f"{r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['first_failure'] or '-'} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    if len(sys.argv) == 6 and sys.argv[1] == "_gunicorn":
        _run_gunicorn(Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5]) or None)
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build-dir", type=Path, help="A build directory with a release [default: a fresh build in a temp dir].")
    parser.add_argument("--seconds", type=int, default=2, help="Seconds per wrk run (whole seconds: wrk takes no fractions).")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--slow-sockets", type=int, default=500, help="Trickling sockets; 0 skips the slow-client part.")
    parser.add_argument("--slow-seconds", type=float, default=8.0, help="Seconds of ordinary requests while they trickle.")
    parser.add_argument("--no-wrk", action="store_true", help="Only the slow-client part.")
    parser.add_argument("--variants", action="store_true",
                        help="Slow clients also against gunicorn gthread with 1024 threads and gunicorn gevent (needs `pip install gevent`).")
    parser.add_argument("--json", type=Path, help="Also write the measurements here.")
    args = parser.parse_args()

    from scograph.build import build
    from scograph.config import Settings

    with tempfile.TemporaryDirectory(prefix="scograph-server-bench-") as tmp:
        tmp_path = Path(tmp)
        build_dir = args.build_dir or tmp_path / "build"
        if args.build_dir is None:
            build(Settings(source_root=REPO, build_dir=build_dir))
        servers = [gunicorn("gunicorn gthread (before)", build_dir, tmp_path), granian(build_dir, tmp_path)]
        try:
            wrk_rows = [] if args.no_wrk else measure_wrk(servers, args.seconds, args.rounds)
            if args.variants:
                servers[1:1] = [gunicorn("gunicorn gthread, 1024 threads", build_dir, tmp_path, threads=1024),
                                gunicorn("gunicorn gevent", build_dir, tmp_path, worker_class="gevent")]
            slow_rows = measure_slow_clients(servers, args.slow_sockets, args.slow_seconds) if args.slow_sockets else []
        finally:
            for server in servers:
                server.stop()
    print(render(wrk_rows, slow_rows, args))
    if args.json:
        args.json.write_text(json.dumps({"wrk": wrk_rows, "slow_clients": slow_rows}, indent=1), "utf-8")


if __name__ == "__main__":
    main()
