"""Starting and stopping the real servers tests talk to (on 127.0.0.1 only)."""

from __future__ import annotations

import shutil
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


class ScographServe:
    """``scograph serve`` on 127.0.0.1 and a free port, on an already built ``build_dir``; a context manager.

    Light by default (one web process, one query worker): these servers answer a
    few hundred requests, not a benchmark.
    """

    def __init__(self, build_dir: Path, log_path: Path, *args: str, env: dict | None = None):
        import os

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self._log = log_path.open("wb")
        executable = Path(sys.executable).with_name("scograph")
        light = ("--workers", "1", "--max-concurrent-queries", "1", "--max-queued-queries", "8")
        self.process = subprocess.Popen(
            [str(executable), "serve", "--build-dir", str(build_dir), "--port", str(self.port), *light, *args],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=build_dir,
            env={**os.environ, **(env or {})},
        )
        try:
            wait_until_ready(self.url + "/healthz", self.process, seconds=90, log=log_path)
        except BaseException:
            self.stop()
            raise

    def log(self) -> str:
        return self.log_path.read_text("utf-8", errors="replace")

    def stop(self) -> None:
        stop(self.process)
        self._log.close()

    def __enter__(self) -> "ScographServe":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
