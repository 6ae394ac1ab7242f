"""Real triplestores for the tests: an Oxigraph server and Virtuoso open source, on 127.0.0.1.

Each is started in a temporary directory on free ports and stopped afterwards.
A missing binary fails the test (CI installs them): ``oxigraph`` comes from
PyPI (the ``test`` extra), ``virtuoso-t`` / ``isql-vt`` from the Debian package
``virtuoso-opensource``.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import requests

from scograph.publish import Target

VIRTUOSO_USER = "scograph"
VIRTUOSO_PASSWORD = "scograph-test"


@dataclass(frozen=True)
class RunningStore:
    kind: str  # "oxigraph" or "virtuoso"
    root_url: str
    query_url: str
    target: Target
    pid: int = 0  # the server process (benchmarks read its peak memory)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require_binary(name: str, hint: str) -> str:
    """Path of a required program; a missing one is a test failure, not a skip."""
    path = shutil.which(name) or (str(Path(sys.executable).parent / name) if (Path(sys.executable).parent / name).exists() else None)
    if path is None:
        raise AssertionError(f"{name} is required for the remote-store tests: {hint}")
    return path


def wait_until_ready(url: str, process: subprocess.Popen, *, seconds: float, log: Path) -> None:
    """Poll ``url`` until it answers 200, at most ``seconds``; fail with the server's log otherwise."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            if requests.get(url, params={"query": "ASK {}"}, timeout=2).status_code == 200:
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


@contextlib.contextmanager
def oxigraph_server(directory: Path) -> Iterator[RunningStore]:
    binary = require_binary("oxigraph", "pip install 'scograph[test]' (the oxigraph server from PyPI)")
    port = free_port()
    log = directory / "oxigraph.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [binary, "serve", "--location", str(directory / "data"), "--bind", f"127.0.0.1:{port}", "--timeout-s", "20"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        root = f"http://127.0.0.1:{port}"
        wait_until_ready(root + "/query", process, seconds=30, log=log)
        yield RunningStore("oxigraph", root, root + "/query", Target.from_preset(root, "oxigraph"), process.pid)
    finally:
        stop(process)


VIRTUOSO_INI = """\
[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
NumberOfBuffers = 20000
MaxDirtyBuffers = 15000
CheckpointInterval = 0
DirsAllowed = ., {dir}
[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {dir}
ServerThreads = 8
[SPARQL]
; high enough that no test result is silently cut by the server
ResultSetMaxRows = 10000000
MaxQueryExecutionTime = 30
"""

# A user that may write graphs through /sparql-graph-crud-auth and /sparql-auth (digest auth).
VIRTUOSO_SETUP = f"""
DB.DBA.USER_CREATE('{VIRTUOSO_USER}', '{VIRTUOSO_PASSWORD}');
GRANT SPARQL_UPDATE TO "{VIRTUOSO_USER}";
DB.DBA.RDF_DEFAULT_USER_PERMS_SET('{VIRTUOSO_USER}', 7);
"""


@contextlib.contextmanager
def virtuoso_server(directory: Path) -> Iterator[RunningStore]:
    hint = "apt-get install virtuoso-opensource"
    binary = require_binary("virtuoso-t", hint)
    isql = require_binary("isql-vt", hint)
    sql_port, http_port = free_port(), free_port()
    ini = directory / "virtuoso.ini"
    ini.write_text(VIRTUOSO_INI.format(dir=directory, sql_port=sql_port, http_port=http_port))
    log = directory / "virtuoso.out"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [binary, "+foreground", "+configfile", str(ini)], cwd=directory, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        root = f"http://127.0.0.1:{http_port}"
        # A fresh database is created on first start: allow a generous, bounded wait.
        wait_until_ready(root + "/sparql", process, seconds=90, log=log)
        setup = subprocess.run(
            [isql, f"127.0.0.1:{sql_port}", "dba", "dba", f"exec={VIRTUOSO_SETUP}"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert setup.returncode == 0 and "Error" not in setup.stdout + setup.stderr, setup.stdout + setup.stderr
        target = Target.from_preset(root, "virtuoso", user=VIRTUOSO_USER, password=VIRTUOSO_PASSWORD)
        yield RunningStore("virtuoso", root, root + "/sparql", target, process.pid)
    finally:
        stop(process)
