"""``scograph serve`` on the session's release, as a user starts it, for the export tests."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

from tests.processes import free_port, stop, wait_until_ready

SERVER_START_SECONDS = 60


@contextlib.contextmanager
def scograph_serve(settings, log_dir: Path):
    """Yield the root URL (``http://127.0.0.1:PORT``) of a real server on the built release; stop it after."""
    port = free_port()
    log = log_dir / "serve.log"
    command = [str(Path(sys.executable).with_name("scograph")), "serve", "--build-dir", str(settings.build_dir),
               "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(url + "/robots.txt", process, seconds=SERVER_START_SECONDS, log=log)
        yield url
    finally:
        stop(process)
