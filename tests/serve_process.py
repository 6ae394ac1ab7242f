"""A real ``scograph serve`` for the isolation and limits tests, optionally under a wrapper command.

Also: the processes below a pid and their resident memory, read from /proc.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.processes import free_port, stop

SCOGRAPH = Path(sys.executable).with_name("scograph")
RESTRICTED_HOST = Path(__file__).with_name("restricted_host.py")


class ServeProcess:
    """``[*prefix] scograph serve --build-dir B --port P *args``; stdout and stderr go to ``log_path``."""

    def __init__(self, build_dir: Path, log_path: Path, *args: str, prefix: tuple[str, ...] = ()):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(
            [*prefix, str(SCOGRAPH), "serve", "--build-dir", str(build_dir), "--port", str(self.port), *args],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=build_dir,
        )

    def wait_ready(self, limit: float = 60.0) -> dict:
        """Wait until /healthz is ok with every query worker idle; return the health document."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"scograph serve exited with {self.process.returncode}: {self.log()[-3000:]}")
            try:
                health = requests.get(self.url + "/healthz", timeout=5).json()
                queries = health.get("queries", {})
                if health["status"] == "ok" and queries.get("idle") == queries.get("workers", 0) > 0:
                    return health
            except (requests.ConnectionError, requests.Timeout, ValueError, KeyError):
                pass
            time.sleep(0.2)
        raise AssertionError(f"scograph serve not ready in {limit:.0f} s: {self.log()[-3000:]}")

    def health(self) -> requests.Response:
        return requests.get(self.url + "/healthz", timeout=15)

    def query(self, query: str, timeout: float = 60.0, **kwargs) -> requests.Response:
        return requests.post(self.url + "/sparql", data={"query": query}, timeout=timeout, **kwargs)

    def log(self) -> str:
        return self.log_path.read_text("utf-8", errors="replace")

    def stop(self) -> None:
        stop(self.process)
        self._log.close()


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
