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
