"""Starting and stopping the real servers tests talk to (on 127.0.0.1 only).

Also: the processes below a pid and their resident memory, read from /proc.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require_binary(name: str, hint: str) -> str:
    """Path of a required program; a missing one is a test failure, not a skip."""
    path = shutil.which(name) or (str(Path(sys.executable).parent / name) if (Path(sys.executable).parent / name).exists() else None)
    if path is None:
        raise AssertionError(f"{name} is required for these tests: {hint}")
    return path


def wait_until_ready(url: str, process: subprocess.Popen, *, seconds: float, log: Path, params: dict | None = None) -> None:
    """Poll ``url`` until it answers 200, at most ``seconds``; fail with the server's log otherwise."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            if requests.get(url, params=params, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise AssertionError(f"server at {url} not ready after {seconds} s:\n{log.read_text(errors='replace')[-3000:]}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


SCOGRAPH = Path(sys.executable).with_name("scograph")
RESTRICTED_HOST = Path(__file__).with_name("restricted_host.py")
#: One web process, one query worker: for servers that answer a few hundred requests, not a benchmark.
LIGHT = ("--workers", "1", "--max-concurrent-queries", "1", "--max-queued-queries", "8")


class ScographServe:
    """``[*prefix] scograph serve --build-dir B --port P *args`` on 127.0.0.1 and a free port.

    Output goes to ``log_path``. Started here, ready after :meth:`wait_ready`; as a
    context manager it waits on entry and stops on exit. The server leads its own
    process group, so :meth:`stop` can kill every process it started.
    """

    def __init__(self, build_dir: Path, log_path: Path, *args: str, prefix: tuple[str, ...] = (), env: dict | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self._log = log_path.open("wb")
        build_dir.mkdir(parents=True, exist_ok=True)  # serve builds a release into an empty one
        self.process = subprocess.Popen(
            [*prefix, str(SCOGRAPH), "serve", "--build-dir", str(build_dir), "--port", str(self.port), *args],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=build_dir,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
            start_new_session=True,
        )

    def wait_ready(self, limit: float = 90.0) -> dict:
        """Wait until /healthz is ok with every query worker started and idle; return the health document.

        On failure the server is stopped and the error carries the end of its log."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.stop()
                raise AssertionError(f"scograph serve exited with {self.process.returncode}: {self.log()[-3000:]}")
            try:
                health = requests.get(self.url + "/healthz", timeout=5).json()
                queries = health.get("queries", {})
                # None still starting either: a test that kills "every" worker by its pid must see them all.
                if (health["status"] == "ok" and queries.get("idle") == queries.get("workers", 0) > 0
                        and not queries.get("starting")):
                    return health
            except (requests.ConnectionError, requests.Timeout, ValueError, KeyError):
                pass
            time.sleep(0.2)
        self.stop()
        raise AssertionError(f"scograph serve not ready in {limit:.0f} s: {self.log()[-3000:]}")

    def health(self) -> requests.Response:
        return requests.get(self.url + "/healthz", timeout=15)

    def query(self, query: str, timeout: float = 60.0, **kwargs) -> requests.Response:
        return requests.post(self.url + "/sparql", data={"query": query}, timeout=timeout, **kwargs)

    def log(self) -> str:
        return self.log_path.read_text("utf-8", errors="replace")

    def stop(self) -> None:
        """SIGTERM, then SIGKILL to the whole process group if serve has not exited in 20 s."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.process.wait(timeout=10)
        self._log.close()

    def __enter__(self) -> "ScographServe":
        self.wait_ready()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def restricted(forbidden: str) -> tuple[str, ...]:
    """The wrapper prefix that runs serve on a host forbidding ``forbidden`` (see restricted_host.py)."""
    return (sys.executable, str(RESTRICTED_HOST), forbidden, "--")


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    return children


def process_tree(pid: int) -> list[int]:
    """``pid`` and every process below it."""
    children = _children()
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def rss_bytes(pids: list[int]) -> int:
    """Summed resident memory (VmRSS) of ``pids`` that still exist."""
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total


def alive(pid: int) -> bool:
    """True if ``pid`` exists and is not a zombie waiting to be reaped."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("State:"):
                return not line.split()[1].startswith(("Z", "X"))
    except OSError:
        return False
    return False
